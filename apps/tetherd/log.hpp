#pragma once
// tetherd's log: one JSON object per line (for journald and collectors), or
// human text when stderr is a terminal. Secrets never reach it: callers pass
// URLs through redact_url, and connect params are never logged.

#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace tether::daemon {

enum class log_level { debug, info, warn, error };

class logger {
public:
  using field = std::pair<std::string_view, std::string>;

  explicit logger(bool json) : json_(json) {
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
  std::mutex mutex_;
};

/// The URL without its query (where tokens travel) and without user info.
std::string redact_url(std::string_view url);

} // namespace tether::daemon
