#include <catch2/catch.hpp>

#include "supervision/restart_intensity.hpp"

using tether::sup::restart_intensity;
using namespace std::chrono_literals;

namespace {
const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
}

TEST_CASE("restart intensity allows max_restarts within the period, not one more",
          "[supervision]") {
  restart_intensity ri{3, 5s};
  CHECK(ri.add_restart(t0));
  CHECK(ri.add_restart(t0 + 1s));
  CHECK(ri.add_restart(t0 + 2s));
  CHECK_FALSE(ri.add_restart(t0 + 3s));
}

TEST_CASE("restarts spaced beyond the period never accumulate", "[supervision]") {
  restart_intensity ri{1, 5s};
  for (int i = 0; i < 100; ++i)
    REQUIRE(ri.add_restart(t0 + i * 6s));
  CHECK(ri.recent() == 1);
}

TEST_CASE("a restart exactly one period old still counts (OTP's rule)",
          "[supervision]") {
  restart_intensity ri{1, 5s};
  CHECK(ri.add_restart(t0));
  CHECK_FALSE(ri.add_restart(t0 + 5s));
  restart_intensity later{1, 5s};
  CHECK(later.add_restart(t0));
  CHECK(later.add_restart(t0 + 5s + 1ns));
}

TEST_CASE("zero intensity refuses the first restart", "[supervision]") {
  restart_intensity ri{0, 5s};
  CHECK_FALSE(ri.add_restart(t0));
}
