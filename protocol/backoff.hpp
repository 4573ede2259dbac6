#pragma once
// The reconnect policy as a pure value (seeds 001 and 004, plus the known
// pain points of Phoenix/Slipstream/socket.io users). Time and randomness
// are parameters, so virtual time drives it in tests.
//
// - Exponential from `initial` to `ceiling`, optionally with full jitter.
// - One budget covers connect AND join: only a joined connection that stayed
//   up `stable_after` resets it, so a server that accepts and then drops or
//   never answers the join cannot cause a tight loop.
// - At least `floor_after_drop` before reconnecting after an established
//   connection dropped; with full jitter the draw is spread above the floor,
//   so clients dropped together do not all return at the floor.
// - Refused credentials (401/403) retry only every `auth_retry`; a
//   Retry-After from the server is honoured.
// - A network change or wake-up reconnects at once and restarts the curve.
// - With a `window`, an outage longer than it ends in "give up".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tether::protocol {

using namespace std::chrono_literals;
using duration = std::chrono::nanoseconds;
using time_point = std::chrono::steady_clock::time_point;

/// Why the connection is not up (carried on every "reconnecting" event).
enum class drop_cause : uint8_t {
  connect_error,     ///< the socket never opened
  closed_by_peer,    ///< the server closed an open socket
  heartbeat_timeout, ///< the peer stopped answering (liveness)
  join_timeout,      ///< the socket opened but the join got no answer
  auth,              ///< the upgrade was refused with 401/403
  rate_limited,      ///< 429/503, possibly with Retry-After
  network_change,    ///< the machine's addresses or links changed
  wake,              ///< the machine resumed from suspend
  crashed,           ///< the connection actor crashed and was restarted
  requested,         ///< the application asked to disconnect (never retried)
  connect_timeout,   ///< the socket did not open within its connect timeout
  tls_failed,        ///< the TLS handshake or the certificate check failed
  frame_too_large,   ///< we closed it: an inbound frame over the size limit
  frame_stalled,     ///< we closed it: an inbound frame not complete in time
  dns_failed,        ///< the server's host name did not resolve
  lease_expired,     ///< we closed it: the profile's lease was not renewed in time
  proxy_failed,      ///< the HTTP proxy was unreachable or refused the tunnel
};

std::string_view to_string(drop_cause cause) noexcept;

struct backoff_config {
  duration initial = 1s;
  duration ceiling = 30s;
  double factor = 2.0;
  bool full_jitter = false;
  duration stable_after = 10s;
  duration floor_after_drop = 1s;
  duration auth_retry = 60s;
  std::optional<duration> window; ///< total outage budget; none = forever
};

struct retry_decision {
  bool give_up = false;     ///< the window is spent: stop, report gave up
  duration delay{0};        ///< wait this long, then attempt
  uint32_t attempt = 0;     ///< 1 for the first retry of an outage
  duration outage{0};       ///< time since the outage began
};

class backoff {
public:
  explicit backoff(backoff_config cfg = {}) : cfg_(cfg) {
  }

  /// A connection attempt failed, or a connection went down. `random` is a
  /// uniformly distributed 64-bit number (used only with full jitter).
  retry_decision on_failure(time_point now, drop_cause cause,
                            std::optional<duration> retry_after = std::nullopt,
                            uint64_t random = 0);

  /// The attempt fully succeeded: socket open and topics joined.
  void on_joined(time_point now);

  /// The network changed or the machine woke: the next attempt goes at once.
  void on_network_event();

  /// An attempt goes now, outside the curve (a waiting retry was sent early
  /// after a network event): the curve starts over from `initial`.
  void restart_curve() noexcept {
    attempts_ = 0;
  }

  uint32_t attempts() const noexcept {
    return attempts_;
  }

  const backoff_config& config() const noexcept {
    return cfg_;
  }

private:
  duration curve(uint32_t attempt) const;

  backoff_config cfg_;
  uint32_t attempts_ = 0;                ///< failures since the last stable join
  std::optional<time_point> joined_at_;  ///< when the current connection joined
  std::optional<time_point> outage_start_;
  bool immediate_ = false;
};

} // namespace tether::protocol
