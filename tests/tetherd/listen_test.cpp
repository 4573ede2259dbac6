// tetherd's control API and tether-hub bind exactly the address they are
// given: asked of the kernel (/proc/net/tcp, tcp6), not of our own code.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "apps/hub/hub_server.hpp"
#include "apps/tetherd/control_api.hpp"

using namespace tether;

namespace {

/// The inodes of this process's sockets (/proc/self/fd → "socket:[N]"):
/// another test process may listen on the same port number in the other
/// address family, so only our own sockets count.
std::set<std::string> own_socket_inodes() {
  std::set<std::string> out;
  for (auto& fd : std::filesystem::directory_iterator{"/proc/self/fd"}) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0)
      out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

/// The local addresses (kernel hex) of this process's listening sockets on
/// `port`, in /proc/net/<table> (tcp or tcp6).
std::vector<std::string> listeners(const std::string& table, int port) {
  auto ours = own_socket_inodes();
  std::ifstream in{"/proc/net/" + table};
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout
      >> inode;
    auto colon = local.rfind(':');
    if (state == "0A" && std::stoi(local.substr(colon + 1), nullptr, 16) == port
        && ours.count(inode))
      out.push_back(local.substr(0, colon));
  }
  return out;
}

const std::string v4_loopback = "0100007F";
const std::string v4_any = "00000000";
const std::string v6_loopback = "00000000000000000000000001000000";
const std::string v6_any = "00000000000000000000000000000000";

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
    CHECK(listeners("tcp", api.port()) == strings{v4_loopback});
    CHECK(listeners("tcp6", api.port()).empty());
  }
  SECTION("localhost is 127.0.0.1") {
    auto api = api_on("localhost:0");
    CHECK(listeners("tcp", api.port()) == strings{v4_loopback});
    CHECK(listeners("tcp6", api.port()).empty());
  }
  SECTION("[::1]: IPv6 loopback only") {
    auto api = api_on("[::1]:0");
    CHECK(listeners("tcp6", api.port()) == strings{v6_loopback});
    CHECK(listeners("tcp", api.port()).empty());
  }
  SECTION("0.0.0.0 (allowed by the config's allow_remote): every IPv4 address") {
    auto api = api_on("0.0.0.0:0");
    CHECK(listeners("tcp", api.port()) == strings{v4_any});
    CHECK(listeners("tcp6", api.port()).empty());
  }
  SECTION("[::]: every IPv6 address, and no IPv4 one") {
    auto api = api_on("[::]:0");
    CHECK(listeners("tcp6", api.port()) == strings{v6_any});
    CHECK(listeners("tcp", api.port()).empty());
    CHECK(v6_only(api.port()));
  }
}

TEST_CASE("tether-hub binds exactly its --host", "[tetherd]") {
  hub::hub_options opts;
  opts.port = 0;
  SECTION("127.0.0.1") {
    opts.host = "127.0.0.1";
    hub::hub_server h{opts};
    CHECK(listeners("tcp", h.port()) == strings{v4_loopback});
    CHECK(listeners("tcp6", h.port()).empty());
  }
  SECTION("::1") {
    opts.host = "::1";
    hub::hub_server h{opts};
    CHECK(listeners("tcp6", h.port()) == strings{v6_loopback});
    CHECK(listeners("tcp", h.port()).empty());
  }
}
