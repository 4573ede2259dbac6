#pragma once
// Elixir's Registry with unique keys, as a typed CAF actor: names live actors
// by string key, forgets them when they die (monitors, no polling) and
// find-or-starts under a dynamic supervisor without racing.
// Keys may be unbounded and user-controlled (one per topic, per recipient):
// nothing is retained for a key once its holder is gone.

#include <cstddef>
#include <string>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "supervision/atoms.hpp"
#include "supervision/child_spec.hpp"
#include "supervision/supervisor.hpp"

namespace caf {
class actor_system;
}

namespace tether::sup {

using registry_actor = caf::typed_actor<
  // Names `holder` by `key`; `already_registered` (carrying the holder) if
  // the key is taken.
  caf::replies_to<register_atom, std::string, caf::actor>::with<ok_atom>,
  // Drops the name; ok whether or not it existed.
  caf::replies_to<unregister_atom, std::string>::with<ok_atom>,
  // The holder of `key`, or an invalid handle when there is none.
  caf::replies_to<lookup_atom, std::string>::with<caf::actor>,
  // The holder of `key`; if none, starts `spec` under `sup`, registers it and
  // returns it. Concurrent callers for one key share a single start.
  caf::replies_to<find_or_start_atom, std::string, dynamic_supervisor_actor,
                  child_spec>::with<caf::actor>,
  // Number of registered keys.
  caf::replies_to<count_atom>::with<size_t>>;

registry_actor spawn_registry(caf::actor_system& sys);

} // namespace tether::sup
