#include "actors/ref_counter.hpp"

#include <cstdint>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tether {

namespace {

struct ref_counter_state {
  uint64_t last = 0; ///< the last ref handed out; "1" is the first
  static inline const char* name = "tether.ref_counter";
};

} // namespace

ref_counter_actor spawn_ref_counter(caf::actor_system& sys) {
  return sys.spawn([](ref_counter_actor::stateful_pointer<ref_counter_state> self)
                     -> ref_counter_actor::behavior_type {
    return {[self](next_ref_atom) { return std::to_string(++self->state.last); }};
  });
}

} // namespace tether
