#pragma once
// The daemon actor: one connection tree per configured account under one
// tether runtime, the control API's requests, the accounts' states and
// counters, reload and drain. It owns no thread: the API server and the
// signal thread reach it by message only.

#include <filesystem>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include "actors/connection.hpp"
#include "actors/lease_registry.hpp"
#include "apps/tetherd/account_status.hpp"
#include "apps/tetherd/api_routes.hpp"
#include "apps/tetherd/config.hpp"
#include "apps/tetherd/control_api.hpp"
#include "apps/tetherd/log.hpp"
#include "storage/profile_store.hpp"

namespace tether::daemon {

using reload_atom = caf::atom_constant<caf::atom("reload")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;

/// An account's tree said something; `generation` names the start it
/// belongs to, so a late event of a stopped start cannot touch a new one.
struct account_event {
  std::string account;
  uint64_t generation = 0;
  tree_event event;
};

using daemon_actor = caf::typed_actor<
  caf::reacts_to<api_request>, caf::reacts_to<account_event>,
  // Read the config file again: start added accounts, stop removed ones,
  // restart changed ones; untouched ones keep their sockets.
  caf::reacts_to<reload_atom>,
  // Refuse new pushes, wait for the ones in flight (up to the drain
  // timeout), stop every tree; answers when all are down.
  caf::replies_to<drain_atom>::with<caf::ok_atom>>;

struct daemon_options {
  std::filesystem::path config_path;
  daemon_config config;
  std::shared_ptr<api_sink> api;
  std::shared_ptr<logger> log;
  profile_store_ptr store; ///< null: no storage
  /// Ping systemd's watchdog this often (from the actor, so a hung actor
  /// system stops the pings); zero: no watchdog.
  std::chrono::microseconds watchdog{0};
  /// The name this daemon's accounts are listed under (`node` in /accounts):
  /// the host's name unless told otherwise.
  std::string node_name;
  /// Cluster mode ([cluster]): where accounts are claimed. The caller owns
  /// it (and ends it after the daemon).
  std::optional<profile_registry_actor> registry;
  /// The sockets' proxies, resolved at start (resolve_proxies).
  protocol::proxy_settings proxies;
};

daemon_actor spawn_daemon(caf::actor_system& sys, daemon_options opts);

/// The connection settings of an account: its own, else [defaults], else
/// tether's.
/// The daemon's heartbeat timer slack when the config names none
/// (heartbeat_config::slack; the library's own default is exact timers).
inline constexpr std::chrono::milliseconds default_timer_slack{100};

connection_config connection_settings(const daemon_config& global, const account_config& a);

} // namespace tether::daemon

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::daemon::api_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::daemon::account_event)
