#pragma once
// OTP restart intensity as a pure value: at most `max_restarts` restarts
// within any window of `period`. Time is a parameter, so it runs on the
// actor clock in production and on virtual time in tests.

#include <chrono>
#include <cstddef>
#include <list>

#include <caf/timespan.hpp>

namespace tether::sup {

class restart_intensity {
public:
  using time_point = std::chrono::steady_clock::time_point;

  restart_intensity() = default;

  restart_intensity(int max_restarts, caf::timespan period)
    : max_restarts_(max_restarts), period_(period) {
  }

  /// Records a restart at `now`. Returns false when this restart exceeds the
  /// intensity, i.e. the supervisor must give up. Restarts older than
  /// `period` are forgotten; one exactly `period` old still counts (OTP).
  bool add_restart(time_point now);

  /// Restarts currently inside the window ending at the last recorded one.
  size_t recent() const noexcept {
    return restarts_.size();
  }

private:
  int max_restarts_ = 3;
  caf::timespan period_{std::chrono::seconds{5}};
  std::list<time_point> restarts_; // oldest first
};

} // namespace tether::sup
