#pragma once
// Internal: the child specs of one profile's tree (seed 003, DESIGN.md):
//
//   profile:<name>        rest_for_one, temporary under the runtime
//   ├── registry          per-instance: topic -> sender
//   ├── ref_counter       refs never repeat across connection restarts
//   ├── connection        the socket, joins, pending acks
//   ├── liveness          judges the peer from the heartbeat's pings
//   ├── heartbeat         ticks after the join reply
//   └── senders           dynamic: one temporary sender per topic
//
// Each child depends only on those above it, so rest_for_one restarts
// exactly the dependents of a crashed child; the reverse shutdown order stops
// the heartbeat before the connection closes its socket.

#include "actors/runtime.hpp"
#include "actors/tree_interfaces.hpp"
#include "supervision/child_spec.hpp"

namespace tether::detail {

sup::child_spec profile_tree_spec(profile_config cfg, transport_actor transport,
                                  endpoint_actor endpoint);

} // namespace tether::detail
