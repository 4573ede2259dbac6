#pragma once
// Internal: watches the machine for the two events after which every
// waiting reconnect should go at once (seed 004): a network change (Linux
// netlink: a link going up or down, an address or default route added or
// removed; protocol/network_change.hpp) and a wake from suspend
// (CLOCK_BOOTTIME running ahead of CLOCK_MONOTONIC). One thread per
// runtime; it only calls `notify`, never touches actor state.

#include <atomic>
#include <functional>
#include <thread>

namespace tether::detail {

class system_watch {
public:
  /// `notify(woke)`: false for a network change, true for a wake.
  explicit system_watch(std::function<void(bool woke)> notify);
  ~system_watch(); ///< stops and joins the thread

  system_watch(const system_watch&) = delete;
  system_watch& operator=(const system_watch&) = delete;

  /// False if netlink was not available (wake detection still runs).
  bool watching_network() const noexcept {
    return netlink_fd_ >= 0;
  }

private:
  void run();

  std::function<void(bool)> notify_;
  int netlink_fd_ = -1;
  int stop_fd_ = -1; ///< eventfd: wakes the thread's poll to stop it
  std::thread thread_;
};

} // namespace tether::detail
