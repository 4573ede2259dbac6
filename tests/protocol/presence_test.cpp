// Presence on the client, rule by rule as phoenix.js's presence.js keeps it
// (docs/protocol.md, "Presence"). The differential test
// (tests/conformance/presence_differential.mjs) then compares thousands of
// generated sequences with phoenix.js itself.

#include <catch2/catch.hpp>

#include "protocol/presence.hpp"

using namespace tether::protocol;

namespace {

/// key:ref,ref;key:ref… of a map, in listing order.
std::string show(const presence_map& m) {
  std::string out;
  for (auto& [key, p] : m.list()) {
    if (!out.empty())
      out += ';';
    out += key + ':';
    for (size_t i = 0; i < p.metas.size(); ++i)
      out += (i ? "," : "") + p.metas[i].ref.substr(1);
  }
  return out;
}

presence_map state_of(const char* json) {
  auto m = decode_presence_state(json);
  REQUIRE(m);
  return *m;
}

presence_diff diff_of(const char* json) {
  auto d = decode_presence_diff(json);
  REQUIRE(d);
  return *d;
}

} // namespace

TEST_CASE("presence: a first state joins every key with all its metas", "[presence]") {
  presence_map state;
  auto changes = sync_state(state, state_of(R"({"u1":{"metas":[{"phx_ref":"1"}]},
                                                "u2":{"metas":[{"phx_ref":"2"},{"phx_ref":"3"}]}})"));
  CHECK(show(state) == "u1:1;u2:2,3");
  REQUIRE(changes.joins.size() == 2);
  CHECK(changes.joins[0].key == "u1");
  CHECK(!changes.joins[0].before);
  CHECK(changes.leaves.empty());
}

TEST_CASE("presence: a later state reports only what changed, by phx_ref", "[presence]") {
  presence_map state = state_of(R"({"u1":{"metas":[{"phx_ref":"1"},{"phx_ref":"2"}]},
                                    "u2":{"metas":[{"phx_ref":"3"}]}})");
  auto changes = sync_state(state, state_of(R"({"u1":{"metas":[{"phx_ref":"2"},{"phx_ref":"4"}]},
                                                "u3":{"metas":[{"phx_ref":"5"}]}})"));
  // u1 keeps 2 where it was, gains 4 after it, loses 1; u2 is gone; u3 new
  CHECK(show(state) == "u1:2,4;u3:5");
  REQUIRE(changes.joins.size() == 2);
  CHECK(changes.joins[0].key == "u1");
  REQUIRE(changes.joins[0].joined.metas.size() == 1);
  CHECK(changes.joins[0].joined.metas[0].ref == "s4");
  CHECK(changes.joins[1].key == "u3");
  REQUIRE(changes.leaves.size() == 2);
  CHECK(changes.leaves[0].key == "u2");
  CHECK(changes.leaves[0].remaining.metas.empty());
  CHECK(changes.leaves[1].key == "u1");
  CHECK(changes.leaves[1].left.metas[0].ref == "s1");
}

TEST_CASE("presence: a diff adds metas after the ones a key has, and a key with no meta "
          "left is gone", "[presence]") {
  presence_map state = state_of(R"({"u1":{"metas":[{"phx_ref":"1"}]}})");
  sync_diff(state, diff_of(R"({"joins":{"u1":{"metas":[{"phx_ref":"2"}]}},"leaves":{}})"));
  CHECK(show(state) == "u1:1,2");
  auto changes = sync_diff(state, diff_of(R"({"joins":{},
                                              "leaves":{"u1":{"metas":[{"phx_ref":"1"}]}}})"));
  CHECK(show(state) == "u1:2");
  CHECK(changes.leaves.at(0).remaining.metas.size() == 1);
  sync_diff(state, diff_of(R"({"joins":{},"leaves":{"u1":{"metas":[{"phx_ref":"2"}]}}})"));
  CHECK(state.empty());
  // A leave for a key that is not there changes nothing and is not reported.
  auto none = sync_diff(state, diff_of(R"({"joins":{},"leaves":{"u9":{"metas":[{"phx_ref":"9"}]}}})"));
  CHECK(none.leaves.empty());
}

TEST_CASE("presence: a join that names a meta again replaces it and moves it last; the "
          "presence's other members are the latest join's", "[presence]") {
  presence_map state = state_of(R"({"u1":{"metas":[{"phx_ref":"1","s":"a"},{"phx_ref":"2"}],
                                          "user":{"n":1}}})");
  sync_diff(state, diff_of(R"({"joins":{"u1":{"metas":[{"phx_ref":"1","s":"b"}],"user":{"n":2}}},
                               "leaves":{}})"));
  CHECK(show(state) == "u1:2,1");
  CHECK(state.find("u1")->to_json()
        == R"({"metas":[{"phx_ref":"2"},{"phx_ref":"1","s":"b"}],"user":{"n":2}})");
}

