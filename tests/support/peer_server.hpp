#pragma once
// The server a scenario runs against, chosen by $TETHER_PEER: tether-hub
// (the default) or the reference Phoenix 1.7 peer. A scenario is written
// once; where the two servers legitimately differ it asks `kind()` and
// asserts each one's behaviour explicitly (docs/transport.md lists them).

#include <memory>
#include <set>
#include <string>

namespace tether::testing {

class hub_process;
class phoenix_process;

enum class peer_kind { hub, phoenix };

/// $TETHER_PEER: "phoenix" or "hub" (unset: hub).
peer_kind scenario_peer();

const char* to_string(peer_kind k) noexcept;

/// How the server is set up beyond its defaults.
struct peer_options {
  /// Accept permessage-deflate: tether-hub --compress; Phoenix's variant
  /// built with `websocket: [compress: true]` (phoenix_deflate.sh).
  bool compress = false;
};

class peer_server {
public:
  explicit peer_server(peer_kind kind = scenario_peer(), peer_options opts = {});
  explicit peer_server(peer_options opts) : peer_server(scenario_peer(), opts) {
  }
  ~peer_server();

  peer_kind kind() const noexcept {
    return kind_;
  }
  bool is_phoenix() const noexcept {
    return kind_ == peer_kind::phoenix;
  }

  int port() const;

  /// ws://127.0.0.1:PORT/socket/websocket (the client adds vsn and params).
  std::string socket_url() const;

  void start();     ///< again, on the same port
  void stop();      ///< SIGTERM: a graceful shutdown, waited for
  void kill_hard(); ///< SIGKILL, waited for

  /// The payload ids ("id" members) of every push the server logged as
  /// handled since this peer was made.
  std::multiset<long> handled_ids() const;

private:
  peer_kind kind_;
  std::string log_path_; ///< the hub's log (Phoenix keeps its own)
  std::unique_ptr<hub_process> hub_;
  std::unique_ptr<phoenix_process> phoenix_;
};

} // namespace tether::testing
