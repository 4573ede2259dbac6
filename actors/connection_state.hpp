#pragma once
// Internal: the connection actor's state and private interface; tests
// inspect it.

#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include <caf/typed_response_promise.hpp>

#include "actors/connection.hpp"
#include "protocol/ack_table.hpp"
#include "protocol/phoenix_json.hpp"

namespace tether::detail {

using hb_tick_atom = caf::atom_constant<caf::atom("hb_tick")>;
using lv_check_atom = caf::atom_constant<caf::atom("lv_check")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using join_tmo_atom = caf::atom_constant<caf::atom("join_tmo")>;
using sweep_atom = caf::atom_constant<caf::atom("ack_sweep")>;
using rejoin_atom = caf::atom_constant<caf::atom("rejoin")>;

/// Timers carry the socket they belong to: a timer of a superseded socket
/// finds a different `current` and does nothing.
using connection_impl = connection_actor::extend<
  caf::reacts_to<socket_opened>, caf::reacts_to<socket_received>,
  caf::reacts_to<socket_closed>, caf::reacts_to<socket_failed>,
  caf::reacts_to<hb_tick_atom, socket_id>, caf::reacts_to<lv_check_atom, socket_id>,
  caf::reacts_to<retry_atom, uint64_t>,
  caf::reacts_to<join_tmo_atom, socket_id, std::string, std::string>,
  caf::reacts_to<sweep_atom>, caf::reacts_to<rejoin_atom, socket_id, std::string>>;

struct topic_state {
  std::string params = "{}";
  std::optional<std::string> join_ref; ///< the current join's ref, once sent
  bool joined = false;
};

struct queued_push {
  uint64_t ticket;
  std::string topic, event, payload;
};

struct connection_state {
  connection_config cfg;
  transport_actor transport;
  ref_counter_actor refs;
  caf::actor consumer;
  protocol::phoenix_json_codec codec;

  /// The socket in use; 0 when none. Events for other ids are stale.
  socket_id current = 0;
  bool open = false;            ///< `current` has opened
  bool user_disconnected = false;
  uint64_t retry_token = 0;     ///< matches the one pending retry timer

  std::map<std::string, topic_state> topics; ///< what the consumer joined
  protocol::ack_table acks;
  uint64_t next_ticket = 1;
  std::unordered_map<uint64_t, caf::typed_response_promise<std::string>> waiting;
  std::deque<queued_push> outbox; ///< pushes waiting for their topic to join

  protocol::backoff backoff;
  protocol::liveness_judge liveness;
  bool heartbeat_running = false;
  std::optional<protocol::time_point> last_activity;
  std::mt19937_64 rng{std::random_device{}()};

  static inline const char* name = "tether.connection";
};

using connection_pointer = connection_impl::stateful_pointer<connection_state>;

} // namespace tether::detail
