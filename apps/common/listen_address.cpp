#include "apps/common/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include <libwebsockets.h>

namespace tether::apps {

namespace {

std::optional<int> parse_port(std::string_view s) {
  int port = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc{} || end != s.data() + s.size() || port < 0 || port > 65535)
    return std::nullopt;
  return port;
}

} // namespace

std::string listen_address::text() const {
  switch (kind) {
    case family::unix_path:
      return "unix:" + host;
    case family::ipv6:
      return "[" + host + "]:" + std::to_string(port);
    case family::ipv4:
      break;
  }
  return host + ":" + std::to_string(port);
}

std::optional<listen_address> parse_listen_address(std::string_view text,
                                                   std::string& why) {
  listen_address out;
  if (text.rfind("unix:", 0) == 0) {
    out.kind = listen_address::family::unix_path;
    out.host = std::string{text.substr(5)};
    if (out.host.empty() || out.host.front() != '/') {
      why = "a Unix socket needs an absolute path (unix:/path)";
      return std::nullopt;
    }
    return out;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    why = "expected \"HOST:PORT\", \"[IPV6]:PORT\" or \"unix:/path\"";
    return std::nullopt;
  }
  auto port = parse_port(text.substr(colon + 1));
  if (!port) {
    why = "the port must be a number from 0 to 65535";
    return std::nullopt;
  }
  out.port = *port;
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    out.kind = listen_address::family::ipv6;
    out.host = std::string{host.substr(1, host.size() - 2)};
    in6_addr a6{};
    if (inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      why = "\"" + out.host + "\" is not an IPv6 address";
      return std::nullopt;
    }
    out.loopback = IN6_IS_ADDR_LOOPBACK(&a6);
    return out;
  }
  out.kind = listen_address::family::ipv4;
  out.host = host == "localhost" ? "127.0.0.1" : std::string{host};
  in_addr a4{};
  if (inet_pton(AF_INET, out.host.c_str(), &a4) != 1) {
    why = "\"" + std::string{host}
          + "\" is not an IPv4 address (write an IPv6 one in brackets; host names "
            "other than localhost are not accepted)";
    return std::nullopt;
  }
  out.loopback = (ntohl(a4.s_addr) >> 24) == 127;
  return out;
}

void bind_exactly(lws_context_creation_info& info, const listen_address& where,
                  std::string& iface) {
  iface = where.host;
  info.iface = iface.c_str();
  switch (where.kind) {
    case listen_address::family::unix_path:
      info.options |= LWS_SERVER_OPTION_UNIX_SOCK;
      // lws 4.1 takes the Unix-socket path only with port 0; any other port
      // reads the path as a network interface's name, which does not exist.
      info.port = 0;
      return;
    case listen_address::family::ipv4:
      // Without this lws opens an AF_INET6 socket bound to the any-address.
      info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
      break;
    case listen_address::family::ipv6:
      // IPv6 only: "[::]" must not also take every IPv4 address.
      info.options |= LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
      break;
  }
  info.port = where.port; // 0: the kernel picks a free one
}

} // namespace tether::apps
