#include "storage/redis_url.hpp"

#include <charconv>

namespace tether {

std::optional<redis_endpoint> parse_redis_url(const std::string& url, std::string& why) {
  redis_endpoint out;
  if (url.rfind("unix:", 0) == 0) {
    out.host = url.substr(5);
    out.port = 0;
    if (out.host.empty() || out.host[0] != '/') {
      why = "unix: needs an absolute socket path";
      return std::nullopt;
    }
    return out;
  }
  if (url.rfind("redis://", 0) != 0) {
    why = "not a redis:// or unix: URL";
    return std::nullopt;
  }
  auto rest = url.substr(8);
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    auto auth = rest.substr(0, at);
    out.password = auth.substr(auth.find(':') == std::string::npos ? 0 : auth.find(':') + 1);
    rest = rest.substr(at + 1);
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    auto db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out.db);
      if (ec != std::errc{} || end != db.data() + db.size() || out.db < 0) {
        why = "the database must be a number: " + db;
        return std::nullopt;
      }
    }
  }
  auto colon = rest.rfind(':');
  out.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    auto port = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc{} || end != port.data() + port.size() || out.port < 1
        || out.port > 65535) {
      why = "the port must be 1 to 65535: " + port;
      return std::nullopt;
    }
  }
  if (out.host.empty()) {
    why = "no host";
    return std::nullopt;
  }
  return out;
}

} // namespace tether
