#pragma once
// Which HTTP CONNECT proxy, if any, a socket goes through: the proxy URL,
// the bypass list, the conventional environment variables, and the choice
// per ws:// or wss:// URL. Pure: the transport applies the answer.
// Rules and their sources: docs/transport.md, "Proxies".

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/expected.hpp"
#include "protocol/url.hpp"

namespace tether::protocol {

enum class proxy_errc : uint8_t {
  unsupported_scheme = 1, ///< not http:// (lws 4.1 speaks plain HTTP to a proxy)
  missing_host,
  bad_port,
  credentials_too_long, ///< libwebsockets keeps at most 95 bytes of user:password
};

std::string_view to_string(proxy_errc code) noexcept;

/// The longest `user:password` libwebsockets can send to a proxy.
constexpr size_t max_proxy_credentials = 95;

struct proxy_endpoint {
  std::string host;
  uint16_t port = 1080; ///< curl's default when the URL names none
  std::string credentials; ///< "user:password", percent-decoded; empty: none

  /// host:port, never the credentials: for logs and errors.
  std::string shown() const;

  bool operator==(const proxy_endpoint& other) const {
    return host == other.host && port == other.port && credentials == other.credentials;
  }
  bool operator!=(const proxy_endpoint& other) const {
    return !(*this == other);
  }
};

/// `http://[user[:password]@]host[:port][/]`; the scheme may be left out.
expected<proxy_endpoint, proxy_errc> parse_proxy_url(std::string_view url);

/// Hosts reached directly though a proxy is set (no_proxy). Entries are
/// separated by commas or spaces: `*` (every host), a host name (itself
/// and its subdomains; a leading dot is the same), an IP address (exactly
/// that one), each optionally with `:port` (only that port).
struct proxy_bypass {
  struct entry {
    std::string host; ///< lower case, without brackets or a leading dot
    uint16_t port = 0; ///< 0: any port
    bool operator==(const entry& o) const {
      return host == o.host && port == o.port;
    }
  };
  bool everything = false;
  std::vector<entry> entries;

  bool operator==(const proxy_bypass& o) const {
    return everything == o.everything && entries == o.entries;
  }
  bool operator!=(const proxy_bypass& o) const {
    return !(*this == o);
  }
};

proxy_bypass parse_no_proxy(std::string_view list);

bool bypasses(const proxy_bypass& bypass, std::string_view host, uint16_t port);

/// The proxies of one transport: one for ws://, one for wss:// (the same
/// one when configured explicitly), and the hosts that skip them.
struct proxy_settings {
  std::optional<proxy_endpoint> for_ws;
  std::optional<proxy_endpoint> for_wss;
  proxy_bypass bypass;

  /// One proxy for both schemes.
  static proxy_settings through(proxy_endpoint proxy, proxy_bypass bypass = {});

  bool operator==(const proxy_settings& o) const {
    return for_ws == o.for_ws && for_wss == o.for_wss && bypass == o.bypass;
  }
  bool operator!=(const proxy_settings& o) const {
    return !(*this == o);
  }
};

/// The proxy a socket to `url` goes through, or none (direct).
std::optional<proxy_endpoint> proxy_for(const proxy_settings& settings, const ws_url& url);

/// A bad proxy variable: which one and why.
struct proxy_variable_error {
  std::string variable;
  proxy_errc code;
  std::string to_string() const;
};

/// Looks a variable up; null when unset. Production passes ::getenv.
using environment_reader = std::function<const char*(const char* name)>;

/// The settings the environment asks for, as curl reads them: ws:// takes
/// http_proxy (then HTTP_PROXY), wss:// takes https_proxy (then
/// HTTPS_PROXY), both fall back to all_proxy / ALL_PROXY; no_proxy (then
/// NO_PROXY) lists the bypass. An empty variable counts as unset. A
/// variable that is set but unusable is an error, never skipped: skipping
/// it would send traffic around a proxy the machine asked for.
expected<proxy_settings, proxy_variable_error>
proxy_settings_from_environment(const environment_reader& read);

/// One line that says what the settings do, for a start-up log.
std::string describe(const proxy_settings& settings);

} // namespace tether::protocol
