#include "testing/deterministic_system.hpp"

#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "actors/runtime.hpp"

namespace tether::testing {

deterministic_system::deterministic_system()
  : cfg_(std::make_unique<caf::actor_system_config>()) {
  cfg_->set("scheduler.policy", caf::atom("testing"));
  cfg_->set("logger.verbosity", caf::atom("quiet"));
  tether::add_error_categories(*cfg_);
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  // Actors still alive at the end of a test are simply dropped.
  sys_->await_actors_before_shutdown(false);
}

deterministic_system::~deterministic_system() {
  for (auto& h : owned_)
    caf::anon_send_exit(h, caf::exit_reason::kill);
  owned_.clear();
  run();
  // Shutting the system down makes the test coordinator fire timers until
  // none are left, which never happens with a periodic actor (a heartbeat):
  // drop every timer first, and the work it would cause.
  do
    sched_->clock().cancel_all();
  while (run() > 0);
  watchers_.clear();
  sys_.reset();
}

size_t deterministic_system::run() {
  return sched_->run();
}

size_t deterministic_system::advance(caf::timespan d) {
  // Step from timer to timer so that a timer set by the work of an earlier
  // one still fires inside the window, exactly as in real time.
  run();
  auto& clock = sched_->clock();
  auto target = clock.current_time + d;
  size_t fired = 0;
  while (!clock.schedule().empty()
         && clock.schedule().begin()->first <= target) {
    auto due = clock.schedule().begin()->first;
    if (due > clock.current_time)
      clock.current_time = due;
    fired += clock.trigger_expired_timeouts();
    run();
  }
  clock.current_time = target;
  return fired;
}

caf::actor_clock::time_point deterministic_system::now() const {
  return sched_->clock().now();
}

size_t deterministic_system::pending_timers() const {
  return sched_->clock().schedule().size();
}

std::shared_ptr<std::optional<caf::error>>
deterministic_system::watch_impl(caf::actor whom) {
  auto slot = std::make_shared<std::optional<caf::error>>();
  // CAF ends an idle actor nobody references (exit reason `unreachable`):
  // the fixture holds its watchers.
  watchers_.push_back(sys_->spawn([slot, whom](caf::event_based_actor* self)
                                    -> caf::behavior {
    self->set_down_handler([slot, self](caf::down_msg& dm) {
      *slot = dm.reason;
      self->quit();
    });
    self->monitor(whom);
    // An actor without behavior would terminate at once; this one waits.
    return {[](caf::unit_t) {}};
  }));
  run();
  return slot;
}

} // namespace tether::testing
