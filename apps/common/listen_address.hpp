#pragma once
// Where a server of ours listens (tetherd's control API, tether-hub), parsed
// from its config and applied to libwebsockets so that it binds exactly
// that: libwebsockets otherwise opens an IPv6 any-address socket even when
// given "127.0.0.1" (docs/operations.md, "Listening").

#include <optional>
#include <string>
#include <string_view>

struct lws_context_creation_info;

namespace tether::apps {

struct listen_address {
  enum class family { ipv4, ipv6, unix_path };
  family kind = family::ipv4;
  std::string host; ///< an address literal (IPv6 without brackets), or the path
  int port = 0;     ///< 0: any free port
  /// 127.0.0.0/8, ::1 or a Unix socket: reachable from this machine only.
  bool loopback = true;

  /// As written in a config: "127.0.0.1:4100", "[::1]:4100", "unix:/path".
  std::string text() const;
};

/// Parses "IPV4:PORT", "[IPV6]:PORT", "localhost:PORT" (127.0.0.1) or
/// "unix:/absolute/path". Host names other than localhost are refused: a
/// listener binds an address. On failure returns nothing and sets `why`.
std::optional<listen_address> parse_listen_address(std::string_view text,
                                                   std::string& why);

/// Sets `info`'s iface, port and options to bind `where` only. `iface` must
/// outlive the context creation (info keeps a pointer into it).
void bind_exactly(lws_context_creation_info& info, const listen_address& where,
                  std::string& iface);

} // namespace tether::apps
