// DynamicSupervisor: children started at run time, addressed by actor.

#include "helpers.hpp"

using namespace tether::sup;
using namespace tether::testing;
using namespace std::chrono_literals;

TEST_CASE("a dynamic supervisor starts, lists and terminates children",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_dynamic_supervisor(t.sys());
  auto a = t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "a"));
  auto b = t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "b"));
  REQUIRE(static_cast<bool>(*a));
  REQUIRE(static_cast<bool>(*b));
  auto rows = which(t, sup);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].handle == **a);
  CHECK(rows[1].handle == **b);
  auto r = t.request<ok_atom>(sup, terminate_atom::value, **a);
  CHECK(static_cast<bool>(*r));
  CHECK(which(t, sup).size() == 1);
  // As OTP: stopping an actor that has already ended is ok, so a repeated
  // terminate is harmless; a live actor that is no child is not_found.
  r = t.request<ok_atom>(sup, terminate_atom::value, **a);
  REQUIRE(r.has_value());
  CHECK(static_cast<bool>(*r));
  auto stranger = t.sys().spawn([] { return caf::behavior{[](int) {}}; });
  r = t.request<ok_atom>(sup, terminate_atom::value, stranger);
  REQUIRE(r.has_value());
  REQUIRE_FALSE(static_cast<bool>(*r));
  CHECK(is(r->error(), supervision_errc::child_not_found));
  caf::anon_send_exit(stranger, caf::exit_reason::kill);
}

TEST_CASE("a dynamic supervisor refuses children beyond max_children",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  dynamic_supervisor_flags flags;
  flags.max_children = 2;
  auto sup = spawn_dynamic_supervisor(t.sys(), flags);
  for (auto name : {"a", "b"})
    REQUIRE(static_cast<bool>(
      *t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, name))));
  auto third = t.request<caf::actor>(sup, start_atom::value,
                                     journaling_spec(log, "c"));
  REQUIRE_FALSE(static_cast<bool>(*third));
  CHECK(is(third->error(), supervision_errc::max_children));
  CHECK(log->with_prefix("start:c").empty());
  SECTION("room frees up when a child goes") {
    t.request<ok_atom>(sup, terminate_atom::value, child(t, sup, "a"));
    CHECK(static_cast<bool>(
      *t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "c"))));
  }
}

TEST_CASE("a dynamic supervisor restarts per restart type, one_for_one",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto sup = spawn_dynamic_supervisor(t.sys());
  t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "perm"));
  t.request<caf::actor>(sup, start_atom::value,
                        journaling_spec(log, "temp", restart_type::temporary));
  t.request<caf::actor>(sup, start_atom::value,
                        journaling_spec(log, "trans", restart_type::transient));
  log->clear();
  crash(t, child(t, sup, "perm"));
  CHECK(log->lines == std::vector<std::string>{"stop:perm", "start:perm"});
  crash(t, child(t, sup, "temp"));
  finish(t, child(t, sup, "trans"));
  auto rows = which(t, sup);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == "perm");
}

TEST_CASE("a dynamic supervisor gives up past its intensity", "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  dynamic_supervisor_flags flags;
  flags.max_restarts = 1;
  auto sup = spawn_dynamic_supervisor(t.sys(), flags);
  t.request<caf::actor>(sup, start_atom::value, journaling_spec(log, "w"));
  auto down = t.watch(sup);
  crash(t, child(t, sup, "w"));
  CHECK_FALSE(down->has_value());
  crash(t, child(t, sup, "w"));
  REQUIRE(down->has_value());
  CHECK(is(**down, supervision_errc::reached_max_restart_intensity));
}
