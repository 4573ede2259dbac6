#include "testing/redis_process.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tether::testing {

redis_process::redis_process() {
  char tmpl[] = "/tmp/tether-redis-XXXXXX";
  if (!::mkdtemp(tmpl))
    throw std::runtime_error("redis_process: mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/redis.sock";
  start();
}

redis_process::~redis_process() {
  try {
    thaw();
    stop();
    std::filesystem::remove_all(dir_);
  } catch (...) {
  }
}

void redis_process::start() {
  std::vector<std::string> args{"redis-server", "--port",        "0",
                                "--unixsocket", socket_,         "--unixsocketperm",
                                "700",          "--save",        "",
                                "--appendonly", "no",            "--dir",
                                dir_,           "--logfile",     dir_ + "/redis.log"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  auto rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("redis_process: cannot start redis-server (is it installed?)");
  // Ready once it answers: polled, with a bound, while the process lives.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < give_up) {
    if (ask("PING") == "+PONG")
      return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis_process: redis-server exited at start (see "
                               + dir_ + "/redis.log)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20}); // waiting for a process to listen
  }
  throw std::runtime_error("redis_process: redis-server did not answer within 10 s");
}

std::string redis_process::ask(const std::string& command) const {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, socket_.c_str(), sizeof(sa.sun_path) - 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    auto line = command + "\r\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
      pollfd p{fd, POLLIN, 0};
      char c;
      while (::poll(&p, 1, 2000) > 0 && ::recv(fd, &c, 1, 0) == 1 && c != '\r')
        out.push_back(c);
    }
  }
  ::close(fd);
  return out;
}

void redis_process::stop() {
  signal_and_wait(SIGTERM);
}

void redis_process::kill_hard() {
  signal_and_wait(SIGKILL);
}

void redis_process::signal_and_wait(int sig) {
  if (pid_ <= 0)
    return;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void redis_process::freeze() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void redis_process::thaw() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

} // namespace tether::testing
