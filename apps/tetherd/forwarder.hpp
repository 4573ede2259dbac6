#pragma once
// The consumer of one account's tree: tags every event with the account and
// the start's generation and forwards it to the daemon.

#include <cstdint>
#include <string>

#include <caf/actor.hpp>

#include "apps/tetherd/daemon.hpp"

namespace caf {
class actor_system;
}

namespace tether::daemon {

/// Ends with the daemon, and when sent an exit. A forwarder asked to stop
/// takes its monitor off the daemon first: the daemon outlives thousands of
/// forwarders, and CAF 0.17 keeps a monitor's record on the monitored actor
/// until that one ends.
caf::actor spawn_forwarder(caf::actor_system& sys, daemon_actor daemon, std::string account,
                           uint64_t generation);

} // namespace tether::daemon
