// The cluster's spreading rule: claim free accounts up to ceil(n / nodes) +
// slack, hand over the excess only while another node is short, and reach
// a fair spread from any start when every node applies it in turn.

#include <catch2/catch.hpp>

#include "protocol/account_spread.hpp"

using namespace tether::protocol;

namespace {

std::vector<std::string> names(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back("acct-" + std::to_string(i));
  return out;
}

/// Every node applies the rule in turn, as if each saw the store after the
/// previous one acted, until nothing moves.
std::map<std::string, size_t> settle(std::vector<std::string>& holders,
                                     const std::vector<std::string>& accounts,
                                     const std::set<std::string>& members, size_t slack) {
  for (int round = 0; round < 50; ++round) {
    bool moved = false;
    for (auto& node : members) {
      auto moves = decide_spread({node, accounts, holders, members, {}, slack});
      for (auto& a : moves.hand_off)
        for (size_t i = 0; i < accounts.size(); ++i)
          if (accounts[i] == a) {
            holders[i].clear();
            moved = true;
          }
      for (auto& a : moves.claim)
        for (size_t i = 0; i < accounts.size(); ++i)
          if (accounts[i] == a && holders[i].empty()) {
            holders[i] = node;
            moved = true;
          }
    }
    if (!moved)
      break;
  }
  std::map<std::string, size_t> count;
  for (auto& h : holders)
    ++count[h];
  return count;
}

} // namespace

TEST_CASE("a node claims free accounts up to its fair share plus slack", "[policy][spread]") {
  auto accounts = names(300);
  std::vector<std::string> holders(300);
  auto moves = decide_spread({"a", accounts, holders, {"a", "b", "c"}, {}, 1});
  CHECK(moves.claim.size() == 101);
  CHECK(moves.hand_off.empty());
  CHECK(fair_share(300, 3) == 100);
  CHECK(fair_share(10, 3) == 4);
}

TEST_CASE("accounts being claimed count against the limit", "[policy][spread]") {
  auto accounts = names(10);
  std::vector<std::string> holders(10);
  auto moves = decide_spread({"a", accounts, holders, {"a", "b"}, {"acct-1", "acct-2"}, 0});
  CHECK(moves.claim.size() == 3);
}

TEST_CASE("300 accounts over 3 nodes settle within the slack, from empty and after a node "
          "joins",
          "[policy][spread]") {
  auto accounts = names(300);
  std::vector<std::string> holders(300);
  auto count = settle(holders, accounts, {"a", "b"}, 1);
  CHECK(count[""] == 0);
  CHECK(count["a"] <= 151);
  CHECK(count["b"] <= 151);
  count = settle(holders, accounts, {"a", "b", "c"}, 1); // c joins
  CHECK(count[""] == 0);
  for (auto& n : {"a", "b", "c"}) {
    CHECK(count[n] <= 101); // fair share (100) + slack (1): the promise
    CHECK(count[n] >= 98);  // the others' slack is what the newcomer may lack
  }
}

TEST_CASE("a node over its limit hands over only while another node is short",
          "[policy][spread]") {
  auto accounts = names(10);
  std::vector<std::string> all_a(10, "a");
  // b is a member and holds nothing: a hands over the excess above 5 + 1
  auto moves = decide_spread({"a", accounts, all_a, {"a", "b"}, {}, 1});
  CHECK(moves.hand_off.size() == 4);
  // alone, a keeps everything (its limit is 10 + 1)
  CHECK(decide_spread({"a", accounts, all_a, {"a"}, {}, 1}).hand_off.empty());
}

TEST_CASE("nodes prefer different free accounts", "[policy][spread]") {
  auto accounts = names(100);
  std::vector<std::string> holders(100);
  auto a = decide_spread({"a", accounts, holders, {"a", "b", "c", "d"}, {}, 0}).claim;
  auto b = decide_spread({"b", accounts, holders, {"a", "b", "c", "d"}, {}, 0}).claim;
  std::set<std::string> both;
  for (auto& x : a)
    for (auto& y : b)
      if (x == y)
        both.insert(x);
  CHECK(both.size() < a.size() / 2); // mostly different: less contention
}
