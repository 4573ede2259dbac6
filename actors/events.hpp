#pragma once
// What a connection tells its consumer, one struct per event (past tense,
// as Slipstream names them), all carried as one message type, `event`, a
// variant of them. The consumer is any actor the embedder names; it is
// never linked to the tree, so a crash in the tree reaches it only as one
// of these events. A consumer that visits `event` without a catch-all does
// not compile when an event is added that it does not handle; tetherd and
// the testing kit do so (docs/architecture.md, "Events").

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "protocol/presence.hpp"

namespace caf {
class actor_system_config;
}

namespace tether {

/// The socket is open (topics are being joined).
struct connected {
  uint64_t socket;
  bool compressed = false; ///< permessage-deflate was negotiated (socket_options::compress)
};

/// A join was accepted; `response` is the server's JSON.
struct topic_joined {
  std::string topic;
  std::string response;
};

/// A join was refused (or not answered in time: response {"reason":"timeout"}).
struct join_failed {
  std::string topic;
  std::string response;
};

/// The application left the topic (leave): its channel is closed on
/// request, and it is not rejoined. A channel the server closed is
/// channel_closed instead, one that was lost is channel_errored.
struct topic_left {
  std::string topic;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_left& x) {
  return f(caf::meta::type_name("topic_left"), x.topic);
}

/// An application event on a joined topic (broadcast or server push).
struct message_received {
  std::string topic;
  std::string event;
  std::string payload;
};

/// phx_error: the channel crashed on the server; it is rejoined.
struct channel_errored {
  std::string topic;
};

/// phx_close: the server closed the channel; it is not rejoined.
struct channel_closed {
  std::string topic;
};

/// The socket went down; `cause` says why (see protocol::drop_cause).
struct disconnected {
  std::string cause;
  /// What the socket said of it, when it said anything: the HTTP status and
  /// text of a refused upgrade, the resolver's or TLS's reason, the server's
  /// close code and reason.
  std::string detail = {};
  int http_status = 0; ///< of a refused upgrade (401, 403, 429, 503…), else 0
};

/// A reconnect attempt is scheduled.
struct reconnect_scheduled {
  uint32_t attempt;
  caf::timespan delay;
  std::string cause;
  caf::timespan outage; ///< time since the connection was last up
};

/// The reconnect window is spent: no more attempts until `connect`.
struct reconnect_abandoned {
  caf::timespan outage;
};

/// Liveness declared the peer dead; the socket is being replaced.
struct peer_dead {};

/// A heartbeat reply carried peer state (seed 004's relay), as JSON.
struct peer_status {
  std::string response;
};

/// A heartbeat was answered after `rtt` (only with
/// connection_config::report_heartbeats).
struct heartbeat_answered {
  caf::timespan rtt;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, heartbeat_answered& x) {
  return f(caf::meta::type_name("heartbeat_answered"), x.rtt);
}

/// The profile's tree ended (stop, or restarts beyond its intensity); the
/// profile is free again. `reason` is the tree's exit reason.
struct stopped {
  std::string reason;
};

/// The profile's store refused a write (the joined topics may not survive a
/// restart of the process); `detail` says what failed.
struct storage_failed {
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, storage_failed& x) {
  return f(caf::meta::type_name("storage_failed"), x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stopped& x) {
  return f(caf::meta::type_name("stopped"), x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connected& x) {
  return f(caf::meta::type_name("connected"), x.socket, x.compressed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, topic_joined& x) {
  return f(caf::meta::type_name("topic_joined"), x.topic, x.response);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_failed& x) {
  return f(caf::meta::type_name("join_failed"), x.topic, x.response);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_received& x) {
  return f(caf::meta::type_name("message_received"), x.topic, x.event, x.payload);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, channel_errored& x) {
  return f(caf::meta::type_name("channel_errored"), x.topic);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, channel_closed& x) {
  return f(caf::meta::type_name("channel_closed"), x.topic);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, disconnected& x) {
  return f(caf::meta::type_name("disconnected"), x.cause, x.detail, x.http_status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconnect_scheduled& x) {
  return f(caf::meta::type_name("reconnect_scheduled"), x.attempt, x.delay,
           x.cause, x.outage);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reconnect_abandoned& x) {
  return f(caf::meta::type_name("reconnect_abandoned"), x.outage);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_dead&) {
  return f(caf::meta::type_name("peer_dead"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_status& x) {
  return f(caf::meta::type_name("peer_status"), x.response);
}

/// Frames from the server that did not reach the consumer as events:
/// `reason` is "undecodable" (not a frame; `detail` names the codec error),
/// "unhandled" (a frame of no route, e.g. an unknown phx_ event; `detail`
/// is its event) or "foreign_topic" (a topic the client has not joined;
/// `detail` is the topic). Told at most once per second per reason:
/// `count` is how many were dropped since the last time it was told.
struct frame_dropped {
  std::string reason;
  std::string detail;
  uint64_t count = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, frame_dropped& x) {
  return f(caf::meta::type_name("frame_dropped"), x.reason, x.detail, x.count);
}

/// A supervisor of the profile's tree reported a failure, as OTP's
/// supervisor reports it (sup::supervisor_report): `supervisor` is
/// "profile:<name>" or "profile:<name>/senders", `context` is
/// child_terminated, start_error, shutdown_error or shutdown (the tree gave
/// up), `child` the child's id, `reason` its exit reason or start error.
struct supervisor_reported {
  std::string supervisor;
  std::string context;
  std::string child;
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_reported& x) {
  return f(caf::meta::type_name("supervisor_reported"), x.supervisor, x.context, x.child,
           x.reason);
}

/// A joined topic's presence list changed (docs/protocol.md, "Presence"):
/// a `presence_state` or `presence_diff` came, or a state came with the
/// diffs held for it. `joins` and `leaves` are what phoenix.js reports to
/// onJoin and onLeave, in the same order; `list` is every presence now, in
/// phoenix.js's listing order. Presence payloads also arrive as
/// message_received.
struct presence_synced {
  std::string topic;
  std::vector<protocol::presence_joined> joins;
  std::vector<protocol::presence_left> leaves;
  std::vector<std::pair<std::string, protocol::presence>> list;
};

/// For logs (caf::deep_to_string): the name and the topic; the lists are
/// the consumer's to render (tetherd's event stream writes them whole).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_synced& x) {
  return f(caf::meta::type_name("presence_synced"), x.topic);
}

/// Every event a tree tells its consumer, as one message.
using event = std::variant<connected, topic_joined, join_failed, topic_left, message_received,
                           channel_errored, channel_closed, disconnected,
                           reconnect_scheduled, reconnect_abandoned, peer_dead, peer_status,
                           heartbeat_answered, stopped, storage_failed, frame_dropped,
                           supervisor_reported, presence_synced>;

/// The events' names, in the variant's order: the one name table that the
/// testing kit, tetherd's event stream and docs/architecture.md use.
extern const std::array<std::string_view, std::variant_size_v<event>> event_names;

inline std::string_view event_name(const event& e) noexcept {
  return event_names[e.index()];
}

/// For visiting an `event` with one lambda per alternative.
template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

/// Why a push did not resolve ok (the error's context holds the server's
/// response where there is one).
enum class push_errc : uint8_t {
  rejected = 1,   ///< the server replied with an error status
  ack_timeout,    ///< sent, no reply within the ack timeout: outcome unknown
  never_sent,     ///< its deadline passed before it left, or the tree stopped
  sender_crashed, ///< its topic's sender died before sending it
  invalid_payload,///< not valid JSON
  outbox_full,    ///< too many pushes waiting for a connection
};

caf::error make_error(push_errc code, std::string response = {});
const char* to_string(push_errc code);

void add_push_error_category(caf::actor_system_config& cfg);

/// The server's response carried by a `rejected` push error, or the reason
/// of a `never_sent` one ("" otherwise).
std::string response_of(const caf::error& err);

/// The push_errc of `err`, if it is a push error.
std::optional<push_errc> push_error_code(const caf::error& err);

} // namespace tether

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::event)
