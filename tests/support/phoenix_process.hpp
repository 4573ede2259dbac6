#pragma once
// Runs the reference Phoenix 1.7 server (built from ../shared/phoenix-peer by
// the test suite, see tests/CMakeLists.txt) as a child process on loopback:
// started on a free port with debug logging (every handled push is logged),
// stopped by SIGTERM (Phoenix drains and closes with 1012) or killed hard.

#include <string>

#include <sys/types.h>

namespace tether::testing {

class phoenix_process {
public:
  /// Starts the peer on a free port (or `port`) and waits until it listens;
  /// `folder`: a variant's build (deflate_dir()), else dir().
  explicit phoenix_process(int port = 0, std::string folder = {});
  ~phoenix_process();

  phoenix_process(const phoenix_process&) = delete;
  phoenix_process& operator=(const phoenix_process&) = delete;

  int port() const noexcept {
    return port_;
  }

  void start();     ///< again, on the same port
  void stop();      ///< SIGTERM, and wait for the exit
  void kill_hard(); ///< SIGKILL, and wait for the exit

  /// Everything the peer has logged since it was first started.
  std::string log() const;

  /// The folder build.sh made: $TETHER_PHOENIX_PEER_DIR, else the one this
  /// build configured; empty when there is none.
  static std::string dir();
  /// The permessage-deflate variant (tests/support/phoenix_deflate.sh):
  /// dir() + "-deflate".
  static std::string deflate_dir();

private:
  void run_script(const char* script) const;
  void signal_and_wait(int sig);

  int port_;
  std::string folder_;
  pid_t pid_ = -1;
};

} // namespace tether::testing
