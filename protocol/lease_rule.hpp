#pragma once
// The lease rule (pure): how long a node may use a profile's lease after it
// asked for it, and how often it renews. The node that holds a lease is the
// only one allowed to keep the profile's socket; Redis (or any lease store)
// lets the lease lapse `ttl` after the server handled the last claim or
// renewal. The holder must stop before that, on its own clock, whatever
// the store answers later, so it counts from when it *sent* the request: the
// server cannot have started the lease's time earlier than that. A slow
// answer, a lost one, or a pause of the whole process only ever shortens
// the time the holder believes it has. docs/operations.md ("Running several
// nodes") states the assumptions.

#include <chrono>
#include <optional>
#include <string>

namespace tether::protocol {

struct lease_rule {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::steady_clock::time_point;

  /// How long the store keeps a lease nobody renews.
  duration ttl = std::chrono::seconds{15};
  /// The holder stops this long before the store could let the lease go:
  /// room for clocks that run at slightly different rates, and for the
  /// socket's close to take effect.
  duration margin = std::chrono::seconds{3};

  /// Renewals go this often: three per ttl, so one lost renewal still
  /// leaves another before the lease stops being usable.
  duration renew_every() const {
    return ttl / 3;
  }

  /// After a renewal that did not reach the store, the next try comes this
  /// soon (five per renewal interval), so a short outage of the store is
  /// bridged before the lease stops being usable.
  duration retry_every() const {
    return renew_every() / 5;
  }

  /// The last moment a lease claimed or renewed by a request sent at
  /// `sent` may be used.
  time_point usable_until(time_point sent) const {
    return sent + ttl - margin;
  }

  /// Why these values cannot work, or nothing: the margin must be positive
  /// and leave room for two renewals before the lease stops being usable
  /// (margin < ttl / 3).
  std::optional<std::string> check() const;
};

} // namespace tether::protocol
