#pragma once
// The transport: every WebSocket client socket of the process, served by one
// libwebsockets thread (transport_engine.hpp). Actors reach it only through
// `transport_actor`; its events reach a socket's owner as typed messages.
// Unit tests put a scripted actor with the same interface in its place.
//
// A socket_id is never reused, so it doubles as the socket's generation: an
// event for an id other than the current one is from a superseded socket.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor_clock.hpp>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "protocol/codec.hpp"
#include "protocol/proxy_route.hpp"

namespace caf {
class actor_system;
class actor_system_config;
} // namespace caf

namespace tether {

using socket_id = uint64_t;

/// The reason of the 1008 close with which the transport ends a socket whose
/// send deadline (lease_atom) passed; socket_closed carries it, by_transport.
inline constexpr std::string_view lease_expired_reason = "lease expired";

/// Why a socket failed or a send was refused.
enum class transport_errc : uint8_t {
  unknown_socket = 1, ///< no open socket with that id (closed, superseded)
  queue_full,         ///< the socket's outbound queue is at its bound
  bad_url,            ///< not a ws:// or wss:// URL
  connect_failed,     ///< TCP / WebSocket handshake failed
  connect_timeout,    ///< not open within connect_timeout
  tls_failed,         ///< TLS handshake or certificate verification failed
  dns_failed,         ///< the host name did not resolve
  auth_refused,       ///< the upgrade was answered 401 or 403
  rate_limited,       ///< the upgrade was answered 429 or 503
  frame_too_large,    ///< an inbound message over max_inbound_bytes
  stopped,            ///< the transport shut down
  lease_expired,      ///< the socket's send deadline passed: nothing more leaves
  proxy_failed,       ///< the HTTP proxy could not be reached or refused the tunnel
};

caf::error make_error(transport_errc code);
caf::error make_error(transport_errc code, std::string detail);
const char* to_string(transport_errc code);
void add_transport_error_category(caf::actor_system_config& cfg);

struct socket_options {
  std::string url; ///< ws://host:port/path?query or wss://…
  caf::timespan connect_timeout{std::chrono::seconds{10}};
  size_t max_inbound_bytes = 1024 * 1024;
  /// A frame that has begun must be complete within this; otherwise the
  /// socket is closed with 1008 (a header that announces more than
  /// max_inbound_bytes closes it at once with 1009).
  caf::timespan frame_timeout{std::chrono::seconds{30}};
  size_t max_outbound_frames = 1024;
  bool verify_peer = true; ///< TLS certificate and host name checks
  /// Offer permessage-deflate (RFC 7692); used when the server accepts it.
  bool compress = true;
};

// -- events, to the socket's owner ---------------------------------------------

struct socket_opened {
  socket_id id;
  bool compressed = false; ///< permessage-deflate was negotiated
};

struct socket_received {
  socket_id id;
  protocol::wire_kind kind;
  std::string bytes;
  /// When the message came off the socket (the transport's stamp, on the
  /// clock actors use): round trips are measured from it, not from when an
  /// actor got to the message.
  caf::actor_clock::time_point arrived{};
};

/// The end of a socket that had opened. Code 1006 when no close frame came.
struct socket_closed {
  socket_id id;
  uint16_t code;
  std::string reason;
  /// The transport closed it for what came in: a frame over
  /// max_inbound_bytes (1009) or one that stalled past frame_timeout (1008).
  bool by_transport = false;
};

/// The end of a socket that never opened.
struct socket_failed {
  socket_id id;
  transport_errc why;
  int http_status = 0;     ///< the upgrade's status, when one came back
  int retry_after_s = -1;  ///< the Retry-After header in seconds, if any
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_options& x) {
  return f(caf::meta::type_name("socket_options"), x.url, x.connect_timeout,
           x.max_inbound_bytes, x.frame_timeout, x.max_outbound_frames, x.verify_peer,
           x.compress);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_opened& x) {
  return f(caf::meta::type_name("socket_opened"), x.id, x.compressed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_received& x) {
  auto binary = x.kind == protocol::wire_kind::binary;
  return f(caf::meta::type_name("socket_received"), x.id, binary, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_closed& x) {
  return f(caf::meta::type_name("socket_closed"), x.id, x.code, x.reason, x.by_transport);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, socket_failed& x) {
  auto why = static_cast<uint8_t>(x.why);
  return f(caf::meta::type_name("socket_failed"), x.id, why, x.http_status,
           x.retry_after_s, x.detail);
}

using open_atom = caf::atom_constant<caf::atom("open")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using lease_atom = caf::atom_constant<caf::atom("lease")>;

/// Whoever owns a socket receives its events.
using socket_owner_actor
  = caf::typed_actor<caf::reacts_to<socket_opened>, caf::reacts_to<socket_received>,
                     caf::reacts_to<socket_closed>, caf::reacts_to<socket_failed>>;

using transport_actor = caf::typed_actor<
  // Starts connecting; events go to the owner. A bad URL is reported as a
  // socket_failed event like any other failure.
  caf::replies_to<open_atom, socket_options, socket_owner_actor>::with<socket_id>,
  // Queues one message; `queue_full` / `unknown_socket` errors.
  caf::replies_to<send_atom, socket_id, bool /*binary*/, std::string>::with<caf::ok_atom>,
  // Closes with a code and reason; the owner then gets socket_closed.
  caf::reacts_to<close_atom, socket_id, uint16_t, std::string>,
  // Frames on the socket may leave only before this moment (the profile's
  // lease, docs/architecture.md). A frame sent later, or still queued when
  // the moment comes, is not written: the send is refused (lease_expired)
  // and the socket closed with 1008 "lease expired". Checked again by the
  // I/O thread right before each write, so frames queued before a pause of
  // the process do not leave after it.
  caf::reacts_to<lease_atom, socket_id, caf::actor_clock::time_point>,
  // Sockets currently held (for leak checks).
  caf::replies_to<count_atom>::with<size_t>>;

/// The longest connect timeout a socket may ask for; longer ones are cut to
/// it. libwebsockets' own timeouts of a connect are set above it, so the
/// socket's `connect_timeout` is what decides (lws gives up after 5 s
/// otherwise, whatever the socket asked).
constexpr auto max_connect_timeout = std::chrono::seconds{120};

struct transport_config {
  /// CA bundle for wss:// peers; empty = the system's default store.
  std::string ca_file;
  /// HTTP CONNECT proxies (docs/transport.md, "Proxies"). None: read from
  /// the environment (http_proxy, https_proxy, all_proxy, no_proxy) when
  /// the transport starts. An empty proxy_settings{} connects directly
  /// whatever the environment says.
  std::optional<protocol::proxy_settings> proxy;
  /// At most this many sockets between dial and open at once; the others
  /// wait their turn in the order they were opened (0: no limit), and a socket's
  /// connect_timeout runs from its dial. lws keeps a timer per handshake in
  /// one sorted list, so 10,000 dialed at once cost a quarter of the
  /// service thread in list walks (docs/performance.md).
  size_t max_handshakes = 256;
};

/// The proxy settings `cfg` leads to: its own, or the environment's.
/// Throws std::invalid_argument naming the variable that is unusable.
protocol::proxy_settings resolve_proxy(const transport_config& cfg);

/// Spawns the transport actor and starts its libwebsockets thread. The
/// thread stops when the actor does; stop it before the actor_system ends.
/// Throws std::invalid_argument when the environment names an unusable
/// proxy (see resolve_proxy), std::runtime_error when lws cannot start.
transport_actor spawn_transport(caf::actor_system& sys, transport_config cfg = {});

} // namespace tether

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::protocol::wire_kind)
