// The lease rule: a lease is usable until ttl - margin after its request
// was sent, however late the answer comes; values that leave no room for a
// second renewal are refused.

#include <catch2/catch.hpp>

#include "protocol/lease_rule.hpp"

using namespace tether::protocol;
using namespace std::chrono_literals;

TEST_CASE("a lease is usable until ttl - margin after its request was sent, whenever the "
          "answer came",
          "[policy][lease]") {
  lease_rule rule; // 15 s, margin 3 s
  auto sent = lease_rule::time_point{} + 100s;
  CHECK(rule.usable_until(sent) == sent + 12s);
  // the answer's arrival plays no part: a renewal answered 11 s late leaves
  // 1 s, not 12 s from the answer
  auto answered = sent + 11s;
  CHECK(rule.usable_until(sent) - answered == 1s);
  CHECK(rule.renew_every() == 5s);
  // two renewals fit before the lease stops being usable
  CHECK(sent + 2 * rule.renew_every() < rule.usable_until(sent));
}

TEST_CASE("lease values that cannot keep a lease are refused with the reason",
          "[policy][lease]") {
  CHECK(!lease_rule{}.check());
  CHECK(!lease_rule{15s, 4999ms}.check());
  CHECK(lease_rule{15s, 5s}.check()->find("third") != std::string::npos);
  CHECK(lease_rule{15s, 0s}.check()->find("positive") != std::string::npos);
  CHECK(lease_rule{0s, 1s}.check()->find("ttl") != std::string::npos);
}
