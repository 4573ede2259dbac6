// The liveness judge and the heartbeat schedule.

#include <catch2/catch.hpp>

#include "protocol/liveness.hpp"

using namespace tether::protocol;

namespace {
const time_point t0 = time_point{} + 1000s;
}

TEST_CASE("a pong with the outstanding nonce keeps the peer alive", "[policy]") {
  liveness_judge j;
  CHECK(j.on_ping("n1", t0) == t0 + 10s);
  CHECK(j.on_pong("n1"));
  CHECK(j.on_check() == verdict::alive);
  CHECK(j.ever_answered());
}

TEST_CASE("mismatched and late pongs are ignored", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("n1", t0);
  CHECK(j.on_pong("n1"));
  j.on_check();
  j.on_ping("n2", t0 + 30s);
  CHECK_FALSE(j.on_pong("n1")); // an old nonce
  CHECK_FALSE(j.on_pong("zz")); // a wrong one
  CHECK(j.on_check() == verdict::dead);
  CHECK_FALSE(j.on_pong("n2")); // after its check: late
}

TEST_CASE("missed pongs are tolerated up to max_missed", "[policy]") {
  liveness_judge j{{30s, 10s, 2}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check();
  j.on_ping("b", t0 + 30s);
  CHECK(j.on_check() == verdict::missed);
  j.on_ping("c", t0 + 60s);
  CHECK(j.on_check() == verdict::missed);
  j.on_ping("d", t0 + 90s);
  CHECK(j.on_check() == verdict::dead);
  SECTION("an answer in between resets the count") {
    liveness_judge k{{30s, 10s, 1}};
    k.on_ping("a", t0);
    k.on_pong("a");
    k.on_check();
    k.on_ping("b", t0 + 30s);
    CHECK(k.on_check() == verdict::missed);
    k.on_ping("c", t0 + 60s);
    k.on_pong("c");
    CHECK(k.on_check() == verdict::alive);
    k.on_ping("d", t0 + 90s);
    CHECK(k.on_check() == verdict::missed);
  }
}

TEST_CASE("a peer that never answered is never declared dead", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  for (int i = 0; i < 50; ++i) {
    j.on_ping(std::to_string(i), t0 + i * 30s);
    CHECK(j.on_check() != verdict::dead);
  }
  CHECK_FALSE(j.ever_answered());
}

TEST_CASE("any inbound frame counts as a sign of life", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check();
  j.on_ping("b", t0 + 30s);
  j.on_activity(); // a broadcast arrived, the heartbeat reply did not
  CHECK(j.on_check() == verdict::alive);
}

TEST_CASE("a new socket clears the pings but not the peer's record of answering",
          "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check();
  j.on_ping("b", t0 + 30s); // out when the socket goes
  j.on_new_socket();
  CHECK_FALSE(j.awaiting());
  CHECK(j.ever_answered());
  j.on_ping("c", t0 + 60s);
  CHECK(j.on_check() == verdict::dead); // judged at once: no new grace
}

TEST_CASE("the dynamic heartbeat is fast while active and slow when idle",
          "[policy]") {
  heartbeat_config fixed;
  CHECK(heartbeat_interval(fixed, t0, t0) == 30s);
  heartbeat_config dynamic;
  dynamic.fast = 1s;
  CHECK(heartbeat_interval(dynamic, t0, t0 + 1min) == 1s);
  CHECK(heartbeat_interval(dynamic, t0, t0 + 15min) == 30s);
  CHECK(heartbeat_interval(dynamic, std::nullopt, t0) == 30s);
}

TEST_CASE("a ping whose send failed is withdrawn: it is neither a miss nor "
          "the ping a later check judges",
          "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check();
  j.on_ping("b", t0 + 30s);
  j.on_void("x"); // not the ping out: no effect
  CHECK(j.awaiting("b"));
  j.on_void("b");
  CHECK_FALSE(j.awaiting());
  CHECK(j.on_check() == verdict::alive);
  CHECK(j.missed() == 0);
}
