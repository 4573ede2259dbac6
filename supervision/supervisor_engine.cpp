// The mechanics of the supervisor engine: OTP supervisor.erl semantics on a
// CAF actor.
//
// Children are monitored (not linked): their end arrives as a down message
// with the exit reason. Every multi-step action (start all, restart per
// strategy, stop in reverse order) is an `operation`; while one runs, other
// requests and child exits are deferred, as OTP's supervisor is blocked in
// the same spot.

#include "supervision/supervisor_engine.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>

#include "supervision/errors.hpp"

namespace tether::sup::detail {

using self_ptr = supervisor_pointer;

// ---- child_table ----------------------------------------------------------

child_record* child_table::by_key(uint64_t key) {
  for (auto& c : children)
    if (c.key == key)
      return &c;
  return nullptr;
}

child_record* child_table::by_id(const std::string& id) {
  for (auto& c : children)
    if (c.spec.id == id)
      return &c;
  return nullptr;
}

child_record* child_table::by_addr(const caf::actor_addr& addr) {
  if (!addr)
    return nullptr;
  for (auto& c : children)
    if (c.handle && c.handle.address() == addr)
      return &c;
  return nullptr;
}

size_t child_table::index_of(uint64_t key) const {
  for (size_t i = 0; i < children.size(); ++i)
    if (children[i].key == key)
      return i;
  return children.size();
}

void child_table::move_to_back(uint64_t key) {
  auto i = index_of(key);
  if (i + 1 >= children.size())
    return;
  auto rec = std::move(children[i]);
  children.erase(children.begin() + static_cast<std::ptrdiff_t>(i));
  children.push_back(std::move(rec));
}

void child_table::erase(uint64_t key) {
  auto i = index_of(key);
  if (i < children.size())
    children.erase(children.begin() + static_cast<std::ptrdiff_t>(i));
}

namespace {

using ready_actor = caf::typed_actor<caf::replies_to<ready_atom>::with<ok_atom>>;

void advance(self_ptr self);

// ---- scheduling of work ----------------------------------------------------

static void drain_backlog(self_ptr self) {
  auto& st = self->state;
  while (!st.op && !st.stopping && !st.backlog.empty()) {
    auto work = std::move(st.backlog.front());
    st.backlog.pop_front();
    work.run();
  }
}

} // namespace

void run_or_defer(self_ptr self, deferred_work work) {
  auto& st = self->state;
  if (st.op || st.stopping)
    st.backlog.push_back(std::move(work));
  else
    work.run();
}

void begin(self_ptr self, std::deque<step> steps, operation::done_fn done,
           bool report_start_errors) {
  auto& st = self->state;
  st.op.emplace();
  st.op->steps = std::move(steps);
  st.op->done = std::move(done);
  st.op->report_start_errors = report_start_errors;
  advance(self);
}

void report(self_ptr self, report_context ctx, const child_record& c,
            caf::error reason) {
  auto& st = self->state;
  if (!st.report)
    return;
  st.report(supervisor_report{st.sup_name, ctx, c.spec.id, c.last_actor,
                              std::move(reason)});
}

namespace {

void finish(self_ptr self, const caf::error& err, uint64_t failed_key) {
  auto& st = self->state;
  auto done = std::move(st.op->done);
  st.op.reset();
  if (done)
    done(err, failed_key);
  drain_backlog(self);
}

// ---- single steps ----------------------------------------------------------

bool has_pending_stop(const operation& op, uint64_t key) {
  return std::any_of(op.steps.begin(), op.steps.end(), [&](const step& s) {
    return s.what == step::kind::stop && s.key == key;
  });
}

/// A child is gone after a stop: temporary specs are forgotten (OTP), and a
/// dynamic supervisor keeps no spec of a child it no longer runs.
void forget_if_transient_record(self_ptr self, uint64_t key) {
  auto& st = self->state;
  auto* c = st.table->by_key(key);
  if (c && (st.dynamic || c->spec.restart == restart_type::temporary))
    st.table->erase(key);
}

caf::expected<caf::actor> invoke_start(self_ptr self, const child_spec& spec) {
  if (!spec.start)
    return make_error(supervision_errc::missing_start,
                      caf::make_message(spec.id));
  // A throwing start function is the child's failure, never the supervisor's.
  try {
    return spec.start(self->system());
  } catch (const std::exception& ex) {
    return caf::make_error(caf::sec::runtime_error, std::string{ex.what()});
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error,
                           std::string{"start function threw"});
  }
}

/// Starts one child; returns an error if its start failed. A nested
/// supervisor leaves the operation waiting for its `ready` reply.
/// A start of `c` failed with `err` (the child's own error): reported when
/// the operation says so, and returned as child_start_failed.
caf::error start_failed(self_ptr self, child_record& c, const caf::error& err) {
  if (self->state.op && self->state.op->report_start_errors)
    report(self, report_context::start_error, c, err);
  return make_error(supervision_errc::child_start_failed,
                    caf::make_message(c.spec.id, err));
}

caf::error start_child(self_ptr self, child_record& c) {
  auto res = invoke_start(self, c.spec);
  if (!res)
    return start_failed(self, c, res.error());
  c.restarting = false;
  c.pending_exit.reset();
  if (!*res) // OTP's `ignore`: nothing runs, the spec stays
    return caf::none;
  c.handle = std::move(*res);
  c.last_actor = c.handle.address();
  self->monitor(c.handle);
  if (c.spec.type == child_type::supervisor) {
    auto& op = *self->state.op;
    auto token = self->state.next_token++;
    op.waiting_for = c.handle.address();
    op.waiting_ready = true;
    op.token = token;
    auto key = c.key;
    auto on_reply = [self, token, key](const caf::error& err) {
      auto& st = self->state;
      if (!st.op || st.op->token != token || !st.op->waiting_ready)
        return; // the down message already settled this step
      st.op->waiting_for = {};
      st.op->waiting_ready = false;
      if (!err) {
        advance(self);
        return;
      }
      auto* child = st.table->by_key(key);
      if (!child) {
        finish(self, make_error(supervision_errc::child_start_failed), key);
        return;
      }
      self->demonitor(child->handle);
      child->handle = nullptr;
      finish(self, start_failed(self, *child, err), key);
    };
    self
      ->request(caf::actor_cast<ready_actor>(c.handle), caf::infinite,
                ready_atom::value)
      .then([on_reply](ok_atom) { on_reply(caf::none); },
            [on_reply](caf::error& err) { on_reply(err); });
  }
  return caf::none;
}

/// OTP do_terminate/2: a child asked to stop that ended with any reason but
/// the one it was asked for is reported (shutdown_error); a normal exit of
/// a child that is not permanent is fine.
void report_unexpected_stop(self_ptr self, const child_record& c,
                            const caf::error& reason) {
  auto expected = c.spec.shutdown.how == shutdown_policy::kind::brutal_kill
                    ? caf::exit_reason::kill
                    : caf::exit_reason::user_shutdown;
  if (reason == expected)
    return;
  bool normal = !reason || reason == caf::exit_reason::normal;
  if (normal && c.spec.restart != restart_type::permanent)
    return;
  report(self, report_context::shutdown_error, c, reason);
}

/// Asks one child to stop per its shutdown policy; the operation then waits
/// for its down message.
void stop_child(self_ptr self, child_record& c) {
  auto& op = *self->state.op;
  op.waiting_for = c.handle.address();
  op.waiting_ready = false;
  switch (c.spec.shutdown.how) {
    case shutdown_policy::kind::brutal_kill:
      self->send_exit(c.handle, caf::exit_reason::kill);
      break;
    case shutdown_policy::kind::timeout: {
      self->send_exit(c.handle, caf::exit_reason::user_shutdown);
      auto token = self->state.next_token++;
      op.token = token;
      self->delayed_send(self, c.spec.shutdown.grace, escalate_atom::value,
                         token);
      break;
    }
    case shutdown_policy::kind::infinity:
      self->send_exit(c.handle, caf::exit_reason::user_shutdown);
      break;
  }
}

void advance(self_ptr self) {
  auto& st = self->state;
  while (!st.op->steps.empty()) {
    auto s = st.op->steps.front();
    st.op->steps.pop_front();
    auto* c = st.table->by_key(s.key);
    if (!c)
      continue;
    if (s.what == step::kind::stop) {
      if (!c->handle) {
        if (c->pending_exit) { // it ended before its turn: OTP's monitor_child
          auto reason = std::move(*c->pending_exit);
          c->pending_exit.reset();
          report_unexpected_stop(self, *c, reason);
        }
        forget_if_transient_record(self, s.key);
        continue;
      }
      stop_child(self, *c);
      return;
    }
    if (c->handle)
      continue; // already running
    if (auto err = start_child(self, *c)) {
      c->restarting = false;
      finish(self, err, s.key);
      return;
    }
    if (st.op->waiting_ready)
      return;
  }
  finish(self, caf::none, 0);
}

} // namespace

