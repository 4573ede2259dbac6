#pragma once
// A listening socket bound to exactly one listen_address, opened with the
// plain socket API (for servers that do not run on libwebsockets): an IPv6
// address never takes IPv4 too, a Unix socket replaces a stale one and is
// made 0600.

#include <string>

#include "apps/common/listen_address.hpp"

namespace tether::apps {

struct listen_socket {
  int fd = -1;
  int port = 0; ///< the TCP port bound (the kernel's choice for port 0); 0 on a Unix socket
};

/// A non-blocking listening socket at `where`, or fd -1 and `why`.
listen_socket open_listen_socket(const listen_address& where, std::string& why);

} // namespace tether::apps
