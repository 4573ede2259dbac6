// The reconnect policy, rule by rule, on virtual time.

#include <catch2/catch.hpp>

#include <array>

#include "protocol/backoff.hpp"
#include "protocol/random_bits.hpp"

using namespace tether::protocol;

namespace {
const time_point t0 = time_point{} + 1000s;
}

TEST_CASE("backoff doubles from 1 s to a 30 s ceiling", "[policy]") {
  backoff b;
  std::vector<duration> delays;
  auto now = t0;
  for (int i = 0; i < 8; ++i) {
    auto d = b.on_failure(now, drop_cause::connect_error);
    delays.push_back(d.delay);
    now += d.delay;
  }
  CHECK(delays == std::vector<duration>{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s});
}

TEST_CASE("only a joined connection that stayed up resets the backoff",
          "[policy]") {
  backoff b;
  b.on_failure(t0, drop_cause::connect_error);      // 1 s
  b.on_failure(t0 + 1s, drop_cause::connect_error); // 2 s
  SECTION("a socket that opens but drops before the stable period counts as a "
          "failed attempt") {
    b.on_joined(t0 + 3s);
    auto d = b.on_failure(t0 + 5s, drop_cause::closed_by_peer);
    CHECK(d.attempt == 3);
    CHECK(d.delay == 4s);
  }
  SECTION("a connection up for the stable period starts over") {
    b.on_joined(t0 + 3s);
    auto d = b.on_failure(t0 + 3s + 10s, drop_cause::closed_by_peer);
    CHECK(d.attempt == 1);
    CHECK(d.delay == 1s);
  }
  SECTION("a join that never answers costs an attempt too") {
    auto d = b.on_failure(t0 + 3s, drop_cause::join_timeout);
    CHECK(d.attempt == 3);
  }
}

TEST_CASE("after an established connection drops, the first retry waits at "
          "least the floor",
          "[policy]") {
  backoff_config cfg;
  cfg.full_jitter = true;
  backoff b{cfg};
  b.on_joined(t0);
  // jitter drew 0: without the floor this would reconnect at once
  auto d = b.on_failure(t0 + 60s, drop_cause::closed_by_peer, std::nullopt, 0);
  CHECK(d.delay == 1s);
}

TEST_CASE("with full jitter, clients dropped together spread their first retry "
          "above the floor",
          "[policy]") {
  backoff_config cfg;
  cfg.full_jitter = true;
  auto first_retry = [&](uint64_t random) {
    backoff b{cfg};
    b.on_joined(t0);
    return b.on_failure(t0 + 60s, drop_cause::closed_by_peer, std::nullopt, random).delay;
  };
  CHECK(first_retry(UINT64_MAX) == 2s); // floor + the whole first step
  auto mid = first_retry(UINT64_MAX / 2);
  CHECK(mid > 1400ms);
  CHECK(mid < 1600ms);
  cfg.full_jitter = false; // without jitter: the floor, as before
  CHECK(first_retry(UINT64_MAX) == 1s);
}

TEST_CASE("full jitter draws the delay uniformly below the curve", "[policy]") {
  backoff_config cfg;
  cfg.full_jitter = true;
  backoff low{cfg}, high{cfg}, mid{cfg};
  CHECK(low.on_failure(t0, drop_cause::connect_error, std::nullopt, 0).delay == 0s);
  CHECK(high.on_failure(t0, drop_cause::connect_error, std::nullopt, UINT64_MAX).delay
        == 1s);
  auto half = mid.on_failure(t0, drop_cause::connect_error, std::nullopt, UINT64_MAX / 2)
                .delay;
  CHECK(half > 400ms);
  CHECK(half < 600ms);
}

TEST_CASE("a connection's random bits spread a thousand retries over the whole "
          "window",
          "[policy]") {
  // What a reconnect storm relies on: trees seeded apart do not retry together.
  backoff_config cfg;
  cfg.full_jitter = true;
  random_bits bits{42};
  std::array<int, 10> tenths{}; // how many delays fell in each tenth of 1 s
  for (int i = 0; i < 1000; ++i) {
    backoff b{cfg};
    auto d = b.on_failure(t0, drop_cause::connect_error, std::nullopt, bits()).delay;
    auto tenth = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
    ++tenths[static_cast<size_t>(std::min<long>(tenth, 9))];
  }
  for (auto n : tenths) {
    CHECK(n > 60); // 100 expected in each
    CHECK(n < 140);
  }
  CHECK(random_bits{1}() != random_bits{2}());
}

TEST_CASE("refused credentials retry only slowly, Retry-After is honoured",
          "[policy]") {
  backoff b;
  CHECK(b.on_failure(t0, drop_cause::auth).delay == 60s);
  backoff r;
  CHECK(r.on_failure(t0, drop_cause::rate_limited, 45s).delay == 45s);
  backoff late;
  for (int i = 0; i < 6; ++i)
    late.on_failure(t0, drop_cause::connect_error);
  // the curve (30 s) is longer than Retry-After (5 s): the longer wins
  CHECK(late.on_failure(t0, drop_cause::rate_limited, 5s).delay == 30s);
}

TEST_CASE("a network change or wake-up reconnects at once and restarts the "
          "curve",
          "[policy]") {
  backoff b;
  for (int i = 0; i < 5; ++i)
    b.on_failure(t0, drop_cause::connect_error);
  b.on_network_event();
  auto now_ = b.on_failure(t0 + 1s, drop_cause::connect_error);
  CHECK(now_.delay == 0s);
  CHECK(b.on_failure(t0 + 2s, drop_cause::connect_error).delay == 2s);
  backoff w;
  w.on_joined(t0);
  CHECK(w.on_failure(t0 + 1s, drop_cause::wake).delay == 0s);
}

TEST_CASE("an outage longer than the window ends in giving up", "[policy]") {
  backoff_config cfg;
  cfg.window = 300s;
  backoff b{cfg};
  auto now = t0;
  retry_decision d;
  int attempts = 0;
  do {
    d = b.on_failure(now, drop_cause::connect_error);
    now += d.delay;
    ++attempts;
  } while (!d.give_up && attempts < 100);
  CHECK(d.give_up);
  CHECK(d.outage <= 300s);
  CHECK(d.outage + d.delay > 300s);
  // waits 1+2+4+8+16 then 30 s each: attempt 14 starts at 271 s, and its
  // 30 s wait would end past 300 s
  CHECK(attempts == 14);
}
