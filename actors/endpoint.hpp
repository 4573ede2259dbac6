#pragma once
// Internal: a profile's endpoint, the restart-safe handle the runtime hands
// out (seed 003's `via` handle, as an actor). It lives as long as the
// profile, outside the restartable part of the tree, and forwards every
// request to the connection of the moment. It remembers what must survive a
// connection restart: the topics joined (replayed to each new connection)
// and whether the consumer said `disconnect`. Requests arriving while no
// connection is attached (the instant of a restart) wait, bounded. With a
// store, the joined topics are written through on every change.

#include <map>
#include <string>

#include "actors/tree_interfaces.hpp"
#include "storage/profile_store.hpp"

namespace tether::detail {

struct endpoint_config {
  std::string profile;
  size_t max_waiting = 1024;
  /// Topics to join on the first connection (restored from storage).
  std::map<std::string, std::string> topics;
  /// Written on every change of the joined topics; may be null.
  profile_store_ptr store;
  caf::actor consumer; ///< told storage_failed
};

endpoint_actor spawn_endpoint(caf::actor_system& sys, endpoint_config cfg);

} // namespace tether::detail
