#pragma once
// Internal: the state of the supervisor engine (supervisor.cpp). Not part of
// the public API; tests may inspect it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "supervision/child_spec.hpp"
#include "supervision/restart_intensity.hpp"
#include "supervision/supervisor.hpp"

namespace tether::sup::detail {

// Internal messages: the shutdown grace of a child expired (timer token),
// and OTP's try_again_restart after a failed restart (child key).
using escalate_atom = caf::atom_constant<caf::atom("escalate")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

/// The union of both public interfaces plus the engine's own timers.
using supervisor_impl = caf::typed_actor<
  caf::replies_to<ready_atom>::with<ok_atom>,
  caf::replies_to<which_atom>::with<std::vector<child_info>>,
  caf::replies_to<count_atom>::with<child_counts>,
  caf::replies_to<start_atom, child_spec>::with<caf::actor>,
  caf::replies_to<terminate_atom, std::string>::with<ok_atom>,
  caf::replies_to<terminate_atom, caf::actor>::with<ok_atom>,
  caf::replies_to<restart_atom, std::string>::with<caf::actor>,
  caf::replies_to<delete_atom, std::string>::with<ok_atom>,
  caf::replies_to<get_spec_atom, std::string>::with<child_spec>,
  caf::replies_to<start_atom, caf::message>::with<caf::actor>,
  caf::reacts_to<escalate_atom, uint64_t>, caf::reacts_to<retry_atom, uint64_t>>;

struct child_record {
  uint64_t key = 0; ///< unique per supervisor, never reused
  child_spec spec;
  caf::actor handle;                  ///< valid while running
  bool restarting = false;            ///< a failed restart awaits its retry
  std::optional<caf::error> pending_exit; ///< died mid-operation, not yet handled
  caf::actor_addr last_actor;         ///< the latest actor, for reports
};

/// Children in start order. Shared with the supervisor's exit functor, which
/// outlives the state (CAF destroys state before attachables run).
struct child_table {
  std::vector<child_record> children;

  child_record* by_key(uint64_t key);
  child_record* by_id(const std::string& id);
  child_record* by_addr(const caf::actor_addr& addr);
  size_t index_of(uint64_t key) const;
  void erase(uint64_t key);
  void move_to_back(uint64_t key);
};

/// One unit of an operation: start or stop a child.
struct step {
  enum class kind { start, stop } what;
  uint64_t key;
};

/// A sequence of steps run one at a time (OTP runs them inline while the
/// supervisor is blocked; here the supervisor defers other work instead).
struct operation {
  using done_fn = std::function<void(const caf::error&, uint64_t failed_key)>;
  std::deque<step> steps;
  done_fn done;
  caf::actor_addr waiting_for; ///< the child the current step waits on
  bool waiting_ready = false;  ///< waits for a nested supervisor's `ready`
  /// A failed start is reported (start_error): true while starting the
  /// initial children and restarting, false for a start the caller asked
  /// for and is told about (OTP reports only the former).
  bool report_start_errors = false;
  uint64_t token = 0;          ///< matches the current timer / ready reply
};

/// Work that arrived while an operation ran: run it later, or abandon it
/// (answer with an error) if the supervisor goes down first.
struct deferred_work {
  std::function<void()> run;
  std::function<void(const caf::error&)> abandon;
};

struct engine_config {
  bool dynamic = false;
  restart_strategy strategy = restart_strategy::one_for_one;
  int max_restarts = default_max_restarts;
  std::chrono::seconds max_period{default_max_period};
  std::optional<size_t> max_children;
  std::string name;
  report_fn report;
  /// Set for a template supervisor (dynamic too).
  std::optional<child_template> tmpl;
  std::vector<child_spec> children;
};

struct supervisor_state {
  bool dynamic = false;
  restart_strategy strategy = restart_strategy::one_for_one;
  std::optional<size_t> max_children;
  std::string sup_name; ///< flags.name, for reports
  report_fn report;
  std::optional<child_template> tmpl;
  restart_intensity intensity;
  std::shared_ptr<child_table> table = std::make_shared<child_table>();
  uint64_t next_key = 1;
  uint64_t next_token = 1;
  /// Invariant: at most one operation at a time; while set, new work waits
  /// in `backlog` and runs in arrival order once it completes.
  std::optional<operation> op;
  std::list<deferred_work> backlog;
  /// Set once the initial start finished: none = ok, else the start error.
  std::optional<caf::error> start_outcome;
  std::vector<caf::typed_response_promise<ok_atom>> ready_waiters;
  /// True from the moment the supervisor decided to go down.
  bool stopping = false;

  static inline const char* name = "tether.supervisor";
};

using supervisor_pointer = supervisor_impl::stateful_pointer<supervisor_state>;

supervisor_impl::behavior_type supervisor_engine(supervisor_pointer self,
                                                 engine_config cfg);

} // namespace tether::sup::detail
