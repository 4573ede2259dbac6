#pragma once
// tetherd's log: one JSON object per line (for journald and collectors), or
// human text when stderr is a terminal. Secrets never reach it: callers pass
// URLs through redact_url, and connect params are never logged.

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace tether::daemon {

enum class log_level { debug, info, warn, error };

/// A field's value, kept as its type: a JSON log carries 4300 and true, not
/// "4300" and "true", so that a collector can compare and sum them.
class log_value {
public:
  log_value(std::string text) : value_(std::move(text)) {
  }
  log_value(std::string_view text) : value_(std::string{text}) {
  }
  log_value(const char* text) : value_(std::string{text ? text : ""}) {
  }
  log_value(bool flag) : value_(flag) {
  }
  template <class Int, class = std::enable_if_t<std::is_integral_v<Int>
                                                && !std::is_same_v<Int, bool>>>
  log_value(Int number) : value_(static_cast<long long>(number)) {
  }

  const std::variant<std::string, long long, bool>& get() const noexcept {
    return value_;
  }

private:
  std::variant<std::string, long long, bool> value_;
};

class logger {
public:
  using field = std::pair<std::string_view, log_value>;

  /// Writes to `out` (stderr unless a test gives another).
  explicit logger(bool json, std::FILE* out = stderr) : json_(json), out_(out) {
  }

  /// Thread-safe; one line per call.
  void write(log_level level, std::string_view message,
             std::initializer_list<field> fields = {});

  void info(std::string_view m, std::initializer_list<field> f = {}) {
    write(log_level::info, m, f);
  }
  void warn(std::string_view m, std::initializer_list<field> f = {}) {
    write(log_level::warn, m, f);
  }
  void error(std::string_view m, std::initializer_list<field> f = {}) {
    write(log_level::error, m, f);
  }

private:
  bool json_;
  std::FILE* out_;
  std::mutex mutex_;
};

/// The URL without its query (where tokens travel) and without user info.
std::string redact_url(std::string_view url);

} // namespace tether::daemon
