// tetherd's control API and tether-hub bind exactly the address they are
// given: asked of the kernel (each listening socket's getsockname), not of
// our own code.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "apps/hub/hub_server.hpp"
#include "apps/common/listen_socket.hpp"
#include "apps/tetherd/control_api.hpp"

using namespace tether;

namespace {

/// The local addresses of this process's listening sockets on `port` in
/// one address family, asked of the kernel socket by socket (getsockname on
/// each of our descriptors, SO_ACCEPTCONN for "listening"). /proc/net/tcp6
/// is not used: it lists the whole namespace and, read while other tests
/// open sockets, can show one socket twice or skip it.
std::vector<std::string> listeners(int family, int port) {
  std::vector<std::string> out;
  for (auto& fd : std::filesystem::directory_iterator{"/proc/self/fd"}) {
    int n = std::stoi(fd.path().filename().string());
    int listening = 0;
    socklen_t llen = sizeof(listening);
    if (::getsockopt(n, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) != 0 || !listening)
      continue;
    sockaddr_storage sa{};
    socklen_t len = sizeof(sa);
    if (::getsockname(n, reinterpret_cast<sockaddr*>(&sa), &len) != 0 || sa.ss_family != family)
      continue;
    char text[INET6_ADDRSTRLEN] = {};
    int bound_port = 0;
    if (family == AF_INET) {
      auto& v4 = reinterpret_cast<sockaddr_in&>(sa);
      ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
      bound_port = ntohs(v4.sin_port);
    } else {
      auto& v6 = reinterpret_cast<sockaddr_in6&>(sa);
      ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
      bound_port = ntohs(v6.sin6_port);
    }
    if (bound_port == port)
      out.emplace_back(text);
  }
  return out;
}

const std::string v4_loopback = "127.0.0.1";
const std::string v4_any = "0.0.0.0";
const std::string v6_loopback = "::1";
const std::string v6_any = "::";

using strings = std::vector<std::string>;

daemon::control_api api_on(const std::string& listen) {
  daemon::control_api_options opts;
  opts.listen = listen;
  opts.token = "t";
  return daemon::control_api{opts, [](daemon::api_request) {}};
}

/// Whether this process's IPv6 listening socket on `port` is v6-only (it
/// then takes no IPv4 connection, whatever else listens on that port).
bool v6_only(int port) {
  for (auto& fd : std::filesystem::directory_iterator{"/proc/self/fd"}) {
    int n = std::stoi(fd.path().filename().string());
    sockaddr_in6 sa{};
    socklen_t len = sizeof(sa);
    if (::getsockname(n, reinterpret_cast<sockaddr*>(&sa), &len) != 0 || sa.sin6_family != AF_INET6
        || ntohs(sa.sin6_port) != port)
      continue;
    int only = 0;
    socklen_t olen = sizeof(only);
    if (::getsockopt(n, IPPROTO_IPV6, IPV6_V6ONLY, &only, &olen) == 0)
      return only != 0;
  }
  return false;
}

} // namespace

TEST_CASE("the control API binds exactly its listen address", "[tetherd]") {
  SECTION("127.0.0.1: IPv4 loopback only, no IPv6 socket") {
    auto api = api_on("127.0.0.1:0");
    CHECK(listeners(AF_INET, api.port()) == strings{v4_loopback});
    CHECK(listeners(AF_INET6, api.port()).empty());
  }
  SECTION("localhost is 127.0.0.1") {
    auto api = api_on("localhost:0");
    CHECK(listeners(AF_INET, api.port()) == strings{v4_loopback});
    CHECK(listeners(AF_INET6, api.port()).empty());
  }
  SECTION("[::1]: IPv6 loopback only") {
    auto api = api_on("[::1]:0");
    CHECK(listeners(AF_INET6, api.port()) == strings{v6_loopback});
    CHECK(listeners(AF_INET, api.port()).empty());
  }
  SECTION("0.0.0.0 (allowed by the config's allow_remote): every IPv4 address") {
    auto api = api_on("0.0.0.0:0");
    CHECK(listeners(AF_INET, api.port()) == strings{v4_any});
    CHECK(listeners(AF_INET6, api.port()).empty());
  }
  SECTION("[::]: every IPv6 address, and no IPv4 one") {
    auto api = api_on("[::]:0");
    CHECK(listeners(AF_INET6, api.port()) == strings{v6_any});
    CHECK(listeners(AF_INET, api.port()).empty());
    CHECK(v6_only(api.port()));
  }
  SECTION("unix:/path: a Unix socket there, mode 0600, and no TCP socket") {
    auto dir = std::filesystem::temp_directory_path()
               / ("tether-listen-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / "api.sock").string();
    {
      auto api = api_on("unix:" + path);
      CHECK(api.port() == 0);
      sockaddr_un sa{};
      bool listening = false;
      for (auto& fd : std::filesystem::directory_iterator{"/proc/self/fd"}) {
        int n = std::stoi(fd.path().filename().string());
        socklen_t len = sizeof(sa);
        int accepting = 0;
        socklen_t alen = sizeof(accepting);
        if (::getsockname(n, reinterpret_cast<sockaddr*>(&sa), &len) == 0
            && sa.sun_family == AF_UNIX && path == sa.sun_path
            && ::getsockopt(n, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) == 0 && accepting)
          listening = true;
      }
      CHECK(listening);
      struct stat st {};
      REQUIRE(::stat(path.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
    }
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("a listener that cannot be opened refuses to start, never runs without one",
          "[tetherd]") {
  // a Unix socket in a folder that does not exist cannot be bound
  CHECK_THROWS_WITH(api_on("unix:/nonexistent-tether-dir/api.sock"),
                    Catch::Contains("cannot listen")
                      && Catch::Contains("No such file or directory"));
  // a port another socket holds
  std::string why;
  auto holder = tether::apps::parse_listen_address("127.0.0.1:0", why);
  REQUIRE(holder);
  auto held = tether::apps::open_listen_socket(*holder, why);
  REQUIRE(held.fd >= 0);
  CHECK_THROWS_WITH(api_on("127.0.0.1:" + std::to_string(held.port)),
                    Catch::Contains("Address already in use"));
  ::close(held.fd);
}

TEST_CASE("tether-hub binds exactly its --host", "[tetherd]") {
  hub::hub_options opts;
  opts.port = 0;
  SECTION("127.0.0.1") {
    opts.host = "127.0.0.1";
    hub::hub_server h{opts};
    CHECK(listeners(AF_INET, h.port()) == strings{v4_loopback});
    CHECK(listeners(AF_INET6, h.port()).empty());
  }
  SECTION("::1") {
    opts.host = "::1";
    hub::hub_server h{opts};
    CHECK(listeners(AF_INET6, h.port()) == strings{v6_loopback});
    CHECK(listeners(AF_INET, h.port()).empty());
  }
}
