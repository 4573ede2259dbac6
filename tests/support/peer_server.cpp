#include "support/peer_server.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#include "support/phoenix_process.hpp"
#include "testing/hub_process.hpp"

namespace tether::testing {

peer_kind scenario_peer() {
  auto* name = std::getenv("TETHER_PEER");
  if (!name || std::string_view{name} == "hub")
    return peer_kind::hub;
  if (std::string_view{name} == "phoenix")
    return peer_kind::phoenix;
  throw std::runtime_error(std::string{"TETHER_PEER must be hub or phoenix, not "} + name);
}

const char* to_string(peer_kind k) noexcept {
  return k == peer_kind::phoenix ? "phoenix" : "hub";
}

peer_server::peer_server(peer_kind kind, peer_options opts) : kind_(kind) {
  if (kind_ == peer_kind::phoenix) {
    phoenix_ = std::make_unique<phoenix_process>(
      0, opts.compress ? phoenix_process::deflate_dir() : std::string{});
  } else {
    // The hub logs each handled push (--log-pushes) to a file of its own.
    char tmpl[] = "/tmp/tether-hub-log-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd >= 0)
      ::close(fd);
    log_path_ = tmpl;
    std::vector<std::string> args{"--log-pushes"};
    if (opts.compress)
      args.push_back("--compress");
    hub_ = std::make_unique<hub_process>(std::move(args), 0, log_path_);
  }
}

peer_server::~peer_server() {
  hub_.reset();
  phoenix_.reset();
  if (!log_path_.empty())
    std::remove(log_path_.c_str());
}

int peer_server::port() const {
  return hub_ ? hub_->port() : phoenix_->port();
}

std::string peer_server::socket_url() const {
  return "ws://127.0.0.1:" + std::to_string(port()) + "/socket/websocket";
}

void peer_server::start() {
  hub_ ? hub_->start() : phoenix_->start();
}

void peer_server::stop() {
  hub_ ? hub_->stop() : phoenix_->stop();
}

void peer_server::kill_hard() {
  hub_ ? hub_->kill_hard() : phoenix_->kill_hard();
}

std::multiset<long> peer_server::handled_ids() const {
  std::string log;
  if (phoenix_) {
    log = phoenix_->log();
  } else {
    std::ifstream in{log_path_};
    std::stringstream ss;
    ss << in.rdbuf();
    log = ss.str();
  }
  // Phoenix (LOG_LEVEL=debug): "HANDLED echo INCOMING ON room:a ...\n
  //   Parameters: %{"id" => 7}"; the hub: "handled echo on room:a {"id":7}".
  static const std::regex phoenix_line{R"(HANDLED \S+ INCOMING ON[^\n]*\n\s*Parameters: %\{[^\n]*"id" => (\d+))"};
  static const std::regex hub_line{R"(handled \S+ on \S+ [^\n]*"id":(\d+))"};
  std::multiset<long> ids;
  auto& re = phoenix_ ? phoenix_line : hub_line;
  for (auto i = std::sregex_iterator(log.begin(), log.end(), re); i != std::sregex_iterator();
       ++i)
    ids.insert(std::stol((*i)[1].str()));
  return ids;
}

} // namespace tether::testing
