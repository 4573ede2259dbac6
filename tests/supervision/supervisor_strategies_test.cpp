// Which children a supervisor restarts, in which order, and when it gives up.

#include "helpers.hpp"

#include <caf/exit_reason.hpp>

using namespace tether::sup;
using namespace tether::testing;
using namespace std::chrono_literals;
using lines = std::vector<std::string>;

namespace {

struct three_children {
  deterministic_system t;
  journal_ptr log = std::make_shared<journal>();
  supervisor_actor sup;

  explicit three_children(restart_strategy strategy, int max_restarts = 3) {
    supervisor_flags flags;
    flags.strategy = strategy;
    flags.max_restarts = max_restarts;
    sup = spawn_supervisor(t.sys(), flags,
                           {journaling_spec(log, "a"), journaling_spec(log, "b"),
                            journaling_spec(log, "c")});
    t.run();
    REQUIRE(log->lines == lines{"start:a", "start:b", "start:c"});
    log->clear();
  }
};

} // namespace

TEST_CASE("one_for_one restarts only the child that terminated",
          "[supervision]") {
  three_children f{restart_strategy::one_for_one};
  auto a = child(f.t, f.sup, "a");
  auto c = child(f.t, f.sup, "c");
  crash(f.t, child(f.t, f.sup, "b"));
  CHECK(f.log->lines == lines{"stop:b", "start:b"});
  CHECK(child(f.t, f.sup, "a") == a);
  CHECK(child(f.t, f.sup, "c") == c);
}

TEST_CASE("one_for_all stops the others in reverse order, then restarts all "
          "in start order",
          "[supervision]") {
  three_children f{restart_strategy::one_for_all};
  crash(f.t, child(f.t, f.sup, "b"));
  CHECK(f.log->lines
        == lines{"stop:b", "stop:c", "stop:a", "start:a", "start:b", "start:c"});
}

TEST_CASE("rest_for_one restarts the child and those started after it",
          "[supervision]") {
  three_children f{restart_strategy::rest_for_one};
  auto a = child(f.t, f.sup, "a");
  crash(f.t, child(f.t, f.sup, "b"));
  CHECK(f.log->lines == lines{"stop:b", "stop:c", "start:b", "start:c"});
  CHECK(child(f.t, f.sup, "a") == a);
  SECTION("the last child's crash touches no sibling") {
    f.log->clear();
    crash(f.t, child(f.t, f.sup, "c"));
    CHECK(f.log->lines == lines{"stop:c", "start:c"});
  }
}

TEST_CASE("a transient child restarts after an abnormal exit only",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "tr", restart_type::transient)});
  t.run();
  SECTION("abnormal exit: restarted") {
    crash(t, child(t, sup, "tr"));
    CHECK(log->with_prefix("start:").size() == 2);
    CHECK(which(t, sup).at(0).status == child_status::running);
  }
  SECTION("normal exit: not restarted, spec kept") {
    finish(t, child(t, sup, "tr"));
    CHECK(log->with_prefix("start:").size() == 1);
    auto rows = which(t, sup);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == child_status::terminated);
    CHECK_FALSE(rows[0].handle);
  }
  SECTION("shutdown exit counts as clean") {
    caf::anon_send_exit(child(t, sup, "tr"), caf::exit_reason::user_shutdown);
    t.run();
    CHECK(log->with_prefix("start:").size() == 1);
  }
}

TEST_CASE("a temporary child is never restarted and its spec is forgotten",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "tmp", restart_type::temporary),
                               journaling_spec(log, "keep")});
  t.run();
  SECTION("after a crash") {
    crash(t, child(t, sup, "tmp"));
  }
  SECTION("after a normal exit") {
    finish(t, child(t, sup, "tmp"));
  }
  CHECK(log->with_prefix("start:tmp").size() == 1);
  auto rows = which(t, sup);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == "keep");
}

