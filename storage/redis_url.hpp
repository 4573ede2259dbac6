#pragma once
// Where a Redis is (pure): redis://[:PASSWORD@]HOST:PORT[/DB] or
// unix:/path/to/redis.sock. Shared by the Redis lease store and tetherd's
// config check.

#include <optional>
#include <string>

namespace tether {

struct redis_endpoint {
  std::string host; ///< or the socket path (unix)
  int port = 6379;  ///< 0: a Unix socket
  std::string password;
  int db = 0;
};

/// The URL's parts, or nothing (and `why`).
std::optional<redis_endpoint> parse_redis_url(const std::string& url, std::string& why);

} // namespace tether
