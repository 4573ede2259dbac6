#include <catch2/catch.hpp>

#include "protocol/url.hpp"

using namespace tether::protocol;

TEST_CASE("ws and wss URLs split into host, port and path", "[protocol]") {
  auto u = parse_ws_url("ws://127.0.0.1:4000/socket/websocket?vsn=2.0.0");
  REQUIRE(u.has_value());
  CHECK_FALSE(u->tls);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 4000);
  CHECK(u->path == "/socket/websocket?vsn=2.0.0");
  auto s = parse_ws_url("wss://example.test");
  REQUIRE(s.has_value());
  CHECK(s->tls);
  CHECK(s->port == 443);
  CHECK(s->path == "/");
  auto v6 = parse_ws_url("ws://[::1]:8080?x=1");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);
  CHECK(v6->path == "/?x=1");
}

TEST_CASE("bad URLs have typed errors", "[protocol]") {
  CHECK(parse_ws_url("http://x").error() == url_errc::bad_scheme);
  CHECK(parse_ws_url("ws://:80/").error() == url_errc::missing_host);
  CHECK(parse_ws_url("ws://h:0/").error() == url_errc::bad_port);
  CHECK(parse_ws_url("ws://h:99999/").error() == url_errc::bad_port);
  CHECK(parse_ws_url("ws://h:/").error() == url_errc::bad_port);
  CHECK(parse_ws_url("ws://h:12ab/").error() == url_errc::bad_port);
}

TEST_CASE("connect params are percent-encoded into the query", "[protocol]") {
  CHECK(with_query("/socket/websocket", {{"token", "a b&c"}, {"vsn", "2.0.0"}})
        == "/socket/websocket?token=a%20b%26c&vsn=2.0.0");
  CHECK(with_query("/s?x=1", {{"vsn", "2.0.0"}}) == "/s?x=1&vsn=2.0.0");
}
