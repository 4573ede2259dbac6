#pragma once
// OTP's supervisor and Elixir's DynamicSupervisor as typed CAF actors.
// One engine (supervisor.cpp) serves both, as supervisor.erl serves its
// simple_one_for_one mode; the two handle types expose each mode's API.
// Semantics, defaults and the differences from OTP: docs/supervision.md.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
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

struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  int max_restarts = default_max_restarts;
  caf::timespan max_period{default_max_period};
};

struct dynamic_supervisor_flags {
  int max_restarts = default_max_restarts;
  caf::timespan max_period{default_max_period};
  /// Refuse `start` with `max_children` beyond this many live children.
  std::optional<size_t> max_children;
};

enum class child_status {
  running,    ///< has a live actor
  restarting, ///< a restart failed and is being retried
  terminated, ///< not running (terminated, transient clean exit, or ignored)
};

/// One row of `which`: OTP's {Id, Child, Type, Modules} without modules.
struct child_info {
  std::string id;
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
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  // Adds a spec and starts it (OTP start_child/2 with a child spec).
  caf::replies_to<start_atom, child_spec>::with<caf::actor>,
  // Stops a child by id; keeps its spec unless it is temporary.
  caf::replies_to<terminate_atom, std::string>::with<ok_atom>,
  // Starts a stopped child again from its spec.
  caf::replies_to<restart_atom, std::string>::with<caf::actor>,
  // Forgets the spec of a stopped child.
  caf::replies_to<delete_atom, std::string>::with<ok_atom>>;

/// A dynamic supervisor: starts with no children, one_for_one, children
/// addressed by their actor.
using dynamic_supervisor_actor = caf::typed_actor<
  caf::replies_to<ready_atom>::with<ok_atom>,
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  caf::replies_to<start_atom, child_spec>::with<caf::actor>,
  caf::replies_to<terminate_atom, caf::actor>::with<ok_atom>>;

/// Spawns a supervisor that starts `children` in order. The spawner is not
/// linked: it learns of the supervisor's end only by monitoring it. Ask
/// `ready` to learn whether the start succeeded.
supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_flags flags,
                                  std::vector<child_spec> children);

dynamic_supervisor_actor
spawn_dynamic_supervisor(caf::actor_system& sys,
                         dynamic_supervisor_flags flags = {});

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
