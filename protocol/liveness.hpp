#pragma once
// The judge of whether the peer is alive (seeds 001, 002), as a pure value.
// Pings are correlated by nonce (on Phoenix: the heartbeat's ref). Pings go
// out at a steady cadence from the previous emit, whatever the pongs do.
//
// - Every ping is judged `timeout` after it left, also when the timeout is
//   longer than the interval and several are out: a frozen server is found
//   dead about timeout + max_missed x interval after it was last heard.
// - A pong counts only if it carries the nonce of a ping out; mismatched and
//   late pongs are ignored.
// - Any inbound frame since a ping also proves the peer alive.
// - Up to `max_missed` consecutive misses are tolerated.
// - A peer that has never answered a ping is never declared dead for
//   silence: it may simply not implement heartbeats.

#include <chrono>
#include <cstdint>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/backoff.hpp"

namespace tether::protocol {

struct liveness_config {
  duration interval = 30s;   ///< between pings, from emit to emit
  duration timeout = 10s;    ///< how long a ping waits for its pong
  uint32_t max_missed = 2;   ///< consecutive misses tolerated
};

enum class verdict : uint8_t {
  alive,  ///< answered, or other traffic seen
  missed, ///< no sign of life for this ping, still tolerated
  dead,   ///< past max_missed: close and reconnect
};

class liveness_judge {
public:
  explicit liveness_judge(liveness_config cfg = {}) : cfg_(cfg) {
  }

  /// A ping with `nonce` left at `now` (`sent` is when it was handed to the
  /// transport, for the round trip; `now` by default). Returns when to call
  /// on_check for it. Every ping is judged, also while others are out.
  time_point on_ping(std::string nonce, time_point now,
                     std::optional<time_point> sent = std::nullopt);

  /// A pong arrived. If it answers a ping out, returns when that ping was
  /// sent; any such pong is also a sign of life for every ping out.
  std::optional<time_point> on_pong(std::string_view nonce);

  /// The ping with `nonce` never left (its send failed): it is not judged.
  void on_void(std::string_view nonce);

  /// Any inbound frame: a sign of life for every ping out.
  void on_activity();

  /// The timeout of the ping `nonce` has come: alive if anything came in
  /// since it left. A nonce not out (voided, judged) is `alive`.
  verdict on_check(std::string_view nonce);

  /// A new socket to the same server: its pings start with a clean slate,
  /// but a server that has answered before stays one that answers, so the
  /// never-answered grace does not return with every reconnect.
  void on_new_socket() noexcept;

  /// A ping is out and its check has not run yet.
  bool awaiting() const noexcept {
    return !out_.empty();
  }

  /// The ping with `nonce` is out.
  bool awaiting(std::string_view nonce) const noexcept;

  bool ever_answered() const noexcept {
    return ever_answered_;
  }

  uint32_t missed() const noexcept {
    return missed_;
  }

  const liveness_config& config() const noexcept {
    return cfg_;
  }

private:
  struct ping {
    std::string nonce;
    time_point sent;
    bool heard = false;    ///< a pong or any frame arrived since it left
    bool answered = false; ///< its own pong arrived (kept apart from `heard`:
                           ///< under steady traffic a reply always comes first)
  };

  liveness_config cfg_;
  // A vector, not a deque: an empty std::deque allocates 576 bytes, and
  // every tree holds a judge with at most a ping or two out.
  std::vector<ping> out_; ///< pings not judged yet, oldest first
  bool ever_answered_ = false;
  uint32_t missed_ = 0;
};

/// The heartbeat interval (seed 004's dynamic mode): `fast` while activity
/// was seen within `window`, `slow` otherwise; always `slow` when not dynamic.
struct heartbeat_config {
  duration slow = 30s;
  std::optional<duration> fast; ///< set to enable the dynamic interval
  duration window = 15min;
  /// Timer slack: each tick fires at the first multiple of this step (on
  /// the clock's epoch) at or after its due time, never before it; zero
  /// fires it exactly. Ticks of many trees due within one step then fire
  /// together: one wake-up of the clock, a worker and the socket thread
  /// for them all, instead of one each (docs/architecture.md, "Timers").
  /// With intervals that are multiples of the step, only the first tick
  /// after a start is moved; the cadence stays the interval.
  duration slack = 0s;
};

/// When a timer due at `due` fires with `slack` (see heartbeat_config).
time_point coalesce(time_point due, duration slack);

duration heartbeat_interval(const heartbeat_config& cfg,
                            std::optional<time_point> last_activity,
                            time_point now);

} // namespace tether::protocol
