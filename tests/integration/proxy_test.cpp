// Sockets through an HTTP CONNECT proxy (docs/transport.md, "Proxies"),
// against tether-hub and a CONNECT proxy on loopback written for the test.

#include "integration/socket_fixture.hpp"
#include "integration/test_certificate.hpp"
#include "testing/connect_proxy.hpp"

#include <cstdlib>

using namespace tether;
using namespace tether::testing;

namespace {

transport_config through(const connect_proxy& proxy, protocol::proxy_bypass bypass = {}) {
  transport_config cfg;
  cfg.proxy = protocol::proxy_settings::through(*protocol::parse_proxy_url(proxy.url()),
                                                std::move(bypass));
  return cfg;
}

std::string target_of(const hub_process& hub) {
  return "127.0.0.1:" + std::to_string(hub.port());
}

/// Sets an environment variable for one scope (the transport reads the
/// environment when it starts; nothing else in these tests does).
struct scoped_env {
  std::string name;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() {
    ::unsetenv(name.c_str());
  }
};

/// A heartbeat goes out and its reply comes back on `id`.
void round_trip(socket_fixture& f, socket_id id) {
  REQUIRE_FALSE(f.send(id, *f.codec.encode_heartbeat("7")));
  CHECK(f.next_frame().ref == "7");
}

} // namespace

TEST_CASE("a ws:// socket goes through the configured proxy", "[integration][proxy]") {
  hub_process hub;
  connect_proxy proxy;
  socket_fixture f{through(proxy)};
  auto id = f.open({hub.url()});
  REQUIRE(f.next<socket_opened>().id == id);
  round_trip(f, id);
  CHECK(proxy.requests() == std::vector<std::string>{target_of(hub)});
  CHECK(proxy.tunnels() == 1);
}

TEST_CASE("a wss:// socket runs TLS to the server inside the tunnel", "[integration][proxy]") {
  test_certificate tls;
  hub_process hub{{"--tls-cert", tls.cert, "--tls-key", tls.key}};
  connect_proxy proxy;
  auto cfg = through(proxy);
  cfg.ca_file = tls.cert;
  socket_fixture f{cfg};
  auto id = f.open({hub.url()});
  REQUIRE(f.next<socket_opened>().id == id);
  round_trip(f, id);
  CHECK(proxy.requests() == std::vector<std::string>{target_of(hub)});
}

TEST_CASE("a proxy that wants credentials gets them from the proxy URL",
          "[integration][proxy]") {
  hub_process hub;
  connect_proxy proxy{"alice:s3cret"};
  SECTION("without them the proxy refuses the tunnel: proxy_failed") {
    socket_fixture f{through(proxy)};
    f.open({hub.url()});
    auto failed = f.next<socket_failed>();
    INFO(failed.detail);
    CHECK(failed.why == transport_errc::proxy_failed);
    CHECK(proxy.tunnels() == 0);
  }
  SECTION("with them it opens") {
    transport_config cfg;
    cfg.proxy = protocol::proxy_settings::through(*protocol::parse_proxy_url(
      "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port())));
    socket_fixture f{cfg};
    auto id = f.open({hub.url()});
    REQUIRE(f.next<socket_opened>().id == id);
    round_trip(f, id);
    CHECK(proxy.tunnels() == 1);
  }
}

TEST_CASE("a proxy that cannot be reached fails the socket with proxy_failed",
          "[integration][proxy]") {
  hub_process hub;
  uint16_t closed_port;
  {
    connect_proxy gone; // its port, with nothing listening on it any more
    closed_port = gone.port();
  }
  transport_config cfg;
  cfg.proxy = protocol::proxy_settings::through(
    *protocol::parse_proxy_url("http://127.0.0.1:" + std::to_string(closed_port)));
  socket_fixture f{cfg};
  f.open({hub.url()});
  auto failed = f.next<socket_failed>();
  INFO(failed.detail);
  CHECK(failed.why == transport_errc::proxy_failed);
}

TEST_CASE("a host on the bypass list is reached directly", "[integration][proxy]") {
  hub_process hub;
  connect_proxy proxy;
  socket_fixture f{through(proxy, protocol::parse_no_proxy("localhost,127.0.0.1"))};
  auto id = f.open({hub.url()});
  REQUIRE(f.next<socket_opened>().id == id);
  round_trip(f, id);
  CHECK(proxy.requests().empty());
}

TEST_CASE("the environment's proxy is used unless the transport is given its own",
          "[integration][proxy]") {
  hub_process hub;
  connect_proxy proxy;
  scoped_env http_proxy{"http_proxy", proxy.url()};
  SECTION("no proxy configured: http_proxy is read at start") {
    socket_fixture f;
    auto id = f.open({hub.url()});
    REQUIRE(f.next<socket_opened>().id == id);
    CHECK(proxy.requests() == std::vector<std::string>{target_of(hub)});
  }
  SECTION("no_proxy in the environment sends the host around it") {
    scoped_env no_proxy{"no_proxy", "127.0.0.1"};
    socket_fixture f;
    auto id = f.open({hub.url()});
    REQUIRE(f.next<socket_opened>().id == id);
    CHECK(proxy.requests().empty());
  }
  SECTION("explicit empty settings connect directly whatever the environment says") {
    transport_config cfg;
    cfg.proxy = protocol::proxy_settings{};
    socket_fixture f{cfg};
    auto id = f.open({hub.url()});
    REQUIRE(f.next<socket_opened>().id == id);
    CHECK(proxy.requests().empty());
  }
}

TEST_CASE("an unusable proxy variable stops the transport from starting, naming it",
          "[integration][proxy]") {
  scoped_env bad{"https_proxy", "socks5://127.0.0.1:1080"};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  CHECK_THROWS_WITH(spawn_transport(sys), Catch::Contains("https_proxy"));
}
