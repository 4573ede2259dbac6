#include "protocol/rejoin.hpp"

#include <algorithm>

namespace tether::protocol {

std::chrono::nanoseconds rejoin_delay(const rejoin_config& cfg, uint32_t attempt,
                                      uint64_t random_bits) noexcept {
  if (cfg.steps.empty())
    return 1s;
  auto index = std::min<size_t>(std::max<uint32_t>(attempt, 1) - 1, cfg.steps.size() - 1);
  auto step = cfg.steps[index].count();
  auto half = step / 2;
  // equal jitter: half the step for sure, the other half at random
  return std::chrono::nanoseconds{half + static_cast<int64_t>(
                                           random_bits % static_cast<uint64_t>(step - half + 1))};
}

} // namespace tether::protocol
