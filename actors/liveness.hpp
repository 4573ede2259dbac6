#pragma once
// Internal: the liveness actor (seeds 001, 002) carries out the pure
// liveness_judge. The heartbeat reports each ping it sent (the nonce is the
// heartbeat's ref), the connection reports pongs and any other inbound
// traffic; when the judge says dead, the connection is told `peer_dead` and
// replaces the socket. It watches one socket at a time: everything about
// another socket is ignored.

#include "actors/tree_interfaces.hpp"
#include "protocol/liveness.hpp"

namespace tether::detail {

liveness_actor spawn_liveness(caf::actor_system& sys, protocol::liveness_config cfg,
                              peer_dead_sink connection);

} // namespace tether::detail
