#pragma once
// Internal: state of the registry actor (registry.cpp); tests inspect it.

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "supervision/registry.hpp"

namespace tether::sup::detail {

struct registry_state {
  /// key -> live holder.
  std::unordered_map<std::string, caf::actor> holders;
  /// Invariant: an address is here (and monitored) iff it holds >= 1 key.
  std::unordered_map<caf::actor_addr, std::vector<std::string>> keys_of;
  /// find_or_start calls waiting on a start in flight, by key.
  std::unordered_map<std::string,
                     std::vector<caf::typed_response_promise<caf::actor>>>
    starting;

  static inline const char* name = "tether.registry";
};

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

registry_actor::behavior_type registry_behavior(registry_pointer self);

} // namespace tether::sup::detail