// ---- reacting to children --------------------------------------------------

static std::deque<step> restart_plan(self_ptr self, uint64_t key) {
  auto& st = self->state;
  auto& kids = st.table->children;
  auto i = st.table->index_of(key);
  std::deque<step> steps;
  auto stop = [&](size_t j) { steps.push_back({step::kind::stop, kids[j].key}); };
  auto start = [&](size_t j) {
    steps.push_back({step::kind::start, kids[j].key});
  };
  switch (st.dynamic ? restart_strategy::one_for_one : st.strategy) {
    case restart_strategy::one_for_one:
      steps.push_back({step::kind::start, key});
      break;
    case restart_strategy::one_for_all:
      for (size_t j = kids.size(); j-- > 0;)
        if (j != i)
          stop(j);
      for (size_t j = 0; j < kids.size(); ++j)
        start(j);
      break;
    case restart_strategy::rest_for_one:
      for (size_t j = kids.size(); j-- > i + 1;)
        stop(j);
      for (size_t j = i; j < kids.size(); ++j)
        start(j);
      break;
  }
  return steps;
}

/// OTP restart/2: count the restart, give up past the intensity, else restart
/// per strategy; a failed start is retried through the mailbox
/// (try_again_restart) so other requests can interleave.
void restart(self_ptr self, uint64_t key) {
  auto& st = self->state;
  if (!st.intensity.add_restart(self->clock().now())) {
    auto reason = make_error(supervision_errc::reached_max_restart_intensity);
    if (auto* c = st.table->by_key(key))
      report(self, report_context::shutdown, *c, reason);
    shutdown(self, reason);
    return;
  }
  begin(
    self, restart_plan(self, key),
    [self](const caf::error& err, uint64_t failed) {
      if (!err)
        return;
      if (auto* c = self->state.table->by_key(failed)) {
        c->restarting = true;
        self->send(self, retry_atom::value, failed);
      }
    },
    true);
}