TEST_CASE("a temporary child is not restarted by one_for_all either",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  supervisor_flags flags;
  flags.strategy = restart_strategy::one_for_all;
  auto sup = spawn_supervisor(t.sys(), flags,
                              {journaling_spec(log, "a"),
                               journaling_spec(log, "tmp", restart_type::temporary)});
  t.run();
  log->clear();
  crash(t, child(t, sup, "a"));
  CHECK(log->lines == lines{"stop:a", "stop:tmp", "start:a"});
  CHECK(which(t, sup).size() == 1);
}

TEST_CASE("exceeding the restart intensity stops all children in reverse "
          "order and exits with reached_max_restart_intensity",
          "[supervision]") {
  three_children f{restart_strategy::one_for_one, 3};
  auto down = f.t.watch(f.sup);
  for (int i = 0; i < 3; ++i) {
    crash(f.t, child(f.t, f.sup, "b"));
    f.t.advance(1s);
  }
  CHECK_FALSE(down->has_value());
  f.log->clear();
  crash(f.t, child(f.t, f.sup, "b")); // 4th restart within 5 s
  REQUIRE(down->has_value());
  CHECK(is(**down, supervision_errc::reached_max_restart_intensity));
  CHECK(f.log->lines == lines{"stop:b", "stop:c", "stop:a"});
}

TEST_CASE("restarts spaced beyond the period keep the supervisor alive",
          "[supervision]") {
  three_children f{restart_strategy::one_for_one, 1};
  auto down = f.t.watch(f.sup);
  for (int i = 0; i < 20; ++i) {
    crash(f.t, child(f.t, f.sup, "a"));
    f.t.advance(6s);
  }
  CHECK_FALSE(down->has_value());
  CHECK(f.log->with_prefix("start:a").size() == 20);
}

TEST_CASE("intensity escalates through a nested tree", "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  supervisor_flags strict;
  strict.max_restarts = 1;
  auto top = spawn_supervisor(
    t.sys(), strict,
    {journaling_spec(log, "sibling"),
     supervisor_child("inner", strict, {journaling_spec(log, "w")})});
  t.run();
  auto top_down = t.watch(top);
  auto inner = child(t, top, "inner");
  auto inner_down = t.watch(inner);
  // Two crashes of w inside 5 s exceed inner's intensity of 1.
  crash(t, child(t, caf::actor_cast<supervisor_actor>(inner), "w"));
  crash(t, child(t, caf::actor_cast<supervisor_actor>(inner), "w"));
  REQUIRE(inner_down->has_value());
  CHECK(is(**inner_down, supervision_errc::reached_max_restart_intensity));
  // top restarted inner once (its one allowed restart) ...
  CHECK_FALSE(top_down->has_value());
  auto inner2 = caf::actor_cast<supervisor_actor>(child(t, top, "inner"));
  REQUIRE(inner2);
  CHECK(caf::actor_cast<caf::actor>(inner2) != inner);
  // ... and gives up when inner fails again within the period.
  log->clear();
  crash(t, child(t, inner2, "w"));
  crash(t, child(t, inner2, "w"));
  REQUIRE(top_down->has_value());
  CHECK(is(**top_down, supervision_errc::reached_max_restart_intensity));
  CHECK(log->lines.back() == "stop:sibling");
}

TEST_CASE("a failed restart is retried and counted against the intensity",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  worker_options opts;
  opts.failures_left = std::make_shared<int>(0);
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "flaky",
                                               restart_type::permanent, opts)});
  t.run();
  auto down = t.watch(sup);
  SECTION("recovers when a retry succeeds") {
    *opts.failures_left = 2; // restart 1 fails, retry 1 fails, retry 2 works
    crash(t, child(t, sup, "flaky"));
    CHECK(log->with_prefix("fail:").size() == 2);
    CHECK(which(t, sup).at(0).status == child_status::running);
    CHECK_FALSE(down->has_value());
  }
  SECTION("gives up when retries exceed the intensity") {
    *opts.failures_left = 100;
    crash(t, child(t, sup, "flaky"));
    REQUIRE(down->has_value());
    CHECK(is(**down, supervision_errc::reached_max_restart_intensity));
    CHECK(log->with_prefix("fail:").size() == 3);
  }
}
