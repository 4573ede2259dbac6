#include "protocol/url.hpp"

#include <charconv>

namespace tether::protocol {

std::string_view to_string(url_errc code) noexcept {
  switch (code) {
    case url_errc::bad_scheme:
      return "bad_scheme";
    case url_errc::missing_host:
      return "missing_host";
    case url_errc::bad_port:
      return "bad_port";
  }
  return "unknown_url_error";
}

expected<ws_url, url_errc> parse_ws_url(std::string_view url) {
  ws_url out;
  if (url.rfind("ws://", 0) == 0) {
    url.remove_prefix(5);
  } else if (url.rfind("wss://", 0) == 0) {
    url.remove_prefix(6);
    out.tls = true;
    out.port = 443;
  } else {
    return unexpected{url_errc::bad_scheme};
  }
  auto path_at = url.find_first_of("/?");
  auto authority = url.substr(0, path_at);
  if (path_at != std::string_view::npos) {
    out.path.assign(url.substr(path_at));
    if (out.path.front() == '?')
      out.path.insert(0, "/");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') { // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return unexpected{url_errc::missing_host};
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return unexpected{url_errc::bad_port};
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return unexpected{url_errc::missing_host};
  out.host.assign(host);
  if (!port.empty() || authority.back() == ':') {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0
        || value > 65535)
      return unexpected{url_errc::bad_port};
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                      || (c >= '0' && c <= '9') || c == '-' || c == '.'
                      || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
  return out;
}

std::string with_query(std::string_view path, const query_params& params) {
  std::string out{path};
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  for (auto& [key, value] : params) {
    out.push_back(sep);
    out += percent_encode(key);
    out.push_back('=');
    out += percent_encode(value);
    sep = '&';
  }
  return out;
}

} // namespace tether::protocol
