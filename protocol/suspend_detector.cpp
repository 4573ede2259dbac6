#include "protocol/suspend_detector.hpp"

namespace tether::protocol {

bool suspend_detector::observe(duration monotonic, duration boottime) {
  auto gap = boottime - monotonic; // grows only by time spent suspended
  bool woke = gap_ && gap - *gap_ > threshold_;
  gap_ = gap;
  return woke;
}

} // namespace tether::protocol
