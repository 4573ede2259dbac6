#include <catch2/catch.hpp>

#include "protocol/url.hpp"
#include "protocol/wire_version.hpp"

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

TEST_CASE("the serializer comes from the URL's vsn, as Phoenix chooses it", "[url]") {
  using tether::protocol::wire_version;
  using tether::protocol::wire_version_of;
  auto none = wire_version_of("ws://h/socket/websocket");
  REQUIRE(none);
  CHECK(none->version == wire_version::v2);
  CHECK_FALSE(none->in_url); // tether adds vsn=2.0.0
  auto v1 = wire_version_of("ws://h/socket/websocket?token=x&vsn=1.0.0");
  REQUIRE(v1);
  CHECK(v1->version == wire_version::v1);
  CHECK(v1->in_url);
  auto v2 = wire_version_of("ws://h/s?vsn=2.0.0#frag");
  REQUIRE(v2);
  CHECK(v2->version == wire_version::v2);
  CHECK(v2->in_url);
  CHECK_FALSE(wire_version_of("ws://h/s?vsn=3.0.0"));
  CHECK_FALSE(wire_version_of("ws://h/s?vsn="));
  CHECK(wire_version_of("ws://h/s?xvsn=9")->version == wire_version::v2); // not the vsn key
}
