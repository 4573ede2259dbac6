#include "support/phoenix_process.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tether::testing {

namespace {

/// A port nobody listens on right now (the kernel's pick for port 0).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

} // namespace

std::string phoenix_process::dir() {
  if (auto* path = std::getenv("TETHER_PHOENIX_PEER_DIR"))
    return path;
#ifdef TETHER_PHOENIX_PEER_DIR
  return TETHER_PHOENIX_PEER_DIR;
#else
  return {};
#endif
}

std::string phoenix_process::deflate_dir() {
  auto base = dir();
  return base.empty() ? base : base + "-deflate";
}

phoenix_process::phoenix_process(int port, std::string folder)
  : port_(port == 0 ? free_port() : port), folder_(folder.empty() ? dir() : std::move(folder)) {
  // start.sh leaves the server running in the background; as the subreaper
  // of our descendants we inherit it, so its exit can be waited for.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (folder_.empty())
    throw std::runtime_error("no Phoenix peer was built (../shared/phoenix-peer missing)");
  // A log per port and run: handled pushes are matched against this run only.
  std::remove((folder_ + "/run/phoenix-" + std::to_string(port_) + ".log").c_str());
  start();
}

phoenix_process::~phoenix_process() {
  try {
    kill_hard();
  } catch (...) {
  }
}

void phoenix_process::run_script(const char* script) const {
  auto cmd = "LOG_LEVEL=debug " + quoted(folder_ + "/" + script) + " "
             + std::to_string(port_);
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error(std::string{"phoenix-peer: "} + script + " failed on port "
                             + std::to_string(port_) + "\n" + log());
}

void phoenix_process::start() {
  run_script("start.sh");
  std::ifstream pidf{folder_ + "/run/phoenix-" + std::to_string(port_) + ".pid"};
  pidf >> pid_;
  if (pid_ <= 0)
    throw std::runtime_error("phoenix-peer: no pid file");
}

void phoenix_process::stop() {
  signal_and_wait(SIGTERM); // what stop.sh does: Phoenix drains, then exits
}

void phoenix_process::kill_hard() {
  signal_and_wait(SIGKILL);
}

void phoenix_process::signal_and_wait(int sig) {
  if (pid_ <= 0)
    return;
  ::kill(pid_, sig);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  std::remove((folder_ + "/run/phoenix-" + std::to_string(port_) + ".pid").c_str());
  pid_ = -1;
}

std::string phoenix_process::log() const {
  std::ifstream in{folder_ + "/run/phoenix-" + std::to_string(port_) + ".log"};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace tether::testing
