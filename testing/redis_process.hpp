#pragma once
// Runs redis-server as a child process for tests: on a Unix socket in a
// folder of its own (no port to race for, nothing reachable from outside),
// nothing saved to disk. Stopped, killed, frozen (SIGSTOP) and thawed on
// demand, and started again on the same socket.

#include <string>

#include <sys/types.h>

namespace tether::testing {

class redis_process {
public:
  /// Starts redis-server and waits until it answers PING.
  redis_process();
  ~redis_process();

  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;

  /// unix:/…/redis.sock, as redis_options::url takes it.
  std::string url() const {
    return "unix:" + socket_;
  }
  const std::string& socket_path() const noexcept {
    return socket_;
  }

  void start();     ///< again, on the same socket, after stop() or kill_hard()
  void stop();      ///< SIGTERM and wait
  void kill_hard(); ///< SIGKILL and wait
  void freeze();    ///< SIGSTOP: the socket is there, nothing answers
  void thaw();      ///< SIGCONT

  /// Sends one inline command and returns the first reply line ("+PONG"),
  /// or empty if the server did not answer within 2 s.
  std::string ask(const std::string& command) const;

private:
  void signal_and_wait(int sig);

  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

} // namespace tether::testing
