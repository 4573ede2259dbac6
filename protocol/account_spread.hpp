#pragma once
// How a node of a tetherd cluster decides which accounts to claim and which
// to hand over (pure: it sees the cluster, it returns names). Every node
// runs the same rule on what the lease store shows:
//   limit = ceil(accounts / live nodes) + slack
// A node below its limit claims free accounts up to it; a node above it
// hands over the excess, but only while some live node holds fewer than
// its fair share (ceil(accounts / live nodes)), so that nothing moves when
// nobody would take it. Which accounts: a per-node order (a hash of node
// and account), so that nodes racing for free accounts mostly try
// different ones first. The leases keep any race safe; the rule keeps the
// spread fair.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tether::protocol {

struct spread_view {
  std::string node;                  ///< who decides
  std::vector<std::string> accounts; ///< every account of the cluster
  /// Per account (same order): its holder's node, empty when free.
  std::vector<std::string> holders;
  std::set<std::string> members;     ///< live nodes (node among them)
  std::set<std::string> starting;    ///< accounts this node is claiming now
  size_t slack = 1;
};

struct spread_moves {
  std::vector<std::string> claim;    ///< free accounts to start here
  std::vector<std::string> hand_off; ///< accounts to stop here (others take them)
};

size_t fair_share(size_t accounts, size_t members);

spread_moves decide_spread(const spread_view& view);

} // namespace tether::protocol
