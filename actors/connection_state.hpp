#pragma once
// Internal: the connection actor's private interface, its wiring and its
// state. Tests may inspect the state; nothing here is public API.

#include <list>
#include <functional>
#include <vector>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/connection.hpp"
#include "actors/ref_counter.hpp"
#include "actors/tree_interfaces.hpp"
#include "protocol/ack_table.hpp"
#include "protocol/phoenix_json.hpp"
#include "protocol/random_bits.hpp"
#include "protocol/wire_version.hpp"
#include "supervision/registry.hpp"

namespace tether::detail {

using retry_atom = caf::atom_constant<caf::atom("retry")>;
using join_tmo_atom = caf::atom_constant<caf::atom("join_tmo")>;
using sweep_atom = caf::atom_constant<caf::atom("ack_sweep")>;
using rejoin_atom = caf::atom_constant<caf::atom("rejoin")>;
using drop_window_atom = caf::atom_constant<caf::atom("drop_win")>;
using lease_check_atom = caf::atom_constant<caf::atom("lease_chk")>;

/// The connection's full interface: the public one (the endpoint delegates
/// to it), the transport's socket events, its later siblings announcing
/// themselves, liveness' verdict and its own timers. Timers carry the socket
/// they belong to: a timer of a superseded socket finds a different
/// `current` and does nothing.
using connection_impl = connection_actor::extend<
  caf::reacts_to<socket_opened>, caf::reacts_to<socket_received>,
  caf::reacts_to<socket_closed>, caf::reacts_to<socket_failed>,
  caf::reacts_to<attach_atom, liveness_actor>, caf::reacts_to<attach_atom, heartbeat_actor>,
  caf::reacts_to<attach_atom, sup::dynamic_supervisor_actor>,
  caf::reacts_to<peer_dead_atom, socket_id>,
  caf::reacts_to<rtt_atom, socket_id, caf::timespan>, caf::reacts_to<net_event_atom, bool>,
  caf::reacts_to<retry_atom, uint64_t>,
  caf::reacts_to<join_tmo_atom, socket_id, std::string, std::string>,
  caf::reacts_to<sweep_atom>, caf::reacts_to<rejoin_atom, socket_id, std::string>,
  caf::reacts_to<drop_window_atom, std::string>,
  caf::reacts_to<lease_atom, caf::actor_clock::time_point>,
  caf::reacts_to<lease_check_atom, caf::actor_clock::time_point>>;

/// The siblings and outside actors a connection is started with.
struct connection_links {
  transport_actor transport;
  ref_counter_actor refs;
  sup::registry_actor registry; ///< per-instance: topic -> sender
  endpoint_actor endpoint;      ///< told of each (re)start; may be invalid
  caf::actor consumer;          ///< gets the events; may be invalid
};

connection_impl spawn_connection(caf::actor_system& sys, connection_config cfg,
                                 connection_links links);

struct topic_state {
  std::string params = "{}"; ///< the params of the last join sent
  /// Reads the params before each join (join_params_reader); empty: `params`.
  std::function<std::string()> read_params;
  /// The ref of the join in flight or in force; none while the topic waits
  /// for a socket or a rejoin (a frame carrying an older one is stale).
  std::optional<std::string> join_ref;
  bool joined = false;
  /// Rejoin tries since the topic was last joined (or its socket opened).
  uint32_t rejoin_attempts = 0;
  /// The server refused the last join (it waits for a rejoin try).
  bool refused = false;
  /// Its presence list, from the first presence event on (kept across
  /// rejoins, as phoenix.js keeps it; gone with the topic).
  std::shared_ptr<protocol::presence_tracker> presence;
};

struct queued_push {
  uint64_t ticket;
  std::string topic, event, payload;
  int redeliveries = 0; ///< times its sender vanished before taking it
};

/// A topic's sender as the connection knows it.
struct sender_slot {
  sender_actor handle;               ///< invalid until started
  bool starting = false;             ///< a find-or-start is under way
  std::list<queued_push> waiting;   ///< pushes waiting for the sender
};

struct connection_state {
  connection_config cfg;
  connection_links links;
  /// V2 or V1, as the URL's vsn asks (protocol/wire_version.hpp).
  std::unique_ptr<protocol::codec> codec;
  protocol::wire_choice wire;

  // Later siblings, known once they attach.
  liveness_actor liveness;
  heartbeat_actor heartbeat;
  sup::dynamic_supervisor_actor sender_sup;

  /// The socket in use; 0 when none. Events for other ids are stale.
  socket_id current = 0;
  bool open = false; ///< `current` has opened
  /// An open request is out: its events may overtake its reply (they come
  /// from the transport's I/O thread), so they wait here for the id.
  bool opening = false;
  std::vector<std::function<void()>> early_events;
  bool user_disconnected = false;
  bool heartbeat_wanted = false; ///< the heartbeat should tick on `current`
  uint64_t retry_token = 0;      ///< matches the one pending retry timer
  /// Why the pending retry waits: a network change or wake sends it at once,
  /// except after refused credentials (a new route does not renew them).
  std::optional<protocol::drop_cause> retry_cause;
  /// The profile's lease (cfg.leased): usable until then; none yet.
  std::optional<caf::actor_clock::time_point> lease_until;
  /// No lease in force: nothing is opened until one comes.
  bool waiting_for_lease = false;

  std::map<std::string, topic_state> topics; ///< what the consumer joined
  protocol::ack_table acks;
  /// When the earliest pending sweep of `acks` fires. One timer serves all
  /// pushes: each push arming its own cost a clock-thread wake-up apiece.
  std::optional<protocol::time_point> sweep_at;
  uint64_t next_ticket = 1;
  std::unordered_map<uint64_t, caf::typed_response_promise<std::string>> waiting;
  /// Callers that repeated an unresolved push's idempotency key: they get
  /// that push's outcome.
  std::unordered_multimap<uint64_t, caf::typed_response_promise<std::string>> also_waiting;
  std::unordered_map<std::string, uint64_t> keys; ///< idempotency key -> ticket
  std::unordered_map<uint64_t, std::string> key_of;
  // Queues here and across the tree are lists: an empty list holds no memory,
  // while an empty std::deque (libstdc++) holds ~600 bytes, in every idle tree.
  std::list<queued_push> outbox; ///< pushes waiting for their topic to join
  std::unordered_map<std::string, sender_slot> senders;
  std::unordered_map<caf::actor_addr, std::string> sender_topics; ///< monitored
  uint64_t offline_ids = 0;
  /// Server frames no event carried, by reason (frame_dropped).
  struct drop_tally {
    uint64_t total = 0;       ///< since the connection started
    uint64_t untold = 0;      ///< dropped in the open window, not told yet
    bool window_open = false; ///< told within the last report interval
    std::string detail;       ///< the latest one's
  };
  std::map<std::string, drop_tally> drops;
  bool stopping = false; ///< the connection is ending: what is left resolves now

  protocol::backoff backoff;
  std::optional<protocol::time_point> activity_told; ///< last told the heartbeat
  protocol::random_bits rng;

  /// The connection ends (stop, crash, restart): nothing accepted is left
  /// hanging, and the socket does not outlive its owner.
  ~connection_state();

  static inline const char* name = "tether.connection";
};

using connection_pointer = connection_impl::stateful_pointer<connection_state>;

} // namespace tether::detail
