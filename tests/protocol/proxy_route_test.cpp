// The proxy rules of docs/transport.md ("Proxies"): the proxy URL, the
// bypass list and the environment variables as curl reads them.

#include <catch2/catch.hpp>

#include <map>

#include "protocol/proxy_route.hpp"

using namespace tether::protocol;

namespace {

ws_url url_of(const char* text) {
  auto u = parse_ws_url(text);
  REQUIRE(u.has_value());
  return *u;
}

environment_reader env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto i = vars.find(name);
    return i == vars.end() ? nullptr : i->second.c_str();
  };
}

} // namespace

TEST_CASE("a proxy URL names host, port and credentials", "[proxy]") {
  auto p = parse_proxy_url("http://alice:s%40cret@proxy.corp:3128/");
  REQUIRE(p.has_value());
  CHECK(p->host == "proxy.corp");
  CHECK(p->port == 3128);
  CHECK(p->credentials == "alice:s@cret");
  CHECK(p->shown() == "proxy.corp:3128"); // never the password

  auto bare = parse_proxy_url("127.0.0.1:8080");
  REQUIRE(bare.has_value());
  CHECK(bare->host == "127.0.0.1");
  CHECK(bare->port == 8080);
  CHECK(bare->credentials.empty());

  CHECK(parse_proxy_url("http://proxy.corp")->port == 1080); // curl's default
  auto v6 = parse_proxy_url("http://[::1]:3128");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->shown() == "[::1]:3128");
}

TEST_CASE("a proxy URL tether cannot use is refused with the reason", "[proxy]") {
  CHECK(parse_proxy_url("https://proxy.corp:3128").error() == proxy_errc::unsupported_scheme);
  CHECK(parse_proxy_url("socks5://proxy.corp:1080").error() == proxy_errc::unsupported_scheme);
  CHECK(parse_proxy_url("http://proxy.corp:0").error() == proxy_errc::bad_port);
  CHECK(parse_proxy_url("http://proxy.corp:99999").error() == proxy_errc::bad_port);
  CHECK(parse_proxy_url("http://proxy.corp:").error() == proxy_errc::bad_port);
  CHECK(parse_proxy_url("http://:3128").error() == proxy_errc::missing_host);
  CHECK(parse_proxy_url("http://proxy.corp:3128/path").error() == proxy_errc::missing_host);
  std::string long_user(96, 'u');
  CHECK(parse_proxy_url("http://" + long_user + "@p:1").error()
        == proxy_errc::credentials_too_long);
  CHECK(parse_proxy_url("http://" + std::string(95, 'u') + "@p:1").has_value());
}

TEST_CASE("no_proxy matches a host, its subdomains, an address and a port", "[proxy]") {
  auto b = parse_no_proxy("localhost, .internal.corp,example.com 10.0.0.7,api.test:8443");
  CHECK(bypasses(b, "localhost", 80));
  CHECK(bypasses(b, "LOCALHOST", 80)); // host names ignore case
  CHECK(bypasses(b, "internal.corp", 443));
  CHECK(bypasses(b, "a.b.internal.corp", 443));
  CHECK(bypasses(b, "example.com", 80));
  CHECK(bypasses(b, "www.example.com", 80));
  CHECK(bypasses(b, "example.com.", 80)); // the root dot changes nothing
  CHECK_FALSE(bypasses(b, "badexample.com", 80)); // a suffix is not a subdomain
  CHECK(bypasses(b, "10.0.0.7", 4000));
  CHECK_FALSE(bypasses(b, "10.0.0.70", 4000));
  CHECK(bypasses(b, "api.test", 8443));
  CHECK_FALSE(bypasses(b, "api.test", 443)); // only the port it names
  CHECK_FALSE(bypasses(b, "proxy.corp", 80));

  CHECK(bypasses(parse_no_proxy("*"), "anything.at.all", 1));
  CHECK(bypasses(parse_no_proxy("[::1]"), "::1", 80));
  CHECK(bypasses(parse_no_proxy("::1"), "[::1]", 80));
  CHECK_FALSE(bypasses(parse_no_proxy(""), "localhost", 80));
}

TEST_CASE("ws:// and wss:// each take their own proxy unless bypassed", "[proxy]") {
  proxy_settings s;
  s.for_ws = *parse_proxy_url("http://plain:1");
  s.for_wss = *parse_proxy_url("http://secure:2");
  s.bypass = parse_no_proxy("direct.example");
  CHECK(proxy_for(s, url_of("ws://a.example/socket"))->host == "plain");
  CHECK(proxy_for(s, url_of("wss://a.example/socket"))->host == "secure");
  CHECK_FALSE(proxy_for(s, url_of("wss://direct.example/socket")));
  CHECK_FALSE(proxy_for(proxy_settings{}, url_of("ws://a.example/socket")));

  auto one = proxy_settings::through(*parse_proxy_url("http://both:3"));
  CHECK(proxy_for(one, url_of("ws://x/")) == proxy_for(one, url_of("wss://x/")));
}

TEST_CASE("the environment is read the way curl reads it", "[proxy]") {
  SECTION("lower case first, then upper case; https_proxy only for wss://") {
    auto s = proxy_settings_from_environment(env({{"http_proxy", "http://lower:1"},
                                                  {"HTTP_PROXY", "http://upper:2"},
                                                  {"HTTPS_PROXY", "http://secure:3"},
                                                  {"NO_PROXY", "localhost"}}));
    REQUIRE(s.has_value());
    CHECK(s->for_ws->host == "lower");
    CHECK(s->for_wss->host == "secure");
    CHECK(bypasses(s->bypass, "localhost", 1));
  }
  SECTION("all_proxy covers a scheme without its own variable") {
    auto s = proxy_settings_from_environment(env({{"https_proxy", "http://secure:3"},
                                                  {"all_proxy", "http://every:4"}}));
    REQUIRE(s.has_value());
    CHECK(s->for_ws->host == "every");
    CHECK(s->for_wss->host == "secure");
  }
  SECTION("empty variables count as unset") {
    auto s = proxy_settings_from_environment(env({{"http_proxy", ""}, {"HTTP_PROXY", ""}}));
    REQUIRE(s.has_value());
    CHECK(*s == proxy_settings{});
  }
  SECTION("a variable set to something unusable is an error naming it") {
    auto s = proxy_settings_from_environment(env({{"HTTPS_PROXY", "https://secure:3"}}));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().variable == "HTTPS_PROXY");
    CHECK(s.error().code == proxy_errc::unsupported_scheme);
    CHECK_THAT(s.error().to_string(), Catch::Contains("HTTPS_PROXY"));
  }
}

TEST_CASE("the start-up line says where each scheme goes, without passwords", "[proxy]") {
  proxy_settings s;
  s.for_wss = *parse_proxy_url("http://bob:hunter2@secure:3128");
  s.bypass = parse_no_proxy("localhost,api.test:8443");
  auto line = describe(s);
  CHECK(line == "ws:// direct, wss:// through secure:3128 (with credentials), bypassed for "
                "localhost api.test:8443");
  CHECK(line.find("hunter2") == std::string::npos);
}
