#pragma once
// An HTTP CONNECT proxy on loopback, for tests of code behind a proxy: it
// tunnels to 127.0.0.1 only, can ask for Basic credentials (407 without
// them), and records every CONNECT it was asked for. One thread accepts,
// one thread per tunnel relays; all stop when it is destroyed.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tether::testing {

class connect_proxy {
public:
  /// `credentials` ("user:password"): demanded with 407 when not empty.
  explicit connect_proxy(std::string credentials = {});
  ~connect_proxy();

  connect_proxy(const connect_proxy&) = delete;
  connect_proxy& operator=(const connect_proxy&) = delete;

  uint16_t port() const {
    return port_;
  }
  /// http://127.0.0.1:PORT
  std::string url() const;
  /// The target of every CONNECT received ("host:port"), tunnelled or not.
  std::vector<std::string> requests() const;
  /// Tunnels opened (answered 200).
  size_t tunnels() const {
    return tunnels_;
  }
  /// Bytes relayed through the tunnels, each way: what crossed the wire.
  size_t bytes_to_server() const {
    return to_server_;
  }
  size_t bytes_to_client() const {
    return to_client_;
  }

private:
  void accept_loop();
  void serve(int fd);

  std::string credentials_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<size_t> tunnels_{0};
  std::atomic<size_t> to_server_{0};
  std::atomic<size_t> to_client_{0};
  mutable std::mutex mtx_;
  std::vector<std::string> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

} // namespace tether::testing
