#pragma once
// Internal: the typed interfaces the actors of one profile's tree use among
// themselves. None of these handles is reachable from the public API; the
// embedder only ever holds the profile's endpoint (connection_actor).
//
// Siblings started later in the tree depend on those started earlier
// (rest_for_one order): a later sibling announces itself to the connection
// with `attach` whenever it (re)starts.

#include <string>

#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/connection.hpp"
#include "actors/transport.hpp"
#include "supervision/supervisor.hpp"

namespace tether::detail {

using attach_atom = caf::atom_constant<caf::atom("attach")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using hb_start_atom = caf::atom_constant<caf::atom("hb_start")>;
using hb_stop_atom = caf::atom_constant<caf::atom("hb_stop")>;
using activity_atom = caf::atom_constant<caf::atom("activity")>;
using ping_sent_atom = caf::atom_constant<caf::atom("ping_sent")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
using ping_void_atom = caf::atom_constant<caf::atom("ping_void")>;
using watch_atom = caf::atom_constant<caf::atom("lv_watch")>;
using peer_dead_atom = caf::atom_constant<caf::atom("peer_dead")>;
using rtt_atom = caf::atom_constant<caf::atom("rtt")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

/// The heartbeat: ticks on one socket from `hb_start` until `hb_stop`.
using heartbeat_actor = caf::typed_actor<
  caf::reacts_to<hb_start_atom, socket_id>, caf::reacts_to<hb_stop_atom>,
  // Traffic was seen: the dynamic interval runs fast for a while.
  caf::reacts_to<activity_atom>>;

/// The liveness judge's actor: watches one socket at a time (0: none).
using liveness_actor = caf::typed_actor<
  caf::reacts_to<watch_atom, socket_id>,
  // Told before the ping's frame reaches the transport, so that its pong,
  // which travels transport -> connection -> liveness, can never overtake it.
  // The time is when the heartbeat handed the frame to the transport.
  caf::reacts_to<ping_sent_atom, socket_id, std::string, caf::actor_clock::time_point>,
  // The ping's frame never left (the send failed): nothing to judge.
  caf::reacts_to<ping_void_atom, socket_id, std::string>,
  // The time is when the reply came off the socket (the transport's stamp).
  caf::reacts_to<pong_atom, socket_id, std::string, caf::actor_clock::time_point>,
  caf::reacts_to<activity_atom, socket_id>>;

/// What liveness tells the connection: the peer is dead, or a ping was
/// answered after this round trip.
using peer_dead_sink = caf::typed_actor<caf::reacts_to<peer_dead_atom, socket_id>,
                                        caf::reacts_to<rtt_atom, socket_id, caf::timespan>>;

/// A topic's sender: sends one push at a time on the given socket, with the
/// ref the connection already bound to it, and answers once the transport
/// took the frame (or with the transport's error).
using sender_actor = caf::typed_actor<caf::replies_to<
  deliver_atom, socket_id, std::string /*join_ref*/, std::string /*ref*/,
  std::string /*topic*/, std::string /*event*/, std::string /*payload*/>::with<caf::ok_atom>>;

/// The profile's endpoint as the connection sees it: it learns of each new
/// connection, and of topics the server ended.
using endpoint_actor = connection_actor::extend<
  caf::reacts_to<attach_atom, connection_actor>,
  caf::reacts_to<forget_atom, std::string>, caf::reacts_to<net_event_atom, bool>,
  // The profile's lease is usable until then (each renewal sends a later one).
  caf::reacts_to<lease_atom, caf::actor_clock::time_point>>;

/// Who hears of network changes and wake-ups: endpoints and connections.
using net_event_sink = caf::typed_actor<caf::reacts_to<net_event_atom, bool>>;

/// Who hears of the profile's lease: endpoints and connections.
using lease_sink = caf::typed_actor<caf::reacts_to<lease_atom, caf::actor_clock::time_point>>;

} // namespace tether::detail
