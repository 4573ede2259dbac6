#pragma once
// The lease seam (docs/architecture.md, "One connection per profile,
// cluster-wide"): where nodes that share one account list agree which of
// them runs each profile. A node runs a profile only while it holds that
// profile's lease; a lease lapses on its own after its time to live unless
// its holder renews it, so a node that dies or stalls frees its profiles.
//
// Every claim that wins gets a fence: a number that grows with each win, so
// anything that sees two holders one after the other can tell the newer.
// tether ships a Redis adapter (redis_lease_store.hpp).
//
// Calls block on the network: they belong in an actor of their own (the
// lease registry is a detached actor), never in a scheduled one.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "storage/profile_store.hpp"

namespace tether {

struct lease {
  std::string node;   ///< the node that holds it
  uint64_t fence = 0; ///< grows with every claim that wins

  friend bool operator==(const lease&, const lease&) = default;
};

class lease_store {
public:
  virtual ~lease_store() = default;

  /// Takes `profile`'s lease for `node` for `ttl` if nobody holds it, in
  /// one atomic step. Returns the lease as it now is: `node`'s with a new
  /// fence, or the holder's (the claim lost). Fails (io_failed) only when
  /// the store cannot be asked.
  virtual caf::expected<lease> claim(const std::string& profile, const std::string& node,
                                     std::chrono::milliseconds ttl) = 0;

  /// Extends `ours` to `ttl` from now if it is still exactly ours (same
  /// node and fence); false: it lapsed or another node holds it.
  virtual caf::expected<bool> renew(const std::string& profile, const lease& ours,
                                    std::chrono::milliseconds ttl) = 0;

  /// Gives `ours` up if it is still exactly ours; never deletes another
  /// node's lease. False: it was not ours any more.
  virtual caf::expected<bool> release(const std::string& profile, const lease& ours) = 0;

  /// Who holds `profile`'s lease now, if anyone.
  virtual caf::expected<std::optional<lease>> holder(const std::string& profile) = 0;

  /// Who holds each of `profiles` (in that order), in one round trip.
  virtual caf::expected<std::vector<std::optional<lease>>>
  holders(const std::vector<std::string>& profiles) = 0;

  // -- membership: which nodes share the store now -----------------------

  /// Says `node` is alive for `ttl`, with `info` for the others (tetherd:
  /// its API address), and answers every node alive now with its info,
  /// `node` included. A node that stops announcing drops out after `ttl`.
  virtual caf::expected<std::map<std::string, std::string>>
  announce(const std::string& node, const std::string& info, std::chrono::milliseconds ttl) = 0;

  /// Takes `node` out of the members at once (a clean stop).
  virtual caf::error leave(const std::string& node) = 0;
};

using lease_store_ptr = std::shared_ptr<lease_store>;

} // namespace tether
