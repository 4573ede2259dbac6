#pragma once
// Internal: the mechanics of the supervisor engine (supervisor_engine.cpp),
// used by the behaviour in supervisor.cpp. An operation is a queue of
// start/stop steps run one at a time; work arriving meanwhile is deferred.

#include <deque>

#include <caf/system_messages.hpp>

#include "supervision/supervisor_state.hpp"

namespace tether::sup::detail {

/// Runs `work` now, or queues it behind the running operation.
void run_or_defer(supervisor_pointer self, deferred_work work);

/// Starts an operation; `done` runs when its last step completed or a start
/// step failed (with that child's key). With `report_start_errors`, a failed
/// start is also reported (start_error).
void begin(supervisor_pointer self, std::deque<step> steps,
           operation::done_fn done, bool report_start_errors = false);

/// Tells the owner's report hook, if any (OTP's report_error/4).
void report(supervisor_pointer self, report_context ctx, const child_record& c,
            caf::error reason);

/// OTP restart/2 for one child: count it against the intensity, restart per
/// strategy, retry a failed start through the mailbox.
void restart(supervisor_pointer self, uint64_t key);

/// Stops every child in reverse start order, then exits with `reason`.
void shutdown(supervisor_pointer self, caf::error reason);

/// A monitored child terminated.
void on_down(supervisor_pointer self, const caf::down_msg& dm);

/// The shutdown grace of the child being stopped expired.
void on_escalate(supervisor_pointer self, uint64_t token);

/// Serves a request now, or after the running operation; if the supervisor
/// goes down first, the caller gets `shutting_down`.
template <class T, class F>
caf::typed_response_promise<T> serve(supervisor_pointer self, F work) {
  auto rp = self->make_response_promise<T>();
  run_or_defer(self, deferred_work{[rp, work]() mutable { work(rp); },
                                   [rp](const caf::error& err) mutable {
                                     rp.deliver(err);
                                   }});
  return rp;
}

} // namespace tether::sup::detail
