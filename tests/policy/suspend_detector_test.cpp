// Wake-from-suspend detection from the two clocks.

#include <catch2/catch.hpp>

#include "protocol/suspend_detector.hpp"

using namespace std::chrono_literals;
using tether::protocol::suspend_detector;

TEST_CASE("boot time running ahead of monotonic time by more than the threshold is a wake",
          "[protocol][suspend]") {
  suspend_detector d{2s};
  CHECK_FALSE(d.observe(100s, 150s)); // the first sample only sets the baseline
  CHECK_FALSE(d.observe(105s, 155s)); // both clocks moved alike: awake all along
  CHECK_FALSE(d.observe(110s, 161s)); // 1 s of drift: under the threshold
  CHECK(d.observe(115s, 3766s));      // an hour asleep between samples
  CHECK_FALSE(d.observe(120s, 3771s)); // and awake again since
}
