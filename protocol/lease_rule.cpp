#include "protocol/lease_rule.hpp"

namespace tether::protocol {

std::optional<std::string> lease_rule::check() const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  auto ms = [](duration d) { return std::to_string(duration_cast<milliseconds>(d).count()); };
  if (ttl <= duration::zero())
    return "the lease's ttl must be positive";
  if (margin <= duration::zero())
    return "the lease's margin must be positive: the holder must stop before the store "
           "lets the lease go";
  if (3 * margin >= ttl)
    return "the lease's margin (" + ms(margin) + " ms) must be under a third of its ttl ("
           + ms(ttl) + " ms), to leave room for two renewals";
  return std::nullopt;
}

} // namespace tether::protocol
