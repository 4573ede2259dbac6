#pragma once
// A small source of random bits for backoff jitter: SplitMix64, 8 bytes of
// state. Each connection keeps one; std::mt19937_64 would cost 2.5 KiB of
// every tree for numbers that only spread reconnect attempts apart.

#include <cstdint>
#include <random>

namespace tether::protocol {

class random_bits {
public:
  /// Seeded from the operating system.
  random_bits() : state_(seed_from_os()) {
  }

  explicit random_bits(uint64_t seed) noexcept : state_(seed) {
  }

  uint64_t operator()() noexcept {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

private:
  static uint64_t seed_from_os() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }

  uint64_t state_;
};

} // namespace tether::protocol
