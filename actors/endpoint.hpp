#pragma once
// Internal: a profile's endpoint, the restart-safe handle the runtime hands
// out (seed 003's `via` handle, as an actor). It lives as long as the
// profile, outside the restartable part of the tree, and forwards every
// request to the connection of the moment. It remembers what must survive a
// connection restart: the topics joined (replayed to each new connection)
// and whether the consumer said `disconnect`. Requests arriving while no
// connection is attached (the instant of a restart) wait, bounded.

#include "actors/tree_interfaces.hpp"

namespace tether::detail {

endpoint_actor spawn_endpoint(caf::actor_system& sys, size_t max_waiting);

} // namespace tether::detail
