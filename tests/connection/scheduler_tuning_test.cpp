// tune_scheduler_for_sockets: the settings it promises, and that a user's
// own settings parsed afterwards still win.

#include <catch2/catch.hpp>

#include <sstream>

#include <caf/all.hpp>

#include "actors/runtime.hpp"

TEST_CASE("socket-friendly scheduling polls without sleeping, then waits to be "
          "woken",
          "[runtime]") {
  caf::actor_system_config cfg;
  tether::tune_scheduler_for_sockets(cfg);
  CHECK(caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{1})
        == caf::timespan{0});
  CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", int64_t{0}) == 5000);
  SECTION("a user's configuration parsed afterwards overrides it") {
    std::istringstream ini{"[work-stealing]\nmoderate-poll-attempts=42\n"};
    REQUIRE_FALSE(cfg.parse(caf::actor_system_config::string_list{}, ini));
    CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", int64_t{0}) == 42);
    CHECK(caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{1})
          == caf::timespan{0});
  }
  SECTION("an actor system starts with it") {
    caf::actor_system sys{cfg};
    CHECK(sys.scheduler().num_workers() > 0);
  }
}
