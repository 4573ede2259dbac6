#pragma once
// Internal: the heartbeat (seeds 000, 004). Started by the connection after
// the join reply; each tick takes a fresh ref from the ref counter and sends
// `[null, ref, "phoenix", "heartbeat", {}]` on the same socket, then tells
// liveness which ref to expect back. Ticks keep a steady cadence from the
// previous emit. A failed send stops the heartbeat quietly: the connection
// learns of the broken socket from the transport, not from here.

#include "actors/ref_counter.hpp"
#include "actors/tree_interfaces.hpp"
#include "protocol/liveness.hpp"

#include "protocol/wire_version.hpp"

namespace tether::detail {

heartbeat_actor spawn_heartbeat(caf::actor_system& sys, protocol::heartbeat_config cfg,
                                ref_counter_actor refs, transport_actor transport,
                                liveness_actor liveness,
                                protocol::wire_version version = protocol::wire_version::v2);

} // namespace tether::detail
