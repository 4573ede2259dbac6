#include "protocol/proxy_route.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tether::protocol {

namespace {

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// %XX sequences decoded; a stray % is kept as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

/// Splits `host[:port]` or `[v6][:port]`; port 0 when absent. False when
/// the port is not a number in 1..65535.
bool split_host_port(std::string_view text, std::string& host, uint16_t& port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return false;
    host.assign(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return false;
      port_text = rest.substr(1);
      if (port_text.empty())
        return false;
    }
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos
                                           && text.find(':') == colon) {
    host.assign(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (port_text.empty())
      return false;
  } else {
    host.assign(text); // a bare IPv6 address has several colons and no port
  }
  port = 0;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0
        || value > 65535)
      return false;
    port = static_cast<uint16_t>(value);
  }
  return true;
}

const char* first_set(const environment_reader& read, std::initializer_list<const char*> names,
                      const char*& which) {
  for (auto* name : names) {
    auto* value = read(name);
    if (value && *value) {
      which = name;
      return value;
    }
  }
  return nullptr;
}

} // namespace

std::string_view to_string(proxy_errc code) noexcept {
  switch (code) {
    case proxy_errc::unsupported_scheme:
      return "unsupported_scheme";
    case proxy_errc::missing_host:
      return "missing_host";
    case proxy_errc::bad_port:
      return "bad_port";
    case proxy_errc::credentials_too_long:
      return "credentials_too_long";
  }
  return "unknown_proxy_error";
}

std::string proxy_endpoint::shown() const {
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

expected<proxy_endpoint, proxy_errc> parse_proxy_url(std::string_view url) {
  if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    if (lower(url.substr(0, scheme_end)) != "http")
      return unexpected{proxy_errc::unsupported_scheme};
    url.remove_prefix(scheme_end + 3);
  }
  if (auto path = url.find('/'); path != std::string_view::npos) {
    if (url.find_first_not_of('/', path) != std::string_view::npos)
      return unexpected{proxy_errc::missing_host}; // a path: not a proxy URL
    url = url.substr(0, path);
  }
  proxy_endpoint out;
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    out.credentials = percent_decode(url.substr(0, at));
    url.remove_prefix(at + 1);
    if (out.credentials.size() > max_proxy_credentials)
      return unexpected{proxy_errc::credentials_too_long};
  }
  uint16_t port = 0;
  if (!split_host_port(url, out.host, port))
    return unexpected{proxy_errc::bad_port};
  if (out.host.empty())
    return unexpected{proxy_errc::missing_host};
  if (port != 0)
    out.port = port;
  return out;
}

proxy_bypass parse_no_proxy(std::string_view list) {
  proxy_bypass out;
  size_t at = 0;
  while (at < list.size()) {
    auto end = list.find_first_of(", \t", at);
    if (end == std::string_view::npos)
      end = list.size();
    auto item = list.substr(at, end - at);
    at = end + 1;
    if (item.empty())
      continue;
    if (item == "*") {
      out.everything = true;
      continue;
    }
    proxy_bypass::entry e;
    if (!split_host_port(item, e.host, e.port)) {
      e.host.assign(item); // kept whole: it can only match a host spelled so
      e.port = 0;
    }
    e.host = lower(e.host);
    while (!e.host.empty() && e.host.front() == '.')
      e.host.erase(0, 1);
    if (!e.host.empty())
      out.entries.push_back(std::move(e));
  }
  return out;
}

bool bypasses(const proxy_bypass& bypass, std::string_view host, uint16_t port) {
  if (bypass.everything)
    return true;
  auto name = lower(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  while (!name.empty() && name.back() == '.') // "example.com." is example.com
    name.pop_back();
  for (auto& e : bypass.entries) {
    if (e.port != 0 && e.port != port)
      continue;
    if (name == e.host)
      return true;
    // a subdomain: "api.example.com" under "example.com", not "badexample.com"
    if (name.size() > e.host.size()
        && name.compare(name.size() - e.host.size(), e.host.size(), e.host) == 0
        && name[name.size() - e.host.size() - 1] == '.')
      return true;
  }
  return false;
}

proxy_settings proxy_settings::through(proxy_endpoint proxy, proxy_bypass bypass) {
  proxy_settings out;
  out.for_ws = proxy;
  out.for_wss = std::move(proxy);
  out.bypass = std::move(bypass);
  return out;
}

std::optional<proxy_endpoint> proxy_for(const proxy_settings& settings, const ws_url& url) {
  auto& chosen = url.tls ? settings.for_wss : settings.for_ws;
  if (!chosen || bypasses(settings.bypass, url.host, url.port))
    return std::nullopt;
  return chosen;
}

std::string proxy_variable_error::to_string() const {
  return "the environment variable " + variable + " is not a usable proxy URL ("
         + std::string{protocol::to_string(code)} + ")";
}

expected<proxy_settings, proxy_variable_error>
proxy_settings_from_environment(const environment_reader& read) {
  proxy_settings out;
  auto pick = [&](std::initializer_list<const char*> names,
                  std::optional<proxy_endpoint>& into) -> std::optional<proxy_variable_error> {
    const char* which = nullptr;
    auto* value = first_set(read, names, which);
    if (!value)
      return std::nullopt;
    auto parsed = parse_proxy_url(value);
    if (!parsed)
      return proxy_variable_error{which, parsed.error()};
    into = std::move(*parsed);
    return std::nullopt;
  };
  if (auto bad = pick({"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}, out.for_ws))
    return unexpected{std::move(*bad)};
  if (auto bad = pick({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}, out.for_wss))
    return unexpected{std::move(*bad)};
  const char* which = nullptr;
  if (auto* list = first_set(read, {"no_proxy", "NO_PROXY"}, which))
    out.bypass = parse_no_proxy(list);
  return out;
}

std::string describe(const proxy_settings& settings) {
  auto one = [](const std::optional<proxy_endpoint>& p) {
    return p ? "through " + p->shown() + (p->credentials.empty() ? "" : " (with credentials)")
             : std::string{"direct"};
  };
  std::string out = "ws:// " + one(settings.for_ws) + ", wss:// " + one(settings.for_wss);
  if (settings.bypass.everything) {
    out += ", every host bypasses the proxy";
  } else if (!settings.bypass.entries.empty()) {
    out += ", bypassed for";
    for (auto& e : settings.bypass.entries)
      out += " " + e.host + (e.port ? ":" + std::to_string(e.port) : "");
  }
  return out;
}

} // namespace tether::protocol
