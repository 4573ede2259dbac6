// The supervisor behaviour: its request handlers and the spawn functions.
// The mechanics (operations, restarts, shutdown) are in supervisor_engine.cpp.

#include "supervision/supervisor.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "supervision/errors.hpp"
#include "supervision/supervisor_engine.hpp"

namespace tether::sup::detail {

namespace {

using self_ptr = supervisor_pointer;


/// OTP's which_children order: a static supervisor lists its children in
/// reverse start order; a dynamic one in the order their actors started.
std::vector<child_info> which_children(const supervisor_state& st) {
  std::vector<child_info> rows;
  rows.reserve(st.table->children.size());
  auto row = [&](const child_record& c) {
    auto status = c.handle       ? child_status::running
                  : c.restarting ? child_status::restarting
                                 : child_status::terminated;
    rows.push_back({c.spec.id, c.handle, c.spec.type, status});
  };
  if (st.dynamic)
    std::for_each(st.table->children.begin(), st.table->children.end(), row);
  else
    std::for_each(st.table->children.rbegin(), st.table->children.rend(), row);
  return rows;
}

/// A template supervisor has one spec, its template (OTP simple_one_for_one);
/// a dynamic one counts a spec per child (Elixir's DynamicSupervisor).
child_counts count_children(const supervisor_state& st) {
  child_counts n;
  if (st.tmpl)
    n.specs = 1;
  for (auto& c : st.table->children) {
    if (!st.tmpl)
      ++n.specs;
    if (c.handle)
      ++n.active;
    if (c.spec.type == child_type::supervisor)
      ++n.supervisors;
    else
      ++n.workers;
  }
  return n;
}

/// OTP start_child/2: add a spec and start it.
void add_and_start(self_ptr self, child_spec spec,
                   caf::typed_response_promise<caf::actor> rp) {
  auto& st = self->state;
  if (!spec.start) {
    rp.deliver(make_error(supervision_errc::missing_start,
                          caf::make_message(spec.id)));
    return;
  }

  if (st.dynamic) {
    if (st.max_children && st.table->children.size() >= *st.max_children) {
      rp.deliver(make_error(supervision_errc::max_children));
      return;
    }
  } else if (auto* existing = st.table->by_id(spec.id)) {
    if (existing->handle)
      rp.deliver(make_error(supervision_errc::already_started,
                            caf::make_message(existing->handle)));
    else
      rp.deliver(make_error(supervision_errc::already_present,
                            caf::make_message(spec.id)));
    return;
  }
  auto key = st.next_key++;
  st.table->children.push_back(child_record{key, std::move(spec), {}, false, {}, {}});
  begin(self, {{step::kind::start, key}},
        [self, rp, key](const caf::error& err, uint64_t) mutable {
          auto* c = self->state.table->by_key(key);
          if (err) {
            self->state.table->erase(key);
            rp.deliver(err);
            return;
          }
          rp.deliver(c ? c->handle : caf::actor{});
        });
}

void stop_by_key(self_ptr self, uint64_t key,
                 caf::typed_response_promise<ok_atom> rp) {
  begin(self, {{step::kind::stop, key}},
        [self, rp, key](const caf::error&, uint64_t) mutable {
          if (self->state.dynamic)
            self->state.table->erase(key);
          rp.deliver(ok_atom::value);
        });
}

/// A template child: the template's start bound to this start's arguments,
/// so that a restart starts it with the same ones.
child_spec from_template(const child_template& tmpl, caf::message extra) {
  child_spec spec;
  spec.start = [start = tmpl.start, extra = std::move(extra)](
                 caf::actor_system& sys) { return start(sys, extra); };
  spec.restart = tmpl.restart;
  spec.shutdown = tmpl.shutdown;
  spec.type = tmpl.type;
  return spec;
}

/// True if `whom` has ended. Attaching to an ended actor runs the functor at
/// once, in this thread; on a live one it stays until that actor ends and
/// then does nothing that matters.
bool has_ended(const caf::actor& whom) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  caf::actor_cast<caf::abstract_actor*>(whom)->attach_functor(
    [ended](const caf::error&) { *ended = true; });
  return *ended;
}

/// The error for an operation that needs a stopped child, or none.
caf::error require_stopped(const child_record* c, const std::string& id) {
  if (!c)
    return make_error(supervision_errc::child_not_found, caf::make_message(id));
  if (c->handle)
    return make_error(supervision_errc::child_running, caf::make_message(id));
  if (c->restarting)
    return make_error(supervision_errc::child_restarting, caf::make_message(id));
  return caf::none;
}

} // namespace

