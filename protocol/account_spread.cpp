#include "protocol/account_spread.hpp"

#include <algorithm>
#include <cstdint>

namespace tether::protocol {

namespace {

/// FNV-1a of node and account: a stable order of preference per node.
uint64_t preference(const std::string& node, const std::string& account) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : node + '\0' + account) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void order_for(const std::string& node, std::vector<std::string>& names) {
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    auto pa = preference(node, a), pb = preference(node, b);
    return pa != pb ? pa < pb : a < b;
  });
}

} // namespace

size_t fair_share(size_t accounts, size_t members) {
  return members == 0 ? accounts : (accounts + members - 1) / members;
}

spread_moves decide_spread(const spread_view& v) {
  spread_moves out;
  auto members = std::max<size_t>(v.members.size(), 1);
  auto fair = fair_share(v.accounts.size(), members);
  auto limit = fair + v.slack;
  std::map<std::string, size_t> held;
  std::vector<std::string> mine, free;
  for (size_t i = 0; i < v.accounts.size() && i < v.holders.size(); ++i) {
    auto& holder = v.holders[i];
    if (v.starting.count(v.accounts[i]) > 0)
      continue; // counted below, whoever the store names
    if (holder.empty())
      free.push_back(v.accounts[i]);
    else
      ++held[holder];
    if (holder == v.node)
      mine.push_back(v.accounts[i]);
  }
  auto have = mine.size() + v.starting.size();
  if (have < limit) {
    order_for(v.node, free);
    free.resize(std::min(free.size(), limit - have));
    out.claim = std::move(free);
    return out;
  }
  if (have > limit) {
    bool someone_short = false;
    for (auto& m : v.members)
      someone_short = someone_short || (m != v.node && held[m] < fair);
    if (someone_short) {
      order_for(v.node, mine);
      auto excess = std::min(have - limit, mine.size());
      out.hand_off.assign(mine.end() - static_cast<std::ptrdiff_t>(excess), mine.end());
    }
  }
  return out;
}

} // namespace tether::protocol
