#include <catch2/catch.hpp>
#include <set>

#include "protocol/rejoin.hpp"

using namespace tether::protocol;
using namespace std::chrono_literals;

TEST_CASE("rejoin tries follow phoenix.js's schedule, each drawn from [step/2, step]",
          "[protocol]") {
  rejoin_config cfg;
  std::vector<std::chrono::nanoseconds> steps{1s, 2s, 5s, 10s, 10s, 10s};
  for (uint32_t attempt = 1; attempt <= steps.size(); ++attempt) {
    auto step = steps[attempt - 1];
    CHECK(rejoin_delay(cfg, attempt, 0) == step / 2);
    CHECK(rejoin_delay(cfg, attempt, static_cast<uint64_t>(step.count() - step.count() / 2))
          == step);
    for (uint64_t bits : {1ULL, 12345ULL, ~0ULL}) {
      auto d = rejoin_delay(cfg, attempt, bits);
      CHECK(d >= step / 2);
      CHECK(d <= step);
    }
  }
}

TEST_CASE("rejoin jitter spreads tries refused together", "[protocol]") {
  rejoin_config cfg;
  std::set<int64_t> distinct;
  for (uint64_t bits = 0; bits < 1000; ++bits)
    distinct.insert(rejoin_delay(cfg, 1, bits * 0x9e3779b97f4a7c15ULL).count() / 1000000);
  CHECK(distinct.size() > 400); // over 500 distinct milliseconds in [500, 1000]
}
