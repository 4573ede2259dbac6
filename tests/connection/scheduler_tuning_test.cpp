// tune_scheduler_for_sockets: the settings it promises, and that a user's
// own settings parsed afterwards still win.

#include <catch2/catch.hpp>

#include <sstream>

#include <caf/all.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include "actors/runtime.hpp"

TEST_CASE("socket-friendly scheduling polls without sleeping, then waits to be "
          "woken",
          "[runtime]") {
  caf::actor_system_config cfg;
  tether::tune_scheduler_for_sockets(cfg);
  CHECK(caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{1})
        == caf::timespan{0});
  CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", int64_t{0}) == 200);
  SECTION("a user's configuration parsed afterwards overrides it") {
    std::istringstream ini{"[work-stealing]\nmoderate-poll-attempts=42\n"};
    REQUIRE_FALSE(cfg.parse(caf::actor_system_config::string_list{}, ini));
    CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", int64_t{0}) == 42);
    CHECK(caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{1})
          == caf::timespan{0});
  }
  SECTION("the running scheduler's workers use it") {
    // Read back from the workers themselves, not from the config: this is
    // what CAF's work-stealing loop polls and sleeps by.
    caf::actor_system sys{cfg};
    using coordinator = caf::scheduler::coordinator<caf::policy::work_stealing>;
    auto* ws = dynamic_cast<coordinator*>(&sys.scheduler());
    REQUIRE(ws != nullptr);
    REQUIRE(sys.scheduler().num_workers() > 0);
    for (size_t i = 0; i < sys.scheduler().num_workers(); ++i) {
      auto& moderate = ws->worker_by_id(i)->data().strategies[1];
      CHECK(moderate.sleep_duration.count() == 0);
      CHECK(moderate.attempts == 200);
    }
  }
}
