// Ack-on-send: every push resolves exactly once, with the right outcome.

#include <catch2/catch.hpp>

#include "protocol/ack_table.hpp"

using namespace tether::protocol;

namespace {
const time_point t0 = time_point{} + 1000s;
}

TEST_CASE("the first reply resolves a push, later ones are no-ops", "[policy]") {
  ack_table t;
  t.add(1, "room:a", t0 + 30s);
  t.mark_sent(1, "7");
  auto r = t.on_reply("7", true, R"({"x":1})");
  REQUIRE(r.has_value());
  CHECK(r->ticket == 1);
  CHECK(r->outcome == push_outcome::ok);
  CHECK(r->response == R"({"x":1})");
  CHECK_FALSE(t.on_reply("7", false, "{}").has_value());
  CHECK(t.size() == 0);
}

TEST_CASE("an error reply rejects the push with the response", "[policy]") {
  ack_table t;
  t.add(1, "room:a", t0 + 30s);
  t.mark_sent(1, "3");
  auto r = t.on_reply("3", false, R"({"reason":"nope"})");
  CHECK(r->outcome == push_outcome::rejected);
  CHECK(r->response == R"({"reason":"nope"})");
}

TEST_CASE("a deadline resolves sent pushes as ack_timeout and unsent ones as "
          "never_sent",
          "[policy]") {
  ack_table t;
  t.add(1, "room:a", t0 + 30s);
  t.mark_sent(1, "5");
  t.add(2, "room:a", t0 + 30s);
  t.add(3, "room:a", t0 + 60s);
  CHECK(t.next_deadline() == t0 + 30s);
  CHECK(t.expire(t0 + 29s).empty());
  auto due = t.expire(t0 + 30s);
  REQUIRE(due.size() == 2);
  for (auto& r : due)
    CHECK(r.outcome == (r.ticket == 1 ? push_outcome::ack_timeout
                                      : push_outcome::never_sent));
  CHECK(t.next_deadline() == t0 + 60s);
  CHECK_FALSE(t.on_reply("5", true, "{}").has_value()); // too late: no-op
}

TEST_CASE("a crashed sender fails its topic's unsent pushes only", "[policy]") {
  ack_table t;
  t.add(1, "room:a", t0 + 30s);
  t.add(2, "room:a", t0 + 30s);
  t.mark_sent(2, "9");
  t.add(3, "room:b", t0 + 30s);
  CHECK(t.has_unsent("room:a"));
  auto failed = t.fail_unsent("room:a", push_outcome::sender_crashed);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].ticket == 1);
  CHECK(failed[0].outcome == push_outcome::sender_crashed);
  CHECK_FALSE(t.has_unsent("room:a"));
  CHECK(t.contains(2));
  CHECK(t.contains(3));
}

TEST_CASE("draining on stop resolves everything", "[policy]") {
  ack_table t;
  t.add(1, "room:a", t0 + 30s);
  t.add(2, "room:a", t0 + 30s);
  t.mark_sent(2, "4");
  auto all = t.drain();
  REQUIRE(all.size() == 2);
  for (auto& r : all)
    CHECK(r.outcome == (r.ticket == 1 ? push_outcome::never_sent
                                      : push_outcome::ack_timeout));
  CHECK(t.size() == 0);
  CHECK_FALSE(t.next_deadline().has_value());
}
