#pragma once
// ws:// and wss:// URLs, split for the socket layer, and the query string a
// Phoenix socket connects with (connect params + vsn).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/expected.hpp"

namespace tether::protocol {

enum class url_errc : uint8_t { bad_scheme = 1, missing_host, bad_port };

std::string_view to_string(url_errc code) noexcept;

struct ws_url {
  bool tls = false;
  std::string host;
  uint16_t port = 80;
  std::string path = "/"; ///< path and query, as sent in the request line
};

expected<ws_url, url_errc> parse_ws_url(std::string_view url);

using query_params = std::vector<std::pair<std::string, std::string>>;

/// `path` with `params` appended as a percent-encoded query string.
std::string with_query(std::string_view path, const query_params& params);

/// Percent-encodes everything but RFC 3986's unreserved characters.
std::string percent_encode(std::string_view text);

} // namespace tether::protocol