TEST_CASE("presence: keys list as phoenix.js lists them: array indices ascending, then the "
          "rest in the order they came", "[presence]") {
  presence_map state;
  sync_state(state, state_of(R"({"b":{"metas":[]},"10":{"metas":[]},"a":{"metas":[]},
                                 "2":{"metas":[]},"01":{"metas":[]},"4294967295":{"metas":[]},
                                 "4294967294":{"metas":[]}})"));
  auto keys = state.keys();
  CHECK(keys == std::vector<std::string>{"2", "10", "4294967294", "b", "a", "01", "4294967295"});
  // A key that leaves and comes back comes last again; one that changes stays.
  sync_diff(state, diff_of(R"({"joins":{"b":{"metas":[{"phx_ref":"x"}]}},"leaves":{}})"));
  sync_diff(state, diff_of(R"({"joins":{},"leaves":{"b":{"metas":[{"phx_ref":"x"}]}}})"));
  CHECK(state.keys().back() == "4294967295"); // b had no meta left: gone
  sync_diff(state, diff_of(R"({"joins":{"b":{"metas":[{"phx_ref":"y"}]}},"leaves":{}})"));
  CHECK(state.keys().back() == "b");
}

TEST_CASE("presence: phx_ref compares as JavaScript's === does", "[presence]") {
  presence_map state = state_of(R"({"u":{"metas":[{"phx_ref":1},{"phx_ref":"1"},{}]}})");
  // 1.0 is the number 1; "\u0031" is the string "1"; a meta without phx_ref
  // matches another without.
  sync_diff(state, diff_of(R"({"joins":{},"leaves":{"u":{"metas":[{"phx_ref":1.0}]}}})"));
  CHECK(state.find("u")->metas.size() == 2);
  sync_diff(state, diff_of(R"({"joins":{},"leaves":{"u":{"metas":[{"phx_ref":"\u0031"}]}}})"));
  CHECK(state.find("u")->metas.size() == 1);
  sync_diff(state, diff_of(R"({"joins":{},"leaves":{"u":{"metas":[{"x":1}]}}})"));
  CHECK(state.empty());
}

TEST_CASE("presence: what is not a presence payload is refused whole", "[presence]") {
  CHECK(!decode_presence_state("[]"));
  CHECK(!decode_presence_state(R"({"u":{"nometas":[]}})"));
  CHECK(!decode_presence_state(R"({"u":{"metas":{}}})"));
  CHECK(!decode_presence_state(R"({"u":{"metas":[1]}})"));
  CHECK(!decode_presence_state(R"({"u":1})"));
  CHECK(!decode_presence_diff(R"({"joins":{}})"));
  CHECK(!decode_presence_diff(R"({"joins":{},"leaves":[]})"));
  CHECK(decode_presence_diff(R"({"joins":{},"leaves":{}})"));
}

TEST_CASE("presence tracker: diffs between a rejoin and its state are held, then applied "
          "after that state", "[presence]") {
  presence_tracker t;
  // A diff before any state is held too (phoenix.js: no join ref yet).
  CHECK(t.on_diff(R"({"joins":{"u2":{"metas":[{"phx_ref":"2"}]}},"leaves":{}})", "1").what
        == presence_tracker::outcome::held);
  auto first = t.on_state(R"({"u1":{"metas":[{"phx_ref":"1"}]}})", "1");
  CHECK(first.what == presence_tracker::outcome::synced);
  CHECK(show(t.current()) == "u1:1;u2:2");
  CHECK(first.changes.joins.size() == 2);
  CHECK(t.held() == 0);
  // Same join: applied at once.
  CHECK(t.on_diff(R"({"joins":{},"leaves":{"u2":{"metas":[{"phx_ref":"2"}]}}})", "1").what
        == presence_tracker::outcome::synced);
  CHECK(show(t.current()) == "u1:1");
  // Rejoined as "3": held until the state of join 3 comes; the list is kept
  // meanwhile, and the new state is diffed against it.
  CHECK(t.on_diff(R"({"joins":{"u3":{"metas":[{"phx_ref":"7"}]}},"leaves":{}})", "3").what
        == presence_tracker::outcome::held);
  CHECK(show(t.current()) == "u1:1");
  auto again = t.on_state(R"({"u1":{"metas":[{"phx_ref":"1"}]}})", "3");
  CHECK(again.changes.joins.size() == 1); // u3, from the held diff; u1 unchanged
  CHECK(show(t.current()) == "u1:1;u3:7");
  // A payload that is not presence is dropped; the list stays.
  CHECK(t.on_diff("{}", "3").what == presence_tracker::outcome::invalid);
  CHECK(show(t.current()) == "u1:1;u3:7");
}
