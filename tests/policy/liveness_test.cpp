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
  CHECK(j.on_check("n1") == verdict::alive);
  CHECK(j.ever_answered());
}

TEST_CASE("mismatched and late pongs are ignored", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("n1", t0);
  CHECK(j.on_pong("n1"));
  j.on_check("n1");
  j.on_ping("n2", t0 + 30s);
  CHECK_FALSE(j.on_pong("n1")); // an old nonce
  CHECK_FALSE(j.on_pong("zz")); // a wrong one
  CHECK(j.on_check("n2") == verdict::dead);
  CHECK_FALSE(j.on_pong("n2")); // after its check: late
}

TEST_CASE("missed pongs are tolerated up to max_missed", "[policy]") {
  liveness_judge j{{30s, 10s, 2}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check("a");
  j.on_ping("b", t0 + 30s);
  CHECK(j.on_check("b") == verdict::missed);
  j.on_ping("c", t0 + 60s);
  CHECK(j.on_check("c") == verdict::missed);
  j.on_ping("d", t0 + 90s);
  CHECK(j.on_check("d") == verdict::dead);
  SECTION("an answer in between resets the count") {
    liveness_judge k{{30s, 10s, 1}};
    k.on_ping("a", t0);
    k.on_pong("a");
    k.on_check("a");
    k.on_ping("b", t0 + 30s);
    CHECK(k.on_check("b") == verdict::missed);
    k.on_ping("c", t0 + 60s);
    k.on_pong("c");
    CHECK(k.on_check("c") == verdict::alive);
    k.on_ping("d", t0 + 90s);
    CHECK(k.on_check("d") == verdict::missed);
  }
}

TEST_CASE("a peer that never answered is never declared dead", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  for (int i = 0; i < 50; ++i) {
    j.on_ping(std::to_string(i), t0 + i * 30s);
    CHECK(j.on_check(std::to_string(i)) != verdict::dead);
  }
  CHECK_FALSE(j.ever_answered());
}

TEST_CASE("any inbound frame counts as a sign of life", "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check("a");
  j.on_ping("b", t0 + 30s);
  j.on_activity(); // a broadcast arrived, the heartbeat reply did not
  CHECK(j.on_check("b") == verdict::alive);
}

TEST_CASE("a new socket clears the pings but not the peer's record of answering",
          "[policy]") {
  liveness_judge j{{30s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_pong("a");
  j.on_check("a");
  j.on_ping("b", t0 + 30s); // out when the socket goes
  j.on_new_socket();
  CHECK_FALSE(j.awaiting());
  CHECK(j.ever_answered());
  j.on_ping("c", t0 + 60s);
  CHECK(j.on_check("c") == verdict::dead); // judged at once: no new grace
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
  j.on_check("a");
  j.on_ping("b", t0 + 30s);
  j.on_void("x"); // not the ping out: no effect
  CHECK(j.awaiting("b"));
  j.on_void("b");
  CHECK_FALSE(j.awaiting());
  CHECK(j.on_check("b") == verdict::alive);
  CHECK(j.missed() == 0);
}

TEST_CASE("every ping is judged, also while others are out: a frozen server "
          "is found dead timeout + max_missed heartbeats after it was last heard",
          "[policy]") {
  // 1 s heartbeat, 10 s timeout, 2 misses tolerated (docs/architecture.md)
  liveness_judge j{{1s, 10s, 2}};
  j.on_ping("0", t0);
  REQUIRE(j.on_pong("0"));
  j.on_check("0");
  // the server freezes after answering ping 0; pings go on every second
  std::optional<duration> dead_after;
  for (int i = 1; i < 60 && !dead_after; ++i) {
    auto now = t0 + i * 1s;
    // checks due by now run first (each ping's own timeout)
    for (int k = 1; k < i; ++k)
      if (t0 + k * 1s + 10s == now && j.on_check(std::to_string(k)) == verdict::dead)
        dead_after = now - t0;
    j.on_ping(std::to_string(i), now);
  }
  REQUIRE(dead_after);
  CHECK(*dead_after == 13s); // ping 1 judged at 11 s, ping 2 at 12 s, ping 3 at 13 s
}

TEST_CASE("a sign of life counts for every ping out; a pong answers with its "
          "own ping's send time",
          "[policy]") {
  liveness_judge j{{1s, 10s, 0}};
  j.on_ping("a", t0);
  j.on_ping("b", t0 + 1s, t0 + 1s - 5ms);
  auto sent = j.on_pong("b");
  REQUIRE(sent);
  CHECK(*sent == t0 + 1s - 5ms);
  CHECK(j.on_check("a") == verdict::alive); // the reply to b came after a left
  CHECK(j.on_check("b") == verdict::alive);
  CHECK_FALSE(j.on_pong("b")); // judged: late
}

// Found by the fault test (tests/faults): under steady push traffic every
// pong comes after some push reply. The pong must still count as the
// server answering, or the peer stays "never answered" and a blackhole is
// never judged.
TEST_CASE("a pong after other traffic still answers its ping", "[policy]") {
  liveness_judge j{{1s, 3s, 0}};
  j.on_ping("a", t0);
  j.on_activity(); // a push's reply overtakes the heartbeat's
  auto sent = j.on_pong("a");
  REQUIRE(sent);
  CHECK(*sent == t0);
  CHECK(j.ever_answered());
  CHECK_FALSE(j.on_pong("a")); // a second answer to one ping is ignored
  CHECK(j.on_check("a") == verdict::alive);
  j.on_ping("b", t0 + 1s);
  CHECK(j.on_check("b") == verdict::dead); // then silence: judged
}

TEST_CASE("timer slack moves a due time to the first multiple of the step at or after "
          "it, and leaves it alone without a step",
          "[policy]") {
  auto at = [](duration d) { return time_point{d}; };
  CHECK(coalesce(at(30'030ms), 100ms) == at(30'100ms));
  CHECK(coalesce(at(30'100ms), 100ms) == at(30'100ms)); // on the grid: as is
  CHECK(coalesce(at(30'100ms + 1ns), 100ms) == at(30'200ms));
  CHECK(coalesce(at(30'030ms), 0s) == at(30'030ms));
  // due within one step: one moment for all
  CHECK(coalesce(at(30'001ms), 100ms) == coalesce(at(30'099ms), 100ms));
}