supervisor_impl::behavior_type supervisor_engine(supervisor_pointer self,
                                                 engine_config cfg) {
  auto& st = self->state;
  st.dynamic = cfg.dynamic;
  st.strategy = cfg.strategy;
  st.max_children = cfg.max_children;
  st.intensity = restart_intensity{cfg.max_restarts, cfg.max_period};
  st.sup_name = std::move(cfg.name);
  st.report = std::move(cfg.report);
  st.tmpl = std::move(cfg.tmpl);
  // No child may outlive its supervisor, even one that was killed.
  self->attach_functor([table = st.table](const caf::error& reason) {
    caf::error why = reason;
    if (is_clean_exit(why))
      why = caf::exit_reason::user_shutdown;
    for (auto& c : table->children)
      if (c.handle)
        caf::anon_send<caf::message_priority::high>(
          c.handle, caf::exit_msg{caf::actor_addr{}, why});
  });
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    // A normal exit from a linked actor is no reason to stop (CAF's default
    // for actors that do not trap exits); anything else is a stop request,
    // typically from the parent.
    if (is_clean_exit(em.reason) && em.reason != caf::exit_reason::user_shutdown)
      return;
    auto reason = em.reason;
    run_or_defer(self, deferred_work{[self, reason] {
                                       if (!self->state.stopping)
                                         shutdown(self, reason);
                                     },
                                     [](const caf::error&) {}});
  });
  std::deque<step> initial;
  st.table->children.reserve(cfg.children.size()); // no doubling slack per tree
  for (auto& spec : cfg.children) {
    auto key = st.next_key++;
    st.table->children.push_back(child_record{key, std::move(spec), {}, false, {}, {}});
    initial.push_back({step::kind::start, key});
  }
  begin(
    self, std::move(initial),
    [self](const caf::error& err, uint64_t) {
      auto& st = self->state;
      if (err) { // stop what started, in reverse order, then fail the start
        shutdown(self, err);
        return;
      }
      st.start_outcome = caf::none;
      for (auto& rp : st.ready_waiters)
        rp.deliver(ok_atom::value);
      st.ready_waiters.clear();
    },
    true);
  return {
    [self](ready_atom) -> caf::result<ok_atom> {
      auto& st = self->state;
      if (!st.start_outcome) {
        auto rp = self->make_response_promise<ok_atom>();
        st.ready_waiters.push_back(rp);
        return rp;
      }
      if (*st.start_outcome)
        return *st.start_outcome;
      return ok_atom::value;
    },
    [self](which_atom) {
      return serve<std::vector<child_info>>(self, [self](auto& rp) {
        rp.deliver(which_children(self->state));
      });
    },
    [self](count_atom) {
      return serve<child_counts>(self, [self](auto& rp) {
        rp.deliver(count_children(self->state));
      });
    },
    [self](start_atom, child_spec& spec) {
      return serve<caf::actor>(self, [self, spec](auto& rp) {
        add_and_start(self, spec, rp);
      });
    },
    [self](terminate_atom, const std::string& id) {
      return serve<ok_atom>(self, [self, id](auto& rp) {
        auto* c = self->state.table->by_id(id);
        if (!c)
          rp.deliver(make_error(supervision_errc::child_not_found,
                                caf::make_message(id)));
        else
          stop_by_key(self, c->key, rp);
      });
    },
    [self](start_atom, caf::message& extra) {
      return serve<caf::actor>(self, [self, extra](auto& rp) {
        auto& st = self->state;
        if (!st.tmpl) { // only reachable through the engine's own interface
          rp.deliver(make_error(supervision_errc::missing_start));
          return;
        }
        add_and_start(self, from_template(*st.tmpl, extra), rp);
      });
    },
    [self](terminate_atom, const caf::actor& child) {
      return serve<ok_atom>(self, [self, child](auto& rp) {
        auto* c = child ? self->state.table->by_addr(child.address()) : nullptr;
        if (c)
          stop_by_key(self, c->key, rp);
        else if (child && has_ended(child)) // OTP: stopping an ended actor is ok
          rp.deliver(ok_atom::value);
        else
          rp.deliver(make_error(supervision_errc::child_not_found));
      });
    },
    [self](restart_atom, const std::string& id) {
      return serve<caf::actor>(self, [self, id](auto& rp) {
        auto* c = self->state.table->by_id(id);
        if (auto err = require_stopped(c, id)) {
          rp.deliver(err);
          return;
        }
        auto key = c->key;
        begin(self, {{step::kind::start, key}},
              [self, rp, key](const caf::error& err, uint64_t) mutable {
                auto* child = self->state.table->by_key(key);
                if (err)
                  rp.deliver(err);
                else
                  rp.deliver(child ? child->handle : caf::actor{});
              });
      });
    },
    [self](delete_atom, const std::string& id) {
      return serve<ok_atom>(self, [self, id](auto& rp) {
        auto* c = self->state.table->by_id(id);
        if (auto err = require_stopped(c, id)) {
          rp.deliver(err);
          return;
        }
        self->state.table->erase(c->key);
        rp.deliver(ok_atom::value);
      });
    },
    [self](get_spec_atom, const std::string& id) {
      return serve<child_spec>(self, [self, id](auto& rp) {
        if (auto* c = self->state.table->by_id(id))
          rp.deliver(c->spec);
        else
          rp.deliver(make_error(supervision_errc::child_not_found,
                                caf::make_message(id)));
      });
    },
    [self](escalate_atom, uint64_t token) { on_escalate(self, token); },
    [self](retry_atom, uint64_t key) {
      run_or_defer(self, deferred_work{[self, key] {
                                         auto* c = self->state.table->by_key(key);
                                         if (c && c->restarting && !c->handle)
                                           restart(self, key);
                                       },
                                       [](const caf::error&) {}});
    },
  };
}

} // namespace tether::sup::detail

