#pragma once
// A bare WebSocket client on a blocking TCP socket, for the few facts the
// libwebsockets client hides: lws 4.1 rewrites a received close code in
// 1012..2999 to 1002 before any callback sees it, so the close code a
// server really sent (Phoenix's 1012 on shutdown) is read here.

#include <cstdint>
#include <optional>
#include <string>

namespace tether::testing {

class raw_websocket {
public:
  /// Connects to 127.0.0.1:`port` and upgrades `path` (with its query).
  raw_websocket(int port, const std::string& path);
  ~raw_websocket();

  raw_websocket(const raw_websocket&) = delete;
  raw_websocket& operator=(const raw_websocket&) = delete;

  /// The HTTP status line of the upgrade's answer.
  const std::string& status_line() const noexcept {
    return status_line_;
  }

  /// The answer's header lines, lower-cased.
  const std::string& headers() const noexcept {
    return headers_;
  }

  void send_text(const std::string& text);

  /// The next text frame's payload; none if a close came, or nothing in 10 s.
  std::optional<std::string> read_text();

  /// Reads frames until the server's close frame and returns its code; none
  /// if the connection ended (or 10 s passed) without one.
  std::optional<uint16_t> read_until_close();

private:
  struct ws_frame {
    int opcode;
    std::string payload;
  };
  std::optional<ws_frame> read_frame();
  bool read_exact(void* out, size_t n);

  int fd_ = -1;
  std::string status_line_;
  std::string headers_;
};

} // namespace tether::testing
