#pragma once
// A WebSocket server that answers the upgrade by hand and then sends exactly
// the bytes a test gives it: the server no one should write, for the frames
// tether-hub and Phoenix never send (a header that claims 2^63 bytes).
// Loopback, an ephemeral port, one connection, its own thread.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace tether::testing {

class hostile_ws_server {
public:
  /// After the handshake (and `delay`, during which the socket is open and
  /// silent), sends `after_upgrade` and keeps the socket open until destroyed.
  explicit hostile_ws_server(std::string after_upgrade,
                             std::chrono::milliseconds delay = std::chrono::milliseconds{0});
  ~hostile_ws_server();

  hostile_ws_server(const hostile_ws_server&) = delete;
  hostile_ws_server& operator=(const hostile_ws_server&) = delete;

  std::string url() const;

private:
  void serve();

  std::string bytes_;
  std::chrono::milliseconds delay_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

} // namespace tether::testing
