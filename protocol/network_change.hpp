#pragma once
// Which Linux netlink (NETLINK_ROUTE) messages are a real network change,
// the kind after which a waiting reconnect should go at once (seed 004,
// docs/architecture.md "Network changes and wake-ups"): a link going up or
// down, a link appearing or going, an address added or removed, a default
// route added or removed. An RTM_NEWLINK that changes nothing of that (a
// tool turning on promiscuous mode, statistics, a rename) is not. Pure:
// it reads message bytes, so tests feed it the bytes the kernel sends.

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace tether::protocol {

class network_change_filter {
public:
  /// Reads one buffer of netlink messages (one recv). True if any of them
  /// is a real change. Messages of a dump (NLM_F_MULTI, the answer to the
  /// request made at start) only record the links' state.
  bool read(const void* buffer, size_t length);

  /// How many links it knows the state of.
  size_t links() const noexcept {
    return up_.size();
  }

private:
  /// A link's state as far as traffic is concerned: administratively up
  /// and with a carrier (IFF_UP and IFF_RUNNING).
  std::unordered_map<int, bool> up_;
};

} // namespace tether::protocol
