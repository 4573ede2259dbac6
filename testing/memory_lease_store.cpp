#include "testing/memory_lease_store.hpp"

namespace tether::testing {

std::optional<caf::error> memory_lease_store::unreachable_error() {
  ++calls_;
  if (reachable_)
    return std::nullopt;
  return make_error(storage_errc::io_failed, "memory lease store: unreachable");
}

void memory_lease_store::expire(const std::string& profile) {
  auto i = leases_.find(profile);
  if (i != leases_.end() && now_() >= i->second.expires)
    leases_.erase(i);
}

caf::expected<lease> memory_lease_store::claim(const std::string& profile,
                                               const std::string& node,
                                               std::chrono::milliseconds ttl) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  expire(profile);
  if (auto i = leases_.find(profile); i != leases_.end())
    return i->second.held;
  lease won{node, ++fences_[profile]};
  leases_[profile] = entry{won, now_() + ttl};
  return won;
}

caf::expected<bool> memory_lease_store::renew(const std::string& profile, const lease& ours,
                                              std::chrono::milliseconds ttl) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  expire(profile);
  auto i = leases_.find(profile);
  if (i == leases_.end() || !(i->second.held == ours))
    return false;
  i->second.expires = now_() + ttl;
  return true;
}

caf::expected<bool> memory_lease_store::release(const std::string& profile,
                                                const lease& ours) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  expire(profile);
  auto i = leases_.find(profile);
  if (i == leases_.end() || !(i->second.held == ours))
    return false;
  leases_.erase(i);
  return true;
}

caf::expected<std::optional<lease>> memory_lease_store::holder(const std::string& profile) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  expire(profile);
  auto i = leases_.find(profile);
  if (i == leases_.end())
    return std::optional<lease>{};
  return std::optional<lease>{i->second.held};
}

caf::expected<std::vector<std::optional<lease>>>
memory_lease_store::holders(const std::vector<std::string>& profiles) {
  std::vector<std::optional<lease>> out;
  for (auto& p : profiles) {
    auto h = holder(p);
    if (!h)
      return h.error();
    out.push_back(*h);
  }
  return out;
}

caf::expected<std::map<std::string, std::string>>
memory_lease_store::announce(const std::string& node, const std::string& info,
                             std::chrono::milliseconds ttl) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  auto now = now_();
  members_[node] = {info, now + ttl};
  std::map<std::string, std::string> out;
  for (auto i = members_.begin(); i != members_.end();) {
    if (now >= i->second.second) {
      i = members_.erase(i);
    } else {
      out[i->first] = i->second.first;
      ++i;
    }
  }
  return out;
}

caf::error memory_lease_store::leave(const std::string& node) {
  std::lock_guard guard{mutex_};
  if (auto err = unreachable_error())
    return *err;
  members_.erase(node);
  return {};
}

void memory_lease_store::set_reachable(bool reachable) {
  std::lock_guard guard{mutex_};
  reachable_ = reachable;
}

void memory_lease_store::give_to(const std::string& profile, const std::string& node) {
  std::lock_guard guard{mutex_};
  leases_[profile] = entry{lease{node, ++fences_[profile]},
                           caf::actor_clock::time_point::max()};
}

size_t memory_lease_store::calls() const {
  std::lock_guard guard{mutex_};
  return calls_;
}

} // namespace tether::testing
