#include "testing/connect_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>


namespace tether::testing {

namespace {

std::string base64(const std::string& text) {
  static constexpr char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < text.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(text[i])) << 16;
    if (i + 1 < text.size())
      n |= static_cast<uint32_t>(static_cast<unsigned char>(text[i + 1])) << 8;
    if (i + 2 < text.size())
      n |= static_cast<unsigned char>(text[i + 2]);
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < text.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? digits[n & 63] : '=';
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void send_all(int fd, const std::string& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    auto n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0)
      return;
    at += static_cast<size_t>(n);
  }
}

/// The value of header `name` (lower case) in a request head, or "".
std::string header_of(const std::string& head, const std::string& name) {
  auto text = lower(head);
  auto at = text.find("\r\n" + name + ":");
  if (at == std::string::npos)
    return {};
  auto start = at + 3 + name.size();
  auto end = head.find("\r\n", start);
  auto value = head.substr(start, end - start);
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

} // namespace

connect_proxy::connect_proxy(std::string credentials) : credentials_(std::move(credentials)) {
  // Every descriptor close-on-exec: a server the test starts (fork, exec)
  // while a tunnel is open must not inherit its sockets, or closing them
  // here would not close the connection (seen: a client never told its
  // server was gone, because the restarted server held the tunnel open).
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0)
    throw std::runtime_error("connect_proxy: pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0
      || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("connect_proxy: cannot listen");
  socklen_t len = sizeof(sa);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  acceptor_ = std::thread{[this] { accept_loop(); }};
}

connect_proxy::~connect_proxy() {
  char byte = 1;
  (void) !::write(stop_pipe_[1], &byte, 1); // every poll below watches it
  acceptor_.join();
  for (auto& w : workers_)
    w.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

std::string connect_proxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> connect_proxy::requests() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return requests_;
}

void connect_proxy::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 || fds[1].revents)
      return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0)
      workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void connect_proxy::serve(int fd) {
  std::string head;
  char buf[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 || fds[1].revents)
      return (void) ::close(fd);
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return (void) ::close(fd);
    head.append(buf, static_cast<size_t>(n));
  }
  auto head_end = head.find("\r\n\r\n");
  auto early = head_end == std::string::npos ? std::string{} : head.substr(head_end + 4);
  // "CONNECT host:port HTTP/1.x"
  auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
  if (head.compare(0, 8, "CONNECT ") != 0 || sp2 == std::string::npos) {
    send_all(fd, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
    return (void) ::close(fd);
  }
  auto target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    requests_.push_back(target);
  }
  if (!credentials_.empty()) {
    auto given = header_of(head, "proxy-authorization");
    if (lower(given.substr(0, 6)) != "basic " || given.substr(6) != base64(credentials_)) {
      send_all(fd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                   "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
      return (void) ::close(fd);
    }
  }
  auto colon = target.rfind(':');
  auto host = target.substr(0, colon);
  int upstream = -1;
  if (colon != std::string::npos && (host == "127.0.0.1" || host == "localhost"))
    upstream = connect_loopback(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  if (upstream < 0) {
    send_all(fd, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
    return (void) ::close(fd);
  }
  send_all(fd, "HTTP/1.1 200 Connection established\r\n\r\n");
  ++tunnels_;
  to_server_ += early.size();
  send_all(upstream, early);
  for (;;) {
    pollfd fds[3] = {{fd, POLLIN, 0}, {upstream, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 || fds[2].revents)
      break;
    bool closed = false;
    for (int side = 0; side < 2 && !closed; ++side) {
      if (!fds[side].revents)
        continue;
      auto n = ::recv(fds[side].fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed = true;
      } else {
        (side == 0 ? to_server_ : to_client_) += static_cast<size_t>(n);
        send_all(fds[1 - side].fd, std::string(buf, static_cast<size_t>(n)));
      }
    }
    if (closed)
      break;
  }
  ::close(upstream);
  ::close(fd);
}

} // namespace tether::testing
