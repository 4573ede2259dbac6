// Registry: unique keys to live actors, auto-unregistration, find-or-start.

#include "helpers.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>

#include "supervision/registry.hpp"
#include "supervision/registry_state.hpp"

using namespace tether::sup;
using namespace tether::testing;

namespace {

caf::actor idle_actor(deterministic_system& t) {
  return t.sys().spawn([]() -> caf::behavior { return {[](int) {}}; });
}

} // namespace

TEST_CASE("a registered key resolves to its holder, a taken key is refused "
          "with the holder",
          "[supervision]") {
  deterministic_system t;
  auto reg = spawn_registry(t.sys());
  auto first = idle_actor(t);
  auto second = idle_actor(t);
  auto r = t.request<ok_atom>(reg, register_atom::value, std::string{"k"}, first);
  REQUIRE(static_cast<bool>(*r));
  auto found = t.request<caf::actor>(reg, lookup_atom::value, std::string{"k"});
  CHECK(**found == first);
  r = t.request<ok_atom>(reg, register_atom::value, std::string{"k"}, second);
  REQUIRE_FALSE(static_cast<bool>(*r));
  CHECK(is(r->error(), supervision_errc::already_registered));
  CHECK(holder_of(r->error()) == first);
  auto missing = t.request<caf::actor>(reg, lookup_atom::value, std::string{"x"});
  CHECK_FALSE(**missing);
}

TEST_CASE("a key is unregistered when its holder dies", "[supervision]") {
  deterministic_system t;
  auto reg = spawn_registry(t.sys());
  auto holder = idle_actor(t);
  t.request<ok_atom>(reg, register_atom::value, std::string{"a"}, holder);
  t.request<ok_atom>(reg, register_atom::value, std::string{"b"}, holder);
  caf::anon_send_exit(holder, caf::exit_reason::kill);
  t.run();
  CHECK_FALSE(**t.request<caf::actor>(reg, lookup_atom::value, std::string{"a"}));
  CHECK_FALSE(**t.request<caf::actor>(reg, lookup_atom::value, std::string{"b"}));
  CHECK(**t.request<size_t>(reg, count_atom::value) == 0);
}

TEST_CASE("explicit unregistration drops the monitor with the last key",
          "[supervision]") {
  deterministic_system t;
  auto reg = spawn_registry(t.sys());
  auto holder = idle_actor(t);
  t.request<ok_atom>(reg, register_atom::value, std::string{"a"}, holder);
  t.request<ok_atom>(reg, register_atom::value, std::string{"b"}, holder);
  auto& st = t.state_of<detail::registry_state>(reg);
  t.request<ok_atom>(reg, unregister_atom::value, std::string{"a"});
  CHECK(st.keys_of.size() == 1);
  t.request<ok_atom>(reg, unregister_atom::value, std::string{"b"});
  CHECK(st.keys_of.empty());
  CHECK(st.holders.empty());
}

TEST_CASE("100,000 register/die cycles leave the registry empty",
          "[supervision]") {
  deterministic_system t;
  auto reg = spawn_registry(t.sys());
  t.run();
  constexpr int rounds = 100;
  constexpr int per_round = 1000;
  for (int round = 0; round < rounds; ++round) {
    std::vector<caf::actor> holders;
    holders.reserve(per_round);
    for (int i = 0; i < per_round; ++i) {
      holders.push_back(idle_actor(t));
      caf::anon_send(reg, register_atom::value,
                     "key-" + std::to_string(round * per_round + i),
                     holders.back());
    }
    t.run();
    for (auto& h : holders)
      caf::anon_send_exit(h, caf::exit_reason::kill);
    t.run();
  }
  auto& st = t.state_of<detail::registry_state>(reg);
  CHECK(st.holders.empty());
  CHECK(st.keys_of.empty());
  CHECK(st.starting.empty());
}

TEST_CASE("find_or_start starts one child for concurrent callers of a key",
          "[supervision]") {
  deterministic_system t;
  auto log = std::make_shared<journal>();
  auto reg = spawn_registry(t.sys());
  auto sup = spawn_dynamic_supervisor(t.sys());
  t.run();
  constexpr int callers = 20;
  auto answers = std::make_shared<std::vector<caf::actor>>();
  for (int i = 0; i < callers; ++i) {
    // All requests are in flight before any is served.
    t.sys().spawn([=](caf::event_based_actor* self) {
      auto key = std::string{i % 2 == 0 ? "even" : "odd"};
      self
        ->request(reg, caf::infinite, find_or_start_atom::value, key, sup,
                  journaling_spec(log, key, restart_type::temporary))
        .then([=](caf::actor& a) { answers->push_back(a); },
              [](caf::error&) { FAIL("find_or_start failed"); });
    });
  }
  t.run();
  REQUIRE(answers->size() == callers);
  CHECK(log->with_prefix("start:even").size() == 1);
  CHECK(log->with_prefix("start:odd").size() == 1);
  auto even = **t.request<caf::actor>(reg, lookup_atom::value, std::string{"even"});
  auto odd = **t.request<caf::actor>(reg, lookup_atom::value, std::string{"odd"});
  CHECK(even != odd);
  for (auto& a : *answers)
    CHECK((a == even || a == odd));
  SECTION("a dead holder is replaced by the next find_or_start") {
    crash(t, even);
    CHECK_FALSE(**t.request<caf::actor>(reg, lookup_atom::value, std::string{"even"}));
    auto fresh = t.request<caf::actor>(reg, find_or_start_atom::value,
                                       std::string{"even"}, sup,
                                       journaling_spec(log, "even",
                                                       restart_type::temporary));
    REQUIRE(static_cast<bool>(*fresh));
    CHECK(**fresh != even);
    CHECK(log->with_prefix("start:even").size() == 2);
  }
  SECTION("a refused start reaches every waiting caller") {
    dynamic_supervisor_flags full;
    full.max_children = 0;
    auto no_room = spawn_dynamic_supervisor(t.sys(), full);
    auto r = t.request<caf::actor>(reg, find_or_start_atom::value,
                                   std::string{"k"}, no_room,
                                   journaling_spec(log, "k"));
    REQUIRE_FALSE(static_cast<bool>(*r));
    CHECK(is(r->error(), supervision_errc::max_children));
    CHECK(t.state_of<detail::registry_state>(reg).starting.empty());
  }
}
