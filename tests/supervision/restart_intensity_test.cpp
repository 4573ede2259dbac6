// The restart window as supervisor.erl counts it: restart times in whole
// seconds of the monotonic clock, a restart R forgotten only once
// R < Now - Period (docs/supervision.md, "Restart intensity").

#include <catch2/catch.hpp>

#include "supervision/restart_intensity.hpp"

using tether::sup::restart_intensity;
using namespace std::chrono_literals;

namespace {
// A whole second of the clock, so that offsets below read as fractions of it.
const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
} // namespace

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

TEST_CASE("restart times count in whole seconds: period 1 spans the next second",
          "[supervision]") {
  SECTION("1.1 s apart, from just after a second boundary: still within") {
    restart_intensity ri{1, 1s};
    CHECK(ri.add_restart(t0 + 50ms));
    CHECK_FALSE(ri.add_restart(t0 + 1150ms));
  }
  SECTION("1.1 s apart, from late in a second: two seconds on, forgotten") {
    restart_intensity ri{1, 1s};
    CHECK(ri.add_restart(t0 + 900ms));
    CHECK(ri.add_restart(t0 + 2000ms));
  }
  SECTION("2.1 s apart: always forgotten") {
    restart_intensity ri{1, 1s};
    CHECK(ri.add_restart(t0 + 999ms));
    CHECK(ri.add_restart(t0 + 3099ms));
  }
}

TEST_CASE("a restart counts until its second is older than the period",
          "[supervision]") {
  restart_intensity ri{1, 5s};
  CHECK(ri.add_restart(t0));
  CHECK_FALSE(ri.add_restart(t0 + 5999ms)); // second 1005: 1000 >= 1005 - 5
  restart_intensity later{1, 5s};
  CHECK(later.add_restart(t0));
  CHECK(later.add_restart(t0 + 6s)); // second 1006: 1000 < 1006 - 5
}

TEST_CASE("zero intensity refuses the first restart", "[supervision]") {
  restart_intensity ri{0, 5s};
  CHECK_FALSE(ri.add_restart(t0));
}
