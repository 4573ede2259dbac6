#pragma once
// Runs tether-hub as a child process on loopback for integration tests:
// started on a free port (or a given one, to restart "the same server"),
// stopped, frozen (SIGSTOP) and thawed (SIGCONT) on demand.

#include <string>
#include <vector>

#include <sys/types.h>

namespace tether::testing {

class hub_process {
public:
  /// Starts the hub with `args` and waits until it listens; its log goes to
  /// `log_path` (appended), or nowhere when that is empty.
  explicit hub_process(std::vector<std::string> args = {}, int port = 0,
                       std::string log_path = {});
  ~hub_process();

  hub_process(const hub_process&) = delete;
  hub_process& operator=(const hub_process&) = delete;

  int port() const noexcept {
    return port_;
  }

  /// ws://127.0.0.1:PORT/socket/websocket?vsn=2.0.0 plus `query` ("&a=b");
  /// wss:// when the hub was started with --tls-cert.
  std::string url(const std::string& query = "") const;

  void start();     ///< again, on the same port, after stop() or kill_hard()
  void stop();      ///< SIGTERM and wait
  void kill_hard(); ///< SIGKILL and wait
  void restart();   ///< stop, then start again on the same port
  void freeze();   ///< SIGSTOP: socket open, nothing answers
  void thaw();     ///< SIGCONT

  /// The tether-hub binary: $TETHER_HUB_BINARY, else the one this build
  /// made, else `tether-hub` on the PATH.
  static std::string binary();

private:
  void signal_and_wait(int sig);

  std::vector<std::string> args_;
  std::string log_path_;
  int port_;
  pid_t pid_ = -1;
  bool tls_ = false;
};

} // namespace tether::testing