namespace tether::sup {

const char* to_string(report_context ctx) {
  switch (ctx) {
    case report_context::child_terminated:
      return "child_terminated";
    case report_context::start_error:
      return "start_error";
    case report_context::shutdown_error:
      return "shutdown_error";
    case report_context::shutdown:
      return "shutdown";
  }
  return "unknown_report_context";
}

supervisor_actor spawn_supervisor(caf::actor_system& sys, supervisor_flags flags,
                                  std::vector<child_spec> children) {
  detail::engine_config cfg;
  cfg.strategy = flags.strategy;
  cfg.max_restarts = flags.max_restarts;
  cfg.max_period = flags.max_period;
  cfg.name = std::move(flags.name);
  cfg.report = std::move(flags.report);
  cfg.children = std::move(children);
  return sys.spawn(detail::supervisor_engine, std::move(cfg));
}

namespace {

detail::engine_config dynamic_config(dynamic_supervisor_flags flags) {
  detail::engine_config cfg;
  cfg.dynamic = true;
  cfg.max_restarts = flags.max_restarts;
  cfg.max_period = flags.max_period;
  cfg.max_children = flags.max_children;
  cfg.name = std::move(flags.name);
  cfg.report = std::move(flags.report);
  return cfg;
}

} // namespace

dynamic_supervisor_actor spawn_dynamic_supervisor(caf::actor_system& sys,
                                                  dynamic_supervisor_flags flags) {
  return sys.spawn(detail::supervisor_engine, dynamic_config(std::move(flags)));
}

template_supervisor_actor spawn_template_supervisor(caf::actor_system& sys,
                                                    dynamic_supervisor_flags flags,
                                                    child_template tmpl) {
  auto cfg = dynamic_config(std::move(flags));
  cfg.tmpl = std::move(tmpl);
  return sys.spawn(detail::supervisor_engine, std::move(cfg));
}

child_spec supervisor_child(std::string id, supervisor_flags flags,
                            std::vector<child_spec> children,
                            restart_type restart) {
  if (flags.name.empty())
    flags.name = id;
  child_spec spec;
  spec.id = std::move(id);
  spec.start = [flags, children](caf::actor_system& sys)
    -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(spawn_supervisor(sys, flags, children));
  };
  spec.restart = restart;
  spec.shutdown = shutdown_policy::infinity();
  spec.type = child_type::supervisor;
  return spec;
}

child_spec dynamic_supervisor_child(std::string id,
                                    dynamic_supervisor_flags flags,
                                    restart_type restart) {
  if (flags.name.empty())
    flags.name = id;
  child_spec spec;
  spec.id = std::move(id);
  spec.start = [flags](caf::actor_system& sys) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(spawn_dynamic_supervisor(sys, flags));
  };
  spec.restart = restart;
  spec.shutdown = shutdown_policy::infinity();
  spec.type = child_type::supervisor;
  return spec;
}

} // namespace tether::sup
