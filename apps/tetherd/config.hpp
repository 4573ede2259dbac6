#pragma once
// tetherd's configuration: the TOML file an operator writes, read strictly.
// Unknown keys, wrong types and missing required keys refuse the whole file
// with file:line and the key's dotted name, so nothing starts half-configured.
// docs/operations.md lists every key with its default.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/proxy_route.hpp"

namespace tether::daemon {

using std::chrono::milliseconds;

/// Timing settings an account may override; unset fields take [defaults].
struct timing_settings {
  std::optional<milliseconds> heartbeat;      ///< heartbeat_ms
  std::optional<milliseconds> heartbeat_fast; ///< heartbeat_fast_ms (0: off)
  std::optional<milliseconds> liveness_timeout;
  std::optional<uint32_t> liveness_max_missed;
  std::optional<milliseconds> reconnect_initial;
  std::optional<milliseconds> reconnect_max;
  std::optional<bool> reconnect_jitter;
  std::optional<milliseconds> join_timeout;
  std::optional<milliseconds> ack_timeout;
  /// timer_slack_ms: heartbeat ticks land on a grid of this step (0: exact;
  /// unset: default_timer_slack).
  std::optional<milliseconds> timer_slack;

  friend bool operator==(const timing_settings&, const timing_settings&) = default;
};

struct account_config {
  std::string name;
  std::string url;
  /// Connect params: inline, or read from params_file (a TOML table of
  /// strings) at every start, so a rotated secret needs no config change.
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::filesystem::path> params_file;
  std::map<std::string, std::string> topics; ///< topic -> join params (JSON)
  /// Topics whose join params are read from a file (a TOML table) before
  /// every join and rejoin, as phoenix.js calls a params function.
  std::map<std::string, std::filesystem::path> topic_params_files;
  timing_settings timing;
  bool offline = false;  ///< the connection tree's sandbox: nothing leaves
  bool verify_tls = true;
  bool compress = true; ///< offer permessage-deflate
  int line = 0; ///< where the account starts in the file

  friend bool operator==(const account_config&, const account_config&) = default;
};

struct api_config {
  /// "127.0.0.1:PORT" (port 0: any free port), "[::1]:PORT" or "unix:/path";
  /// bound exactly (apps/common/listen_address.hpp).
  std::string listen = "127.0.0.1:4100";
  /// A listen address other machines can reach is refused unless set.
  bool allow_remote = false;
  std::string token; ///< from `token` or `token_file`
  int line = 0;      ///< where `listen` (or [api]) is in the file
};

struct storage_config {
  enum class kind { none, file, sqlite } type = kind::none;
  std::filesystem::path path;
  int line = 0; ///< where `path` is in the file
};

/// Several nodes over one account list (docs/operations.md, "Running
/// several nodes"): set by a [cluster] table.
struct cluster_config {
  std::string redis;     ///< redis://HOST:PORT[/DB] or unix:/path (required)
  std::string node;      ///< this node's name; default: the host's name
  std::string key_prefix = "tether:";
  milliseconds lease{15000};  ///< lease_ms: the leases' time to live
  milliseconds margin{3000};  ///< margin_ms: stop this long before a lease could lapse
  milliseconds claim_interval{2000}; ///< claim_interval_ms: how often free accounts are sought
  size_t slack = 1; ///< accounts a node may hold above its fair share
  /// How other nodes and operators reach this node's API (told in
  /// `/accounts` for accounts this node holds); default: the listen address.
  std::string advertise;
  int line = 0;
};

struct daemon_config {
  api_config api;
  std::optional<cluster_config> cluster;
  storage_config storage;
  std::string ca_file;
  /// [transport] proxy and no_proxy; each, when absent, is taken from the
  /// environment at start (resolve_proxies).
  std::optional<protocol::proxy_endpoint> proxy;
  std::optional<std::string> no_proxy;
  milliseconds connect_timeout{10000};
  size_t max_frame_bytes = 1024 * 1024;
  /// [transport] max_handshakes: sockets between dial and open at once
  /// (transport_config::max_handshakes; 0: no limit).
  size_t max_handshakes = 256;
  timing_settings defaults;
  milliseconds drain_timeout{5000};
  enum class log_format { automatic, json, text } log = log_format::automatic;
  std::vector<account_config> accounts;
};

/// Why a file was refused: where, which key, what is wrong.
struct config_error {
  std::string file;
  int line = 0;
  std::string key; ///< dotted, e.g. "account[2].heartbeat_ms"
  std::string message;
  std::string to_string() const;
};

/// Reads and checks `path`; relative paths inside are taken from its folder.
/// Besides the file itself it checks what the file points at
/// (check_resources), so a config that loads is one the daemon can run.
std::variant<daemon_config, config_error> load_config(const std::filesystem::path& path);

/// What a parsed config points at must be there: the storage path can be
/// opened for writing in an existing folder (none is created), every
/// params_file can be read and parsed. Nothing is written.
std::optional<config_error> check_resources(const daemon_config& cfg, const std::string& file);

/// The same, from text (tests); `base` resolves relative paths.
std::variant<daemon_config, config_error>
parse_config(std::string_view text, const std::string& file_name,
             const std::filesystem::path& base);

/// The proxies the daemon's sockets use: [transport] proxy and no_proxy,
/// each falling back to its environment variables (docs/operations.md).
/// An unusable variable is an error naming it: the daemon refuses to start.
std::variant<protocol::proxy_settings, std::string>
resolve_proxies(const daemon_config& cfg, const protocol::environment_reader& env);

/// Reads a topic's params_file: a TOML table, as a JSON object's text.
std::variant<std::string, config_error> load_join_params_file(const std::filesystem::path& path);

/// Reads a params_file: a TOML table of string values.
std::variant<std::vector<std::pair<std::string, std::string>>, config_error>
load_params_file(const std::filesystem::path& path);

} // namespace tether::daemon
