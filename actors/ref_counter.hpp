#pragma once
// The ref counter (seed 000): hands out "1", "2", … as strings, strictly
// increasing for its whole life. It is a sibling of the connection in the
// tree, so a restarted connection never reuses a ref.

#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"

namespace caf {
class actor_system;
}

namespace tether {

using ref_counter_actor = caf::typed_actor<caf::replies_to<next_ref_atom>::with<std::string>>;

ref_counter_actor spawn_ref_counter(caf::actor_system& sys);

} // namespace tether
