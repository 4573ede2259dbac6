#pragma once
// Message vocabulary of the connection layer (CAF 0.17 atoms: <= 10 chars).
// Commands are verbs; events are structs in events.hpp.

#include <caf/atom.hpp>

namespace tether {

using next_ref_atom = caf::atom_constant<caf::atom("next_ref")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using push_atom = caf::atom_constant<caf::atom("push")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;
using alive_atom = caf::atom_constant<caf::atom("alive")>;
using presence_atom = caf::atom_constant<caf::atom("presence")>;
/// The network changed (false) or the machine woke from suspend (true).
using net_event_atom = caf::atom_constant<caf::atom("net_event")>;

} // namespace tether
