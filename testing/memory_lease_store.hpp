#pragma once
// A lease store in memory, for tests of leased profiles on virtual time
// (several runtimes of one test can share it as "nodes" sharing Redis). It
// keeps Redis's rules: a lease lapses `ttl` after its last claim or renewal
// on the clock it is given; fences grow with each winning claim. It can be
// made unreachable, and a lease can be taken away, to play failures.

#include <functional>
#include <map>
#include <mutex>

#include <caf/actor_clock.hpp>

#include "storage/lease_store.hpp"

namespace tether::testing {

class memory_lease_store final : public lease_store {
public:
  using clock_fn = std::function<caf::actor_clock::time_point()>;

  explicit memory_lease_store(clock_fn now) : now_(std::move(now)) {
  }

  caf::expected<lease> claim(const std::string& profile, const std::string& node,
                             std::chrono::milliseconds ttl) override;
  caf::expected<bool> renew(const std::string& profile, const lease& ours,
                            std::chrono::milliseconds ttl) override;
  caf::expected<bool> release(const std::string& profile, const lease& ours) override;
  caf::expected<std::optional<lease>> holder(const std::string& profile) override;
  caf::expected<std::vector<std::optional<lease>>>
  holders(const std::vector<std::string>& profiles) override;
  caf::expected<std::map<std::string, std::string>>
  announce(const std::string& node, const std::string& info,
           std::chrono::milliseconds ttl) override;
  caf::error leave(const std::string& node) override;

  /// Every call fails with io_failed while false (Redis down or partitioned).
  void set_reachable(bool reachable);
  /// Hands `profile`'s lease to `node` (as if the lease had lapsed and
  /// another node had claimed it).
  void give_to(const std::string& profile, const std::string& node);
  /// Calls made so far (renewals among them), for rate checks.
  size_t calls() const;

private:
  struct entry {
    lease held;
    caf::actor_clock::time_point expires;
  };
  std::optional<caf::error> unreachable_error();
  void expire(const std::string& profile);

  clock_fn now_;
  mutable std::mutex mutex_;
  std::map<std::string, entry> leases_;
  std::map<std::string, uint64_t> fences_;
  std::map<std::string, std::pair<std::string, caf::actor_clock::time_point>> members_;
  bool reachable_ = true;
  size_t calls_ = 0;
};

} // namespace tether::testing
