#pragma once
// Counts a hub's open sockets per value of one connect param (say
// `account`), and the most ever open at once for any value: the cluster
// tests' witness that no account ever had two live sockets (issue 15). Pure.

#include <cstddef>
#include <map>
#include <string>

namespace tether::hub {

class overlap_tracker {
public:
  /// A socket with `value` opened; returns how many with it are open now.
  size_t opened(const std::string& value) {
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
  size_t max_ = 0;
  std::string max_value_;
};

} // namespace tether::hub
