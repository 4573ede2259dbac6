#pragma once
// A profile's connection as the embedder sees it: the configuration of one
// Phoenix socket and the typed interface of the profile's endpoint (the
// restart-safe handle the runtime returns). Behind the endpoint runs the
// connection actor (seed 003's "heart"): it owns one socket at a time, joins
// the topics it was asked to, correlates pushes with their replies
// (ack-on-send) and reconnects with backoff; its heartbeat, liveness and
// per-topic senders are siblings in the profile's tree (docs/architecture.md).

#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/atoms.hpp"
#include "actors/events.hpp"
#include "actors/ref_counter.hpp"
#include "actors/transport.hpp"
#include "protocol/backoff.hpp"
#include "protocol/liveness.hpp"
#include "protocol/rejoin.hpp"
#include "protocol/url.hpp"

namespace tether {

struct connection_config {
  /// The socket URL without query, e.g. ws://127.0.0.1:4000/socket/websocket.
  std::string url;
  /// Connect params, read again before every attempt (credentials rotate).
  std::function<protocol::query_params()> connect_params;
  socket_options socket;
  protocol::backoff_config backoff;
  protocol::heartbeat_config heartbeat;
  /// Heartbeat-reply timeout and tolerated misses (interval is heartbeat's).
  protocol::liveness_config liveness;
  caf::timespan join_timeout{std::chrono::seconds{10}};
  caf::timespan ack_timeout{std::chrono::seconds{30}};
  /// When a refused, timed-out or crashed channel is joined again
  /// (phoenix.js: 1 s, 2 s, 5 s, then 10 s; here with jitter).
  protocol::rejoin_config rejoin;
  /// Pushes waiting for a joined topic, beyond which push answers outbox_full.
  size_t max_queued_pushes = 1024;
  /// A topic's sender stops after this long without a push.
  caf::timespan sender_idle{std::chrono::seconds{60}};
  /// The payload member that carries a push's idempotency key.
  std::string idempotency_field = "idempotency_key";
  /// Send heartbeat_answered (the round trip) on every answered heartbeat.
  bool report_heartbeats = false;
  /// Sandbox (seed 003): no socket; joins succeed, pushes succeed at once
  /// with a minted id, nothing leaves the process.
  bool offline = false;
  /// Open a socket only while holding the profile's lease: until the moment
  /// the last lease message names (docs/architecture.md, "One connection
  /// per profile, cluster-wide"). The runtime sets it when a profile
  /// registry with leases is in use; the endpoint passes the lease on.
  bool leased = false;
};

/// A push's idempotency key (a distinct type, so it cannot be mistaken for
/// another string argument).
struct idempotency_key {
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_key& x) {
  return f(caf::meta::type_name("idempotency_key"), x.value);
}

/// Join params read before every join and rejoin of a topic, as phoenix.js
/// takes a params function: `read` answers a JSON object's text. It runs
/// on the connection's actor, so it must be quick (a small file, a token
/// cache). A read that is not a JSON object fails that join attempt
/// (join_failed {"reason":"invalid_params"}); the next rejoin reads again.
struct join_params_reader {
  std::function<std::string()> read;
};

/// A topic's presences, in phoenix.js's listing order.
struct presence_list {
  std::vector<std::pair<std::string, protocol::presence>> entries;
};

using connection_actor = caf::typed_actor<
  // Join `topic` with `params` (JSON) now and after every reconnect; the
  // outcome arrives as topic_joined / join_failed.
  caf::replies_to<join_atom, std::string, std::string>::with<caf::ok_atom>,
  // The same, with params read before every join and rejoin.
  caf::replies_to<join_atom, std::string, join_params_reader>::with<caf::ok_atom>,
  caf::replies_to<leave_atom, std::string>::with<caf::ok_atom>,
  // Ack-on-send: the server's ok response, or a push_errc error.
  caf::replies_to<push_atom, std::string, std::string, std::string,
                  caf::timespan>::with<std::string>,
  // The same, with an idempotency key: it is added to the payload object,
  // and a push made while another with the same key is unresolved shares
  // that push's outcome instead of sending a second frame.
  caf::replies_to<push_atom, std::string, std::string, std::string, caf::timespan,
                  idempotency_key>::with<std::string>,
  // Close the socket and stop retrying / start again.
  caf::replies_to<disconnect_atom>::with<caf::ok_atom>,
  caf::replies_to<connect_atom>::with<caf::ok_atom>,
  // True exactly while a socket is open and the peer is judged alive.
  caf::replies_to<alive_atom>::with<bool>,
  // `topic`'s presence list now (empty for a topic not joined or with no
  // presence), as presence_synced's `list`.
  caf::replies_to<presence_atom, std::string>::with<presence_list>>;

} // namespace tether

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::connection_config)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::presence_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::join_params_reader)
