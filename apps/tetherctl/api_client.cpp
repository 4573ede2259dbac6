#include "apps/tetherctl/api_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "apps/common/listen_address.hpp"

namespace tether::ctl {

namespace {

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

/// Reads until `buf` holds at least `want` bytes; false at the end of the stream.
bool read_at_least(int fd, std::string& buf, size_t want) {
  char chunk[4096];
  while (buf.size() < want) {
    auto n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
  return true;
}

/// Reads the status line and headers; leaves what follows them in `buf`.
bool read_head(int fd, std::string& buf, int& status, std::string& headers) {
  char chunk[4096];
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    auto n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
  headers = buf.substr(0, end + 2);
  buf.erase(0, end + 4);
  if (headers.rfind("HTTP/1.", 0) != 0 || headers.size() < 12)
    return false;
  status = std::atoi(headers.c_str() + 9);
  for (auto& c : headers)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return status > 0;
}

std::optional<size_t> content_length(const std::string& lowered_headers) {
  auto at = lowered_headers.find("\r\ncontent-length:");
  if (at == std::string::npos)
    return std::nullopt;
  return static_cast<size_t>(std::strtoull(lowered_headers.c_str() + at + 17, nullptr, 10));
}

std::string head_of(const std::string& method, const std::string& path,
                    const std::string& token) {
  return method + " " + path + " HTTP/1.1\r\nHost: tetherd\r\nAuthorization: Bearer " + token
         + "\r\n";
}

} // namespace

api_client::api_client(const std::string& listen, std::string token)
  : token_(std::move(token)) {
  std::string why;
  auto where = apps::parse_listen_address(listen, why);
  if (!where)
    throw std::runtime_error("api.listen \"" + listen + "\": " + why);
  unix_ = where->kind == apps::listen_address::family::unix_path;
  ipv6_ = where->kind == apps::listen_address::family::ipv6;
  host_ = where->host;
  port_ = where->port;
  if (!unix_ && port_ == 0)
    throw std::runtime_error("api.listen \"" + listen
                             + "\" takes any free port: give tetherctl the port it took "
                               "(--api 127.0.0.1:PORT)");
}

int api_client::open_socket(std::string& why) const {
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (unix_) {
    auto* un = reinterpret_cast<sockaddr_un*>(&sa);
    un->sun_family = AF_UNIX;
    std::strncpy(un->sun_path, host_.c_str(), sizeof(un->sun_path) - 1);
    len = sizeof(sockaddr_un);
  } else if (ipv6_) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&sa);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port_));
    ::inet_pton(AF_INET6, host_.c_str(), &in6->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&sa);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port_));
    ::inet_pton(AF_INET, host_.c_str(), &in4->sin_addr);
    len = sizeof(sockaddr_in);
  }
  int fd = ::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), len) == 0)
    return fd;
  why = "cannot reach the control API at "
        + (unix_ ? "unix:" + host_ : host_ + ":" + std::to_string(port_)) + ": "
        + std::strerror(errno) + " (is tetherd running?)";
  if (fd >= 0)
    ::close(fd);
  return -1;
}

std::optional<http_answer> api_client::request(const std::string& method,
                                               const std::string& path,
                                               const std::string& body,
                                               std::string& why) const {
  int fd = open_socket(why);
  if (fd < 0)
    return std::nullopt;
  auto req = head_of(method, path, token_) + "Connection: close\r\nContent-Length: "
             + std::to_string(body.size()) + "\r\n";
  if (!body.empty())
    req += "Content-Type: application/json\r\n";
  req += "\r\n" + body;
  std::string buf, headers;
  http_answer out;
  bool ok = send_all(fd, req) && read_head(fd, buf, out.status, headers);
  if (ok) {
    if (auto n = content_length(headers))
      ok = read_at_least(fd, buf, *n), buf.resize(std::min(buf.size(), *n));
    else
      read_at_least(fd, buf, SIZE_MAX); // until the server closes
  }
  ::close(fd);
  if (!ok) {
    why = "the control API's answer was cut short";
    return std::nullopt;
  }
  out.body = std::move(buf);
  return out;
}

bool api_client::stream(const std::string& path,
                        const std::function<bool(const std::string&)>& on_line,
                        std::optional<http_answer>& refused, std::string& why) const {
  int fd = open_socket(why);
  if (fd < 0)
    return false;
  auto req = head_of("GET", path, token_)
             + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGV0aGVyY3RsIGV2ZW50cw==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  std::string buf, headers;
  int status = 0;
  if (!send_all(fd, req) || !read_head(fd, buf, status, headers)) {
    ::close(fd);
    why = "the control API's answer was cut short";
    return false;
  }
  if (status != 101) {
    http_answer a{status, {}};
    if (auto n = content_length(headers); n && read_at_least(fd, buf, *n))
      a.body = buf.substr(0, *n);
    refused = std::move(a);
    ::close(fd);
    return false;
  }
  // Frames from the server are unmasked (RFC 6455 5.1); ours must be masked.
  std::string message;
  for (;;) {
    if (!read_at_least(fd, buf, 2))
      break;
    auto b0 = static_cast<unsigned char>(buf[0]);
    auto b1 = static_cast<unsigned char>(buf[1]);
    size_t header = 2;
    uint64_t len = b1 & 0x7F;
    if (len == 126) {
      if (!read_at_least(fd, buf, 4))
        break;
      len = (static_cast<uint64_t>(static_cast<unsigned char>(buf[2])) << 8)
            | static_cast<unsigned char>(buf[3]);
      header = 4;
    } else if (len == 127) {
      if (!read_at_least(fd, buf, 10))
        break;
      len = 0;
      for (int i = 2; i < 10; ++i)
        len = (len << 8) | static_cast<unsigned char>(buf[static_cast<size_t>(i)]);
      header = 10;
    }
    if (len > (64u << 20) || !read_at_least(fd, buf, header + len))
      break;
    std::string payload = buf.substr(header, len);
    buf.erase(0, header + len);
    auto opcode = b0 & 0x0F;
    if (opcode == 0x8) // close
      break;
    if (opcode == 0x9) { // ping: answer with a masked pong of the same payload
      std::string pong{"\x8A", 1};
      pong += static_cast<char>(0x80 | payload.size());
      pong += std::string(4, '\0'); // a zero mask leaves the payload as it is
      pong += payload;
      send_all(fd, pong);
      continue;
    }
    if (opcode == 0x1 || opcode == 0x0)
      message += payload;
    if (!(b0 & 0x80)) // more fragments follow
      continue;
    // tetherd sends NDJSON: one or more lines per message
    size_t start = 0;
    for (size_t nl; (nl = message.find('\n', start)) != std::string::npos; start = nl + 1)
      if (nl > start && !on_line(message.substr(start, nl - start))) {
        ::close(fd);
        return true;
      }
    if (start < message.size() && !on_line(message.substr(start))) {
      ::close(fd);
      return true;
    }
    message.clear();
  }
  ::close(fd);
  return true;
}

} // namespace tether::ctl
