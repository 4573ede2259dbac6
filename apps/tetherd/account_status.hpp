#pragma once
// What the daemon knows of one account, folded from the connection tree's
// events (pure: no actors). The control API lists it; /metrics counts it.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "actors/events.hpp"

namespace tether::daemon {

/// Every event a tree sends its consumer (actors/events.hpp).
using tree_event = tether::event;

enum class account_state : uint8_t {
  connecting,   ///< started, no socket yet
  connected,    ///< socket open, no topic joined yet
  joined,       ///< socket open, at least one topic joined
  reconnecting, ///< waiting `delay` before attempt `attempt`
  disconnected, ///< closed on request (disconnect): no retries
  abandoned,    ///< the reconnect window is spent
  stopped,      ///< the tree is down
  offline,      ///< the sandbox (offline = true): no socket, nothing leaves
  elsewhere,    ///< cluster mode: another node holds the account's lease
};

const char* to_string(account_state s);
inline constexpr account_state all_states[] = {
  account_state::connecting, account_state::connected,    account_state::joined,
  account_state::reconnecting, account_state::disconnected, account_state::abandoned,
  account_state::stopped, account_state::offline, account_state::elsewhere};

struct account_status {
  account_state state = account_state::connecting;
  uint64_t socket = 0; ///< generation id of the current socket (0: none)
  uint32_t attempt = 0;
  int64_t delay_ms = 0;
  uint64_t reconnects = 0;
  std::optional<int64_t> rtt_us; ///< last heartbeat round trip
  std::string last_cause;        ///< why the last socket went down
  uint64_t frames_dropped = 0;   ///< server frames no event carried (frame_dropped)
  uint64_t child_terminations = 0; ///< child_terminated reports of its tree (crashes, most then restarted)
  /// topic -> joining / joined / failed / errored, and closed while the
  /// account is stopped (phoenix.js's channel states)
  std::map<std::string, std::string> topics;
  bool offline = false;
  /// Cluster mode: the node that holds the account, when it is not this one.
  std::string holder;
  /// When the current socket opened (on the daemon's actor clock); none
  /// while no socket is open.
  std::optional<std::chrono::steady_clock::time_point> connected_since;
  bool compressed = false; ///< the current socket uses permessage-deflate
};

/// An account as it starts: connecting (offline: in the sandbox), its
/// config's topics joining.
account_status starting_status(bool offline, const std::map<std::string, std::string>& topics);

/// The tree is down: no topic is joined, each is listed as closed.
void close_topics(account_status& s);

/// Folds one event, which arrived at `now`, into the status.
void fold_event(account_status& s, const tree_event& e,
                std::chrono::steady_clock::time_point now);

/// The account as the API lists it at `now`: {"name":…, "node":…,
/// "state":…, "uptime_ms":…, …}; `node` names the daemon that runs it.
std::string to_json(const std::string& name, const std::string& node,
                    const account_status& s, std::chrono::steady_clock::time_point now);

/// The event as one NDJSON line (no trailing newline):
/// {"account":…, "type":…, …fields}.
std::string event_json(const std::string& account, const tree_event& e);

/// GET /accounts/A/presence/TOPIC: {"topic": T, "list": [{"key", "presence"}]}.
std::string presence_json(const std::string& topic,
                          const std::vector<std::pair<std::string, protocol::presence>>& list);

} // namespace tether::daemon