static void on_child_exit(self_ptr self, uint64_t key,
                          const caf::error& reason) {
  auto& st = self->state;
  auto* c = st.table->by_key(key);
  if (!c)
    return;
  c->handle = nullptr;
  auto policy = c->spec.restart;
  // OTP reports every exit it would restart a permanent child for, and every
  // unclean exit of the others (do_restart/3).
  if (policy == restart_type::permanent || !is_clean_exit(reason))
    report(self, report_context::child_terminated, *c, reason);
  bool again = policy == restart_type::permanent
               || (policy == restart_type::transient && !is_clean_exit(reason));
  if (!again) {
    if (st.dynamic || policy == restart_type::temporary)
      st.table->erase(key);
    return;
  }
  if (st.dynamic) // which lists dynamic children in their actors' start order
    st.table->move_to_back(key);
  restart(self, key);
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto* c = st.table->by_addr(dm.source);
  if (!c)
    return; // a child we already replaced or forgot
  auto key = c->key;
  if (!st.op) {
    on_child_exit(self, key, dm.reason);
    return;
  }
  auto& op = *st.op;
  if (op.waiting_for == dm.source) {
    op.waiting_for = {};
    c->handle = nullptr;
    if (op.waiting_ready) { // a nested supervisor died while starting
      op.waiting_ready = false;
      finish(self, start_failed(self, *c, dm.reason), key);
      return;
    }
    op.token = 0; // disarm the shutdown timer
    report_unexpected_stop(self, *c, dm.reason);
    forget_if_transient_record(self, key);
    advance(self);
    return;
  }
  c->handle = nullptr;
  if (has_pending_stop(op, key)) {
    // About to be stopped anyway: its own death saves the step, which then
    // reports the reason it ended with.
    c->pending_exit = dm.reason;
    return;
  }
  // Handle the exit once the operation is over; the record remembers it so a
  // later step can neither wait on nor stop the dead actor.
  c->pending_exit = dm.reason;
  st.backlog.push_back(deferred_work{
    [self, key] {
      auto* child = self->state.table->by_key(key);
      if (!child || !child->pending_exit || child->handle)
        return;
      auto reason = *child->pending_exit;
      child->pending_exit.reset();
      on_child_exit(self, key, reason);
    },
    [](const caf::error&) {}});
}

// ---- going down --------------------------------------------------------------

static void quit_with(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  if (!st.start_outcome)
    st.start_outcome = reason;
  for (auto& rp : st.ready_waiters)
    rp.deliver(*st.start_outcome);
  st.ready_waiters.clear();
  auto backlog = std::move(st.backlog);
  for (auto& work : backlog)
    work.abandon(make_error(supervision_errc::shutting_down));
  self->quit(reason);
}

/// Stops every running child in reverse start order, then exits with reason.
void shutdown(self_ptr self, caf::error reason) {
  auto& st = self->state;
  st.stopping = true;
  std::deque<step> steps;
  auto& kids = st.table->children;
  for (auto i = kids.rbegin(); i != kids.rend(); ++i)
    steps.push_back({step::kind::stop, i->key});
  begin(self, std::move(steps),
        [self, reason](const caf::error&, uint64_t) { quit_with(self, reason); });
}


void on_escalate(self_ptr self, uint64_t token) {
  auto& st = self->state;
  if (!st.op || st.op->token != token || st.op->waiting_ready
      || !st.op->waiting_for)
    return; // the child stopped in time
  if (auto* c = st.table->by_addr(st.op->waiting_for))
    self->send_exit(c->handle, caf::exit_reason::kill);
}

} // namespace tether::sup::detail
