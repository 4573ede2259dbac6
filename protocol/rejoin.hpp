#pragma once
// When a channel is joined again after its join was refused, timed out or
// the channel crashed (phx_error): phoenix.js's rejoin schedule (1 s, 2 s,
// 5 s, then 10 s for every later try), with equal jitter so that topics and
// clients refused together do not come back in the same instant. A
// successful join starts the schedule over (docs/protocol.md, "Rejoining").

#include <chrono>
#include <cstdint>
#include <vector>

namespace tether::protocol {

using namespace std::chrono_literals;

struct rejoin_config {
  /// Delay before try n is steps[n-1]; past the end, the last step.
  std::vector<std::chrono::nanoseconds> steps{1s, 2s, 5s, 10s};
};

/// The delay before rejoin try `attempt` (1 for the first), drawn from
/// [step/2, step] with `random_bits`.
std::chrono::nanoseconds rejoin_delay(const rejoin_config& cfg, uint32_t attempt,
                                      uint64_t random_bits) noexcept;

} // namespace tether::protocol
