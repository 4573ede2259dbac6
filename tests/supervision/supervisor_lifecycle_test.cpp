// Starting, stopping and operating a supervisor at run time.

#include "helpers.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>

using namespace tether::sup;
using namespace tether::testing;
using namespace std::chrono_literals;
using lines = std::vector<std::string>;

namespace {

child_spec failing_spec(journal_ptr log, std::string name) {
  worker_options opts;
  opts.failures_left = std::make_shared<int>(1000);
  return journaling_spec(std::move(log), std::move(name), restart_type::permanent,
                         opts);
}

} // namespace

TEST_CASE("children start in order and a failed start tears down the started "
          "ones in reverse",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "a"), journaling_spec(log, "b"),
                               failing_spec(log, "c"), journaling_spec(log, "d")});
  auto ready_slot = t.request_async<ok_atom>(sup, ready_atom::value);
  auto down = t.watch(sup);
  auto ready = *ready_slot;
  CHECK(log->lines == lines{"start:a", "start:b", "fail:c", "stop:b", "stop:a"});
  REQUIRE(ready.has_value());
  REQUIRE_FALSE(static_cast<bool>(*ready));
  REQUIRE(is(ready->error(), supervision_errc::child_start_failed));
  auto& ctx = ready->error().context();
  REQUIRE(ctx.match_element<std::string>(0));
  CHECK(ctx.get_as<std::string>(0) == "c");
  REQUIRE(down->has_value());
  CHECK(is(**down, supervision_errc::child_start_failed));
}

TEST_CASE("a nested supervisor's start failure fails its parent's start",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto top = spawn_supervisor(
    t.sys(), {},
    {journaling_spec(log, "a"),
     supervisor_child("inner", {},
                      {journaling_spec(log, "x"), failing_spec(log, "y")}),
     journaling_spec(log, "z")});
  auto ready = t.request<ok_atom>(top, ready_atom::value);
  CHECK(log->lines == lines{"start:a", "start:x", "fail:y", "stop:x", "stop:a"});
  REQUIRE(ready.has_value());
  REQUIRE_FALSE(static_cast<bool>(*ready));
  CHECK(ready->error().context().get_as<std::string>(0) == "inner");
}

TEST_CASE("ready answers ok once all children started", "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto top = spawn_supervisor(
    t.sys(), {},
    {supervisor_child("inner", {}, {journaling_spec(log, "x")}),
     journaling_spec(log, "after")});
  auto ready = t.request<ok_atom>(top, ready_atom::value);
  REQUIRE(ready.has_value());
  CHECK(static_cast<bool>(*ready));
  // the nested supervisor finished starting before the next sibling began
  CHECK(log->lines == lines{"start:x", "start:after"});
}

TEST_CASE("a shutdown request stops children in reverse start order",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "a"), journaling_spec(log, "b"),
                               journaling_spec(log, "c")});
  t.run();
  log->clear();
  auto down = t.watch(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  t.run();
  CHECK(log->lines == lines{"stop:c", "stop:b", "stop:a"});
  REQUIRE(down->has_value());
  CHECK(**down == caf::exit_reason::user_shutdown);
}

TEST_CASE("a child that ignores the shutdown request is killed after its "
          "shutdown timeout",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  worker_options stubborn;
  stubborn.ignore_shutdown = true;
  auto spec = journaling_spec(log, "stubborn", restart_type::permanent, stubborn);
  spec.shutdown = shutdown_policy::timeout(2s);
  auto sup = spawn_supervisor(t.sys(), {}, {journaling_spec(log, "first"), spec});
  t.run();
  auto victim = child(t, sup, "stubborn");
  auto victim_down = t.watch(victim);
  auto answer = std::make_shared<std::optional<caf::expected<ok_atom>>>();
  t.sys().spawn([=](caf::event_based_actor* self) {
    self->request(sup, caf::infinite, terminate_atom::value, std::string{"stubborn"})
      .then([=](ok_atom x) { *answer = x; }, [=](caf::error& e) { *answer = e; });
  });
  t.run();
  CHECK_FALSE(victim_down->has_value()); // asked, ignored
  t.advance(1999ms);
  CHECK_FALSE(victim_down->has_value());
  CHECK_FALSE(answer->has_value());
  t.advance(1ms);
  REQUIRE(victim_down->has_value());
  CHECK(**victim_down == caf::exit_reason::kill);
  REQUIRE(answer->has_value());
  CHECK(static_cast<bool>(**answer));
}

TEST_CASE("brutal_kill stops a child at once", "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  worker_options stubborn;
  stubborn.ignore_shutdown = true;
  auto spec = journaling_spec(log, "s", restart_type::permanent, stubborn);
  spec.shutdown = shutdown_policy::brutal_kill();
  auto sup = spawn_supervisor(t.sys(), {}, {spec});
  t.run();
  auto r = t.request<ok_atom>(sup, terminate_atom::value, std::string{"s"});
  REQUIRE(r.has_value());
  CHECK(static_cast<bool>(*r));
  CHECK(log->lines.back() == "stop:s");
}

