#pragma once
// OTP restart intensity as a pure value: at most `max_restarts` restarts
// within `period`, counted the way supervisor.erl counts them. Time is a
// parameter, so it runs on the actor clock in production and on virtual time
// in tests.
//
// OTP keeps each restart's time in whole seconds of the monotonic clock and
// forgets a restart R only once R < Now - Period (add_restart/3). A window
// of period P therefore spans between P and P + 1 seconds of real time:
// with period 1, restarts 1.1 s apart can still be "within" it
// (docs/supervision.md, "Restart intensity").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tether::sup {

class restart_intensity {
public:
  using time_point = std::chrono::steady_clock::time_point;

  restart_intensity() = default;

  restart_intensity(int max_restarts, std::chrono::seconds period)
    : max_restarts_(max_restarts), period_(period) {
  }

  /// Records a restart at `now`. Returns false when this restart exceeds the
  /// intensity, i.e. the supervisor must give up.
  bool add_restart(time_point now);

  /// Restarts currently inside the window ending at the last recorded one.
  size_t recent() const noexcept {
    return restarts_.size();
  }

private:
  int max_restarts_ = 3;
  std::chrono::seconds period_{5};
  // whole seconds, oldest first; a vector, since an empty std::deque
  // allocates 576 bytes and every tree holds two supervisors
  std::vector<int64_t> restarts_;
};

} // namespace tether::sup
