#pragma once
// When the transport reads a socket's frame in progress (docs/transport.md,
// "Frames that never end"), as pure values: the policy, and the wheel of
// one-second slots that holds each open socket until its next check.
//
// Reading a socket costs a few cache misses (its record, lws's wsi and ws
// state): reading all of 10,000 every second was a third of the transport
// thread's idle CPU. A socket with a frame in progress is read every second,
// so a stall is measured to the second; an idle one only every
// idle_check_period, which bounds how late a frame that began with its
// header alone (lws says nothing until payload comes) is first seen.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tether::protocol {

/// The longest wait between two checks of a socket.
inline constexpr unsigned max_check_seconds = 8;

/// Seconds until an idle socket (no frame in progress) is read again: a
/// quarter of its frame_timeout, from 1 to max_check_seconds. A stalled
/// frame is then closed at most frame_timeout + this + 1 s after it began.
inline unsigned idle_check_period(std::chrono::nanoseconds frame_timeout) {
  auto quarter = std::chrono::duration_cast<std::chrono::seconds>(frame_timeout / 4).count();
  return static_cast<unsigned>(std::clamp<long long>(quarter, 1, max_check_seconds));
}

/// Where an entry sits in a check_wheel; the entry type holds one of these
/// as a public member `wheel_place`, so removal is O(1).
struct check_place {
  static constexpr uint8_t none = 0xff;
  uint8_t slot = none;
  uint32_t index = 0;
  bool watched() const {
    return slot != none;
  }
};

/// Entries due in 1 to max_check_seconds ticks. take_due() is called once a
/// tick; it hands out the entries due now, which are no longer in the wheel.
template <class T>
class check_wheel {
public:
  /// Puts `x` in the slot `ticks` ahead (1 to max_check_seconds), moving it
  /// when it already is in the wheel.
  void schedule(T* x, unsigned ticks) {
    remove(x);
    ticks = std::clamp(ticks, 1u, max_check_seconds);
    auto slot = static_cast<uint8_t>((cursor_ + ticks) % slots_.size());
    auto& list = slots_[slot];
    x->wheel_place = {slot, static_cast<uint32_t>(list.size())};
    list.push_back(x);
    ++size_;
  }

  /// How many ticks until `x` comes due (0: not in the wheel).
  unsigned due_in(const T* x) const {
    if (!x->wheel_place.watched())
      return 0;
    auto n = slots_.size();
    return static_cast<unsigned>((x->wheel_place.slot + n - cursor_) % n);
  }

  void remove(T* x) {
    auto place = x->wheel_place;
    if (!place.watched())
      return;
    auto& list = slots_[place.slot];
    list[place.index] = list.back();
    list[place.index]->wheel_place.index = place.index;
    list.pop_back();
    x->wheel_place = {};
    --size_;
  }

  /// Advances one tick and returns the entries due at it.
  std::vector<T*> take_due() {
    cursor_ = (cursor_ + 1) % slots_.size();
    std::vector<T*> due;
    due.swap(slots_[cursor_]);
    for (auto* x : due)
      x->wheel_place = {};
    size_ -= due.size();
    return due;
  }

  size_t size() const {
    return size_;
  }
  bool empty() const {
    return size_ == 0;
  }

private:
  // One slot more than the longest wait: the slot being handed out is never
  // one that schedule() fills.
  std::array<std::vector<T*>, max_check_seconds + 1> slots_;
  size_t cursor_ = 0;
  size_t size_ = 0;
};

} // namespace tether::protocol
