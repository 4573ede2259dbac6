#pragma once
// Counts a hub's open sockets per value of one connect param (say
// `account`), and the most ever open at once for any value, and the frames
// that arrive on a socket after a later one of the same value opened: the
// cluster tests' witnesses that no account ever had two live sockets, and
// that a node its account moved away from wrote nothing more (issue 15).
// Pure.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace tether::hub {

class overlap_tracker {
public:
  /// A socket with `value` opened; returns how many with it are open now.
  /// `serial` orders the sockets (larger: opened later).
  size_t opened(const std::string& value, uint64_t serial = 0) {
    newest_[value] = std::max(newest_[value], serial);
    auto n = ++open_[value];
    if (n > max_) {
      max_ = n;
      max_value_ = value;
    }
    return n;
  }

  /// A socket with `value` closed.
  void closed(const std::string& value) {
    auto i = open_.find(value);
    if (i == open_.end())
      return;
    if (--i->second == 0)
      open_.erase(i);
  }

  /// A frame came in on socket `serial` of `value`; true (and counted) when
  /// a later socket of the same value had opened: a frame from a socket
  /// its account had already moved away from.
  bool received(const std::string& value, uint64_t serial) {
    auto i = newest_.find(value);
    if (i == newest_.end() || serial >= i->second)
      return false;
    ++stale_frames_;
    return true;
  }
  uint64_t stale_frames() const noexcept {
    return stale_frames_;
  }

  /// The most sockets ever open at once with one value (0: none yet).
  size_t max() const noexcept {
    return max_;
  }
  /// The value that first reached max().
  const std::string& max_value() const noexcept {
    return max_value_;
  }
  size_t open(const std::string& value) const {
    auto i = open_.find(value);
    return i == open_.end() ? 0 : i->second;
  }

private:
  std::map<std::string, size_t> open_;
  std::map<std::string, uint64_t> newest_; ///< value -> serial of its latest socket
  uint64_t stale_frames_ = 0;
  size_t max_ = 0;
  std::string max_value_;
};

} // namespace tether::hub
