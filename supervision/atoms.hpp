#pragma once
// Message vocabulary of the supervision layer (CAF 0.17 atoms: <= 10 chars).

#include <caf/atom.hpp>

namespace tether::sup {

using which_atom = caf::atom_constant<caf::atom("which")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using terminate_atom = caf::atom_constant<caf::atom("terminate")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using get_spec_atom = caf::atom_constant<caf::atom("get_spec")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using unregister_atom = caf::atom_constant<caf::atom("unregist")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using find_or_start_atom = caf::atom_constant<caf::atom("findorst")>;
using ok_atom = caf::ok_atom;

} // namespace tether::sup
