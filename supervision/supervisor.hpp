#pragma once
// OTP's supervisor, its simple_one_for_one mode and Elixir's
// DynamicSupervisor as typed CAF actors. One engine (supervisor.cpp) serves
// all three, as supervisor.erl serves its simple_one_for_one mode; the three
// handle types expose each mode's API. Semantics, defaults and the
// differences from OTP: docs/supervision.md.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "supervision/atoms.hpp"
#include "supervision/child_spec.hpp"

namespace caf {
class actor_system;
}

namespace tether::sup {

enum class restart_strategy {
  one_for_one,  ///< restart only the child that terminated
  one_for_all,  ///< stop all others (reverse order), restart all (in order)
  rest_for_one, ///< stop the children started after it, restart them and it
};

/// Elixir's defaults: 3 restarts within 5 s (OTP's are 1 within 5 s).
constexpr int default_max_restarts = 3;
constexpr auto default_max_period = std::chrono::seconds{5};

/// What supervisor.erl logs as an error report (its report_error/4), told to
/// the supervisor's owner through `report_fn`.
enum class report_context {
  child_terminated, ///< a child ended in a way OTP reports (then restarted or not)
  start_error,      ///< a start or restart of a child failed
  shutdown_error,   ///< a child did not stop as asked (killed after its grace)
  shutdown,         ///< the supervisor gave up: reached_max_restart_intensity
};

/// "child_terminated", "start_error", "shutdown_error", "shutdown".
const char* to_string(report_context ctx);

struct supervisor_report {
  std::string supervisor; ///< the supervisor's `name`
  report_context context = report_context::child_terminated;
  std::string child_id;   ///< empty for a child of a template supervisor
  caf::actor_addr child;  ///< the child's (last) actor, if it ever had one
  /// The child's exit reason or start error; for `shutdown`,
  /// reached_max_restart_intensity.
  caf::error reason;
};

/// Runs inside the supervisor, in the order of its actions, once per report.
/// It must not block or throw; to hand a report on, send a message.
using report_fn = std::function<void(const supervisor_report&)>;

struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  int max_restarts = default_max_restarts;
  /// Counted in whole seconds of the actor clock, as OTP counts it.
  std::chrono::seconds max_period{default_max_period};
  /// Names the supervisor in its reports (a nested one defaults to its id).
  std::string name;
  /// Receives every report; none by default.
  report_fn report;
};

struct dynamic_supervisor_flags {
  int max_restarts = default_max_restarts;
  std::chrono::seconds max_period{default_max_period};
  /// Refuse `start` with `max_children` beyond this many live children.
  std::optional<size_t> max_children;
  std::string name;
  report_fn report;
};

/// Starts one child of a template supervisor from the `start` request's
/// extra arguments (OTP appends them to the template's own arguments).
using template_start_fn = std::function<caf::expected<caf::actor>(
  caf::actor_system&, const caf::message& extra)>;

/// The one child spec of a template supervisor (OTP simple_one_for_one).
struct child_template {
  template_start_fn start;
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown = shutdown_policy::timeout(std::chrono::seconds{5});
  child_type type = child_type::worker;
};

enum class child_status {
  running,    ///< has a live actor
  restarting, ///< a restart failed and is being retried
  terminated, ///< not running (terminated, transient clean exit, or ignored)
};

/// One row of `which`: OTP's {Id, Child, Type, Modules} without modules.
struct child_info {
  std::string id; ///< empty for a child of a template supervisor
  caf::actor handle; ///< invalid unless running
  child_type type = child_type::worker;
  child_status status = child_status::terminated;
};

/// OTP's count_children: specs, active, supervisors, workers.
struct child_counts {
  size_t specs = 0;
  size_t active = 0;
  size_t supervisors = 0;
  size_t workers = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  auto type = static_cast<int>(x.type);
  auto status = static_cast<int>(x.status);
  return f(caf::meta::type_name("child_info"), x.id, x.handle, type, status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_counts& x) {
  return f(caf::meta::type_name("child_counts"), x.specs, x.active,
           x.supervisors, x.workers);
}

/// A static supervisor: children given at start, addressed by id.
using supervisor_actor = caf::typed_actor<
  // Replies once the initial children all started, or with the start error.
  caf::replies_to<ready_atom>::with<ok_atom>,
  // The children in reverse start order, as OTP's which_children.
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  // Adds a spec and starts it (OTP start_child/2 with a child spec).
  caf::replies_to<start_atom, child_spec>::with<caf::actor>,
  // Stops a child by id; keeps its spec unless it is temporary. Stopping a
  // stopped child is ok.
  caf::replies_to<terminate_atom, std::string>::with<ok_atom>,
  // Starts a stopped child again from its spec.
  caf::replies_to<restart_atom, std::string>::with<caf::actor>,
  // Forgets the spec of a stopped child.
  caf::replies_to<delete_atom, std::string>::with<ok_atom>,
  // The spec of a child (OTP get_childspec).
  caf::replies_to<get_spec_atom, std::string>::with<child_spec>>;

/// A dynamic supervisor (Elixir's DynamicSupervisor): starts with no
/// children, one_for_one, each child started from its own spec and
/// addressed by its actor.
using dynamic_supervisor_actor = caf::typed_actor<
  caf::replies_to<ready_atom>::with<ok_atom>,
  // The children in the order their current actors started.
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  caf::replies_to<start_atom, child_spec>::with<caf::actor>,
  // Stops a child; ok too for an actor that has already ended (OTP).
  caf::replies_to<terminate_atom, caf::actor>::with<ok_atom>>;

/// A template supervisor (OTP simple_one_for_one): every child is started
/// from the one template with the extra arguments of its `start`, and
/// restarted with the same arguments.
using template_supervisor_actor = caf::typed_actor<
  caf::replies_to<ready_atom>::with<ok_atom>,
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  caf::replies_to<start_atom, caf::message>::with<caf::actor>,
  caf::replies_to<terminate_atom, caf::actor>::with<ok_atom>>;

/// Spawns a supervisor that starts `children` in order. The spawner is not
/// linked: it learns of the supervisor's end only by monitoring it. Ask
/// `ready` to learn whether the start succeeded.
supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_flags flags,
                                  std::vector<child_spec> children);

dynamic_supervisor_actor
spawn_dynamic_supervisor(caf::actor_system& sys,
                         dynamic_supervisor_flags flags = {});

template_supervisor_actor spawn_template_supervisor(caf::actor_system& sys,
                                                    dynamic_supervisor_flags flags,
                                                    child_template tmpl);

/// A child spec that runs a nested supervisor (type supervisor, shutdown
/// infinity, as OTP's defaults for supervisor children). The parent waits for
/// the nested start to complete before starting its next child.
child_spec supervisor_child(std::string id, supervisor_flags flags,
                            std::vector<child_spec> children,
                            restart_type restart = restart_type::permanent);

child_spec dynamic_supervisor_child(std::string id,
                                    dynamic_supervisor_flags flags = {},
                                    restart_type restart
                                    = restart_type::permanent);

} // namespace tether::sup