TEST_CASE("no child outlives a killed supervisor", "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "a"), journaling_spec(log, "b")});
  t.run();
  auto a = t.watch(child(t, sup, "a"));
  auto b = t.watch(child(t, sup, "b"));
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  t.run();
  CHECK(a->has_value());
  CHECK(b->has_value());
}

TEST_CASE("the actor that started a supervisor gets no exit signal when it "
          "gives up",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup_slot = std::make_shared<supervisor_actor>();
  supervisor_flags flags;
  flags.max_restarts = 0;
  auto starter = t.sys().spawn([=](caf::event_based_actor* self) -> caf::behavior {
    *sup_slot = spawn_supervisor(self->system(), flags,
                                 {journaling_spec(log, "w")});
    return {[](int) {}};
  });
  t.run();
  auto starter_down = t.watch(starter);
  auto sup_down = t.watch(*sup_slot);
  crash(t, child(t, *sup_slot, "w"));
  REQUIRE(sup_down->has_value());
  CHECK_FALSE(starter_down->has_value());
}

TEST_CASE("runtime operations: which, count, terminate, restart, delete, start",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_supervisor(t.sys(), {},
                              {journaling_spec(log, "a"),
                               supervisor_child("inner", {}, {})});
  t.run();
  auto counts = [&] {
    auto r = t.request<child_counts>(sup, count_atom::value);
    REQUIRE(r.has_value());
    REQUIRE(static_cast<bool>(*r));
    return **r;
  };
  auto n = counts();
  CHECK(n.specs == 2);
  CHECK(n.active == 2);
  CHECK(n.workers == 1);
  CHECK(n.supervisors == 1);

  SECTION("terminate keeps the spec; restart brings it back") {
    auto r = t.request<ok_atom>(sup, terminate_atom::value, std::string{"a"});
    REQUIRE(static_cast<bool>(*r));
    CHECK(counts().active == 1);
    CHECK(counts().specs == 2);
    auto rows = which(t, sup); // reverse start order, as OTP's which_children
    REQUIRE(rows.size() == 2);
    CHECK(rows.at(1).id == "a");
    CHECK(rows.at(1).status == child_status::terminated);
    auto again = t.request<caf::actor>(sup, restart_atom::value, std::string{"a"});
    REQUIRE(static_cast<bool>(*again));
    CHECK(**again == child(t, sup, "a"));
    CHECK(log->with_prefix("start:a").size() == 2);
  }
  SECTION("delete refuses a running child and forgets a stopped one") {
    auto r = t.request<ok_atom>(sup, delete_atom::value, std::string{"a"});
    REQUIRE_FALSE(static_cast<bool>(*r));
    CHECK(is(r->error(), supervision_errc::child_running));
    t.request<ok_atom>(sup, terminate_atom::value, std::string{"a"});
    r = t.request<ok_atom>(sup, delete_atom::value, std::string{"a"});
    CHECK(static_cast<bool>(*r));
    CHECK(counts().specs == 1);
    r = t.request<ok_atom>(sup, delete_atom::value, std::string{"a"});
    CHECK(is(r->error(), supervision_errc::child_not_found));
  }
  SECTION("restart refuses a running child") {
    auto r = t.request<caf::actor>(sup, restart_atom::value, std::string{"a"});
    CHECK(is(r->error(), supervision_errc::child_running));
  }
  SECTION("start adds a spec; a duplicate id is refused with the holder") {
    auto r = t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "b"));
    REQUIRE(static_cast<bool>(*r));
    CHECK(counts().specs == 3);
    auto dup = t.request<caf::actor>(sup, start_atom::value,
                                     journaling_spec(log, "b"));
    REQUIRE_FALSE(static_cast<bool>(*dup));
    CHECK(is(dup->error(), supervision_errc::already_started));
    CHECK(holder_of(dup->error()) == **r);
    t.request<ok_atom>(sup, terminate_atom::value, std::string{"b"});
    dup = t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "b"));
    CHECK(is(dup->error(), supervision_errc::already_present));
  }
  SECTION("a failing start leaves no spec behind") {
    auto r = t.request<caf::actor>(sup, start_atom::value, failing_spec(log, "bad"));
    REQUIRE_FALSE(static_cast<bool>(*r));
    CHECK(is(r->error(), supervision_errc::child_start_failed));
    CHECK(counts().specs == 2);
  }
  SECTION("unknown ids are reported") {
    auto r = t.request<ok_atom>(sup, terminate_atom::value, std::string{"nope"});
    CHECK(is(r->error(), supervision_errc::child_not_found));
  }
}

TEST_CASE("a start function that throws fails the start, not the supervisor",
          "[supervision]") {
  deterministic_system t;
  auto sup = spawn_supervisor(t.sys(), {}, {});
  t.run();
  child_spec spec;
  spec.id = "thrower";
  spec.start = [](caf::actor_system&) -> caf::expected<caf::actor> {
    throw std::runtime_error("boom");
  };
  auto r = t.request<caf::actor>(sup, start_atom::value, spec);
  REQUIRE(r.has_value());
  REQUIRE_FALSE(static_cast<bool>(*r));
  CHECK(is(r->error(), supervision_errc::child_start_failed));
  auto again = t.request<child_counts>(sup, count_atom::value);
  REQUIRE(static_cast<bool>(*again));
}
