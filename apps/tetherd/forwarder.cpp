#include "apps/tetherd/forwarder.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/system_messages.hpp>

#include "actors/events.hpp"

namespace tether::daemon {

caf::actor spawn_forwarder(caf::actor_system& sys, daemon_actor daemon, std::string account,
                           uint64_t generation) {
  return sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(daemon); // ends with the daemon
    self->set_down_handler([self](caf::down_msg&) { self->quit(); });
    self->set_exit_handler([self, daemon](caf::exit_msg& em) {
      self->demonitor(daemon.address()); // or its record stays on the daemon
      self->quit(em.reason);
    });
    // Every event is one message type: none can be dropped here unseen.
    return {[=](event& e) {
      self->send(daemon, account_event{account, generation, std::move(e)});
    }};
  });
}

} // namespace tether::daemon
