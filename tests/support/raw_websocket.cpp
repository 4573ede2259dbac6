#include "support/raw_websocket.hpp"

#include <cctype>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace tether::testing {

raw_websocket::raw_websocket(int port, const std::string& path) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval limit{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error("raw_websocket: cannot connect");
  auto request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
  if (::write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
    throw std::runtime_error("raw_websocket: cannot send the upgrade");
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && read_exact(&c, 1))
    head.push_back(c);
  auto end_of_status = head.find("\r\n");
  status_line_ = head.substr(0, end_of_status);
  if (end_of_status != std::string::npos)
    headers_ = head.substr(end_of_status + 2);
  for (auto& ch : headers_)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
}

raw_websocket::~raw_websocket() {
  if (fd_ >= 0)
    ::close(fd_);
}

void raw_websocket::send_text(const std::string& text) {
  // A client frame: FIN + text, masked (the zero mask keeps the bytes as they are).
  std::vector<unsigned char> out{0x81};
  if (text.size() < 126) {
    out.push_back(static_cast<unsigned char>(0x80 | text.size()));
  } else {
    out.push_back(0x80 | 126);
    out.push_back(static_cast<unsigned char>(text.size() >> 8));
    out.push_back(static_cast<unsigned char>(text.size() & 0xff));
  }
  out.insert(out.end(), {0, 0, 0, 0});
  out.insert(out.end(), text.begin(), text.end());
  if (::write(fd_, out.data(), out.size()) != static_cast<ssize_t>(out.size()))
    throw std::runtime_error("raw_websocket: cannot send");
}

std::optional<raw_websocket::ws_frame> raw_websocket::read_frame() {
  unsigned char head[2];
  if (!read_exact(head, 2))
    return std::nullopt;
  uint64_t len = head[1] & 0x7f;
  if (len == 126 || len == 127) {
    unsigned char ext[8];
    auto n = len == 126 ? 2 : 8;
    if (!read_exact(ext, n))
      return std::nullopt;
    len = 0;
    for (int i = 0; i < n; ++i)
      len = (len << 8) | ext[i];
  }
  ws_frame f{head[0] & 0x0f, std::string(len, '\0')};
  if (len > 0 && !read_exact(f.payload.data(), len))
    return std::nullopt;
  return f;
}

std::optional<std::string> raw_websocket::read_text() {
  while (auto f = read_frame()) {
    if (f->opcode == 0x8)
      return std::nullopt;
    if (f->opcode == 0x1)
      return std::move(f->payload);
  }
  return std::nullopt;
}

std::optional<uint16_t> raw_websocket::read_until_close() {
  while (auto f = read_frame())
    if (f->opcode == 0x8)
      return f->payload.size() >= 2
               ? static_cast<uint16_t>((static_cast<unsigned char>(f->payload[0]) << 8)
                                       | static_cast<unsigned char>(f->payload[1]))
               : uint16_t{1005};
  return std::nullopt;
}

bool raw_websocket::read_exact(void* out, size_t n) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    auto got = ::read(fd_, p, n);
    if (got <= 0)
      return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

} // namespace tether::testing
