#pragma once
// Wake-from-suspend detection as a pure value (seed 004). CLOCK_MONOTONIC
// stops while the machine sleeps; CLOCK_BOOTTIME keeps counting. Between
// two samples, boot time advancing past monotonic time by more than a
// threshold means the machine was suspended in between.

#include <chrono>
#include <optional>

namespace tether::protocol {

class suspend_detector {
public:
  using duration = std::chrono::nanoseconds;

  explicit suspend_detector(duration threshold = std::chrono::seconds{2})
    : threshold_(threshold) {
  }

  /// One sample of both clocks; true if a suspend ended since the last one.
  bool observe(duration monotonic, duration boottime);

private:
  duration threshold_;
  std::optional<duration> gap_; ///< boottime - monotonic at the last sample
};

} // namespace tether::protocol
