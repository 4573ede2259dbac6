#include "support/hostile_ws_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace tether::testing {

namespace {

/// Sec-WebSocket-Accept for `key` (RFC 6455 4.2.2).
std::string accept_of(const std::string& key) {
  auto text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  unsigned char out[64];
  auto n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

} // namespace

hostile_ws_server::hostile_ws_server(std::string after_upgrade,
                                     std::chrono::milliseconds delay)
  : bytes_(std::move(after_upgrade)), delay_(delay) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::listen(listen_fd_, 1) != 0)
    throw std::runtime_error("hostile_ws_server: cannot listen");
  socklen_t len = sizeof(sa);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  thread_ = std::thread{[this] { serve(); }};
}

hostile_ws_server::~hostile_ws_server() {
  done_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string hostile_ws_server::url() const {
  return "ws://127.0.0.1:" + std::to_string(port_) + "/socket/websocket";
}

void hostile_ws_server::serve() {
  pollfd p{listen_fd_, POLLIN, 0};
  while (!done_ && ::poll(&p, 1, 50) == 0) {
  }
  if (done_)
    return;
  int fd = ::accept(listen_fd_, nullptr, nullptr);
  std::string request;
  char buf[4096];
  pollfd c{fd, POLLIN, 0};
  while (!done_ && request.find("\r\n\r\n") == std::string::npos) {
    if (::poll(&c, 1, 50) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      break;
    request.append(buf, static_cast<size_t>(n));
  }
  const std::string name = "Sec-WebSocket-Key: ";
  auto at = request.find(name);
  if (at != std::string::npos) {
    auto end = request.find("\r\n", at);
    auto key = request.substr(at + name.size(), end - at - name.size());
    auto answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                  + accept_of(key) + "\r\n\r\n";
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    // the server's own script, not a wait for the client: silent, then the bytes
    auto until = std::chrono::steady_clock::now() + delay_;
    while (!done_ && std::chrono::steady_clock::now() < until)
      ::poll(nullptr, 0, 10);
    ::send(fd, bytes_.data(), bytes_.size(), MSG_NOSIGNAL);
  }
  // hold the socket open, reading (and dropping) what comes, until the end
  while (!done_) {
    if (::poll(&c, 1, 50) > 0 && ::recv(fd, buf, sizeof(buf), 0) <= 0)
      break;
  }
  ::close(fd);
}

} // namespace tether::testing
