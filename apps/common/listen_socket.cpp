#include "apps/common/listen_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tether::apps {

namespace {

listen_socket fail(int fd, std::string& why, const std::string& what) {
  why = what + ": " + std::strerror(errno);
  if (fd >= 0)
    ::close(fd);
  return {};
}

} // namespace

listen_socket open_listen_socket(const listen_address& where, std::string& why) {
  using fam = listen_address::family;
  int domain = where.kind == fam::unix_path ? AF_UNIX
               : where.kind == fam::ipv6    ? AF_INET6
                                            : AF_INET;
  int fd = ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail(fd, why, "socket");
  int one = 1;
  if (where.kind == fam::unix_path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (where.host.size() >= sizeof(sa.sun_path)) {
      errno = ENAMETOOLONG;
      return fail(fd, why, where.host);
    }
    std::memcpy(sa.sun_path, where.host.c_str(), where.host.size() + 1);
    ::unlink(where.host.c_str()); // a stale socket of an earlier run
    // Made 0600 as it is created: the token still applies; the mode is a second lock.
    auto old_mask = ::umask(0177);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    ::umask(old_mask);
    if (rc != 0)
      return fail(fd, why, "bind " + where.host);
  } else if (where.kind == fam::ipv6) {
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)); // [::] is not 0.0.0.0 too
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(where.port));
    if (::inet_pton(AF_INET6, where.host.c_str(), &sa.sin6_addr) != 1) {
      errno = EINVAL;
      return fail(fd, why, where.host);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      return fail(fd, why, "bind " + where.text());
  } else {
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(where.port));
    if (::inet_pton(AF_INET, where.host.c_str(), &sa.sin_addr) != 1) {
      errno = EINVAL;
      return fail(fd, why, where.host);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      return fail(fd, why, "bind " + where.text());
  }
  if (::listen(fd, 128) != 0)
    return fail(fd, why, "listen");
  listen_socket out{fd, 0};
  if (where.kind != fam::unix_path) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    out.port = ss.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                 : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  return out;
}

} // namespace tether::apps
