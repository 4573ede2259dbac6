#include "support/test_workers.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

namespace tether::testing {

std::vector<std::string> journal::with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto& line : lines)
    if (line.rfind(prefix, 0) == 0)
      out.push_back(line);
  return out;
}

sup::start_fn journaling_worker(journal_ptr log, std::string name,
                                worker_options opts) {
  return [log, name, opts](caf::actor_system& sys) -> caf::expected<caf::actor> {
    if (opts.failures_left && *opts.failures_left > 0) {
      --*opts.failures_left;
      log->lines.push_back("fail:" + name);
      return caf::make_error(caf::sec::runtime_error, "refused to start");
    }
    // Journaled at spawn: that is when the supervisor counts it as started.
    log->lines.push_back("start:" + name);
    return sys.spawn([log, name, opts](caf::event_based_actor* self)
                       -> caf::behavior {
      self->attach_functor([log, name] { log->lines.push_back("stop:" + name); });
      if (opts.ignore_shutdown)
        self->set_exit_handler([](caf::exit_msg&) {});
      return {
        [self](crash_atom) {
          self->quit(caf::make_error(caf::sec::runtime_error, "crash"));
        },
        [self](finish_atom) { self->quit(caf::exit_reason::normal); },
      };
    });
  };
}

sup::child_spec journaling_spec(journal_ptr log, std::string name,
                                sup::restart_type restart,
                                worker_options opts) {
  return sup::worker(name, journaling_worker(log, name, opts), restart);
}

} // namespace tether::testing
