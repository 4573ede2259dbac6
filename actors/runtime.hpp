#pragma once
// The runtime: what an embedder creates inside its own caf::actor_system.
// It owns the transport, the supervisor of all profile trees and the profile
// registry (profile -> endpoint). Each `start` builds one isolated tree
// (profile_tree.hpp) and answers with the profile's endpoint: a
// restart-safe handle that keeps leading to the current connection.
//
// One profile, one socket: starting a profile that is running fails with
// `already_running`, and the error carries the running endpoint. With a
// profile registry (lease_registry.hpp) the reach is the registry's: a
// profile another node holds fails with `already_running` naming that node,
// and a profile runs only while its lease holds.

#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/connection.hpp"
#include "actors/lease_registry.hpp"
#include "storage/profile_store.hpp"
#include "supervision/supervisor.hpp"

namespace tether {

using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using whereis_atom = caf::atom_constant<caf::atom("whereis")>;
using which_atom = caf::atom_constant<caf::atom("which")>;

struct profile_config {
  /// The profile's unique name (one live tree per name).
  std::string profile;
  connection_config connection;
  /// Receives the events of events.hpp; never linked to the tree.
  caf::actor consumer;
  /// Crashes tolerated in the tree before the profile stops (Elixir's 3 in 5 s).
  sup::supervisor_flags restart_intensity;
  /// Where the profile keeps its connect params and joined topics across
  /// restarts of the process (storage/); none by default. On start the
  /// stored topics are joined again, and the stored connect params are used
  /// when `connection.connect_params` is not set.
  profile_store_ptr store;
};

enum class runtime_errc : uint8_t {
  already_running = 1, ///< the context holds the running endpoint
  not_running,         ///< no profile by that name
  start_failed,        ///< the tree did not start; the context says why
  invalid_config,      ///< empty profile name or an unusable URL
};

caf::error make_error(runtime_errc code);
caf::error make_error(runtime_errc code, caf::message context);
const char* to_string(runtime_errc code);

using runtime_actor = caf::typed_actor<
  caf::replies_to<start_atom, profile_config>::with<connection_actor>,
  // The profile's endpoint, or not_running.
  caf::replies_to<whereis_atom, std::string>::with<connection_actor>,
  // Close the profile's socket and stop retrying; the tree stays up.
  caf::replies_to<disconnect_atom, std::string>::with<caf::ok_atom>,
  caf::replies_to<connect_atom, std::string>::with<caf::ok_atom>,
  // Take the whole tree down and free the profile.
  caf::replies_to<stop_atom, std::string>::with<caf::ok_atom>,
  // The running profiles' names, sorted.
  caf::replies_to<which_atom>::with<std::vector<std::string>>,
  // The network changed (false) or the machine woke (true): every waiting
  // reconnect goes now. The runtime's own watcher sends this; an embedder
  // with its own detection may too.
  caf::reacts_to<net_event_atom, bool>>;

struct runtime_config {
  /// The transport to use; by default the runtime starts its own
  /// (libwebsockets) and stops it when it ends. Tests pass a scripted one.
  std::optional<transport_actor> transport;
  transport_config transport_settings;
  /// Requests an endpoint holds while its connection restarts.
  size_t max_waiting_requests = 1024;
  /// Watch netlink and the clocks for network changes and wake-ups (one
  /// thread). Off in tests on the deterministic scheduler.
  bool watch_system = true;
  /// Where profiles are claimed before they start, cluster-wide (a lease
  /// registry); none: this runtime's own table decides, per process.
  std::optional<profile_registry_actor> registry;
};

namespace detail {

using tree_of_atom = caf::atom_constant<caf::atom("tree_of")>;

/// The runtime's full interface: the public one, plus the profile tree's
/// supervisor for tests and diagnostics (not part of runtime_actor, so an
/// embedder's handle cannot reach a tree's internals by accident).
using runtime_impl = runtime_actor::extend<
  caf::replies_to<tree_of_atom, std::string>::with<caf::actor>,
  // From the profile registry: how long a profile's lease is usable, and a
  // lease another node took (the profile stops).
  caf::reacts_to<lease_atom, std::string, caf::actor_clock::time_point>,
  caf::reacts_to<lease_lost_atom, std::string, std::string>>;

} // namespace detail

/// Spawns the runtime. It ends its trees and its own transport when it
/// ends; end it (anon_send_exit) before the actor system shuts down.
/// Starting its own transport may throw (see spawn_transport): an
/// unusable proxy in the environment is refused here, with its name.
runtime_actor spawn_runtime(caf::actor_system& sys, runtime_config cfg = {});

/// Adds the error categories of tether (runtime, push, transport,
/// supervision) to a config, so errors print with their names.
void add_error_categories(caf::actor_system_config& cfg);

/// Worker polling suited to actors that mostly wait on sockets. With CAF's
/// defaults an idle worker sleeps 50 µs at a time for its next 500 polls, so
/// every message from the socket thread waits for a sleeper to come round:
/// the push round trip measured 2 to 3 times slower (docs/performance.md).
/// With these settings a worker polls 200 more times without sleeping,
/// then waits on a condition variable that any enqueue wakes at once (a
/// longer spin bought no faster round trip and cost idle CPU). It also
/// starts one worker per core (`scheduler.max-threads`; CAF's own default is at least four, and the
/// surplus polled for the cores the lws thread needs), and lets an idle
/// worker wake on its own every 50 ms instead of 10 ms, only to look for
/// work to steal. Call it before the actor_system is built; it sets
/// `work-stealing.moderate-*`, `work-stealing.relaxed-sleep-duration` and
/// `scheduler.max-threads`, which a later parse of the user's own settings
/// may still override.
void tune_scheduler_for_sockets(caf::actor_system_config& cfg);

} // namespace tether

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::profile_config)
