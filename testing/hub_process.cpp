#include "testing/hub_process.hpp"

#include <cstdlib>

#include <csignal>
#include <cstdio>
#include <stdexcept>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tether::testing {

std::string hub_process::binary() {
  if (auto* path = std::getenv("TETHER_HUB_BINARY"))
    return path;
#ifdef TETHER_HUB_BINARY
  return TETHER_HUB_BINARY;
#else
  return "tether-hub";
#endif
}

hub_process::hub_process(std::vector<std::string> args, int port, std::string log_path)
  : args_(std::move(args)), log_path_(std::move(log_path)), port_(port) {
  for (auto& a : args_)
    tls_ = tls_ || a == "--tls-cert";
  start();
}

hub_process::~hub_process() {
  try {
    thaw();
    stop();
  } catch (...) {
  }
}

std::string hub_process::url(const std::string& query) const {
  return (tls_ ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(port_)
         + "/socket/websocket?vsn=2.0.0" + query;
}

void hub_process::start() {
  int out[2];
  if (pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_strings{binary(), "--port", std::to_string(port_)};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  if (log_path_.empty())
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  else
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  auto rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error("cannot start " + binary());
  }
  // The hub prints one line once it listens: "... ws://127.0.0.1:PORT/...".
  std::string line;
  pollfd pfd{out[0], POLLIN, 0};
  char c;
  while (line.find('\n') == std::string::npos) {
    if (poll(&pfd, 1, 10000) <= 0 || read(out[0], &c, 1) != 1)
      break;
    line.push_back(c);
  }
  close(out[0]);
  auto colon = line.rfind(':');
  auto slash = line.find('/', colon);
  if (colon == std::string::npos || slash == std::string::npos)
    throw std::runtime_error("tether-hub did not start: " + line);
  port_ = std::stoi(line.substr(colon + 1, slash - colon - 1));
}

void hub_process::stop() {
  signal_and_wait(SIGTERM);
}

void hub_process::kill_hard() {
  signal_and_wait(SIGKILL);
}

void hub_process::signal_and_wait(int sig) {
  if (pid_ <= 0)
    return;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void hub_process::restart() {
  stop();
  start();
}

void hub_process::freeze() {
  if (pid_ > 0)
    kill(pid_, SIGSTOP);
}

void hub_process::thaw() {
  if (pid_ > 0)
    kill(pid_, SIGCONT);
}

} // namespace tether::testing
