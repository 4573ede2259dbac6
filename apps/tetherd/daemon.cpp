#include "apps/tetherd/daemon.hpp"
#include "apps/tetherd/forwarder.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <systemd/sd-daemon.h>

#include "actors/runtime.hpp"
#include "apps/tetherd/metrics.hpp"
#include "protocol/account_spread.hpp"

namespace tether::daemon {

namespace {

using namespace std::chrono_literals;

using drain_end_atom = caf::atom_constant<caf::atom("drain_end")>;
using watchdog_atom = caf::atom_constant<caf::atom("watchdog")>;
using claim_tick_atom = caf::atom_constant<caf::atom("claim_tick")>;

using daemon_impl = daemon_actor::extend<caf::reacts_to<drain_end_atom>,
                                         caf::reacts_to<watchdog_atom>,
                                         caf::reacts_to<claim_tick_atom>>;

struct account_entry {
  account_config cfg;
  account_status status;
  uint64_t generation = 0;
  caf::actor forwarder; ///< the tree's consumer: tags events with the account
  std::optional<connection_actor> endpoint; ///< set while running
  bool starting = false; ///< asked the runtime, no answer yet
  /// Requests that came while starting: run once the start is answered.
  std::vector<std::function<void()>> waiting;
};

/// Runs what waited for the account's start to be answered.
void run_waiting(account_entry& entry) {
  entry.starting = false;
  auto waiting = std::move(entry.waiting);
  entry.waiting.clear();
  for (auto& f : waiting)
    f();
}

struct daemon_state {
  daemon_options opts;
  runtime_actor runtime;
  std::map<std::string, account_entry> accounts;
  metrics counters;
  uint64_t generations = 0;
  size_t pushes_in_flight = 0;
  bool draining = false;
  bool drain_finishing = false;
  /// Who asked to drain, answered once every tree is down.
  std::vector<caf::typed_response_promise<caf::ok_atom>> drained;
  // cluster mode
  std::map<std::string, std::string> members; ///< live node -> its API address
  bool survey_out = false;
  bool store_unreachable = false; ///< told once per outage
  /// Rounds that reached the store. The first only announces this node:
  /// nodes started together then see each other before anyone claims, so
  /// the first to start does not take everything and hand most of it over.
  uint64_t surveys = 0;
  static inline const char* name = "tetherd.daemon";
};

using self_ptr = daemon_impl::stateful_pointer<daemon_state>;

std::string render(self_ptr self, const caf::error& err) {
  return self->system().render(err);
}

/// Connect params as configured: inline, or read from the params file at
/// every attempt (so a rotated secret is picked up). None: the stored ones.
std::function<protocol::query_params()> params_source(const account_config& a,
                                                      std::shared_ptr<logger> log) {
  if (a.params_file) {
    // The file was readable when the config loaded (check_resources). If it
    // later is not (a rotation half done), the last params read are used,
    // and said so: never a connect without the credentials.
    auto last_good = std::make_shared<std::optional<protocol::query_params>>();
    return [path = *a.params_file, log, name = a.name, last_good] {
      auto loaded = load_params_file(path);
      if (auto* err = std::get_if<config_error>(&loaded)) {
        log->warn(*last_good ? "params file unreadable; connecting with the params read last"
                             : "params file unreadable; connecting without params",
                  {{"account", name}, {"error", err->to_string()}});
        return last_good->value_or(protocol::query_params{});
      }
      auto& pairs = std::get<0>(loaded);
      *last_good = protocol::query_params{pairs.begin(), pairs.end()};
      return **last_good;
    };
  }
  if (!a.params.empty())
    return [params = a.params] { return protocol::query_params{params.begin(), params.end()}; };
  return {};
}

/// A topic's join params, read from its file before every join and rejoin.
/// A file that cannot be read then (a rotation half done) gives the params
/// read last, and says so; never a join with half a file.
std::function<std::string()> join_params_source(std::filesystem::path path, std::string account,
                                                std::string topic, std::shared_ptr<logger> log) {
  auto last_good = std::make_shared<std::optional<std::string>>();
  return [path, account, topic, log, last_good] {
    auto loaded = load_join_params_file(path);
    if (auto* err = std::get_if<config_error>(&loaded)) {
      log->warn(*last_good ? "join params file unreadable; joining with the params read last"
                           : "join params file unreadable; joining with no params",
                {{"account", account}, {"topic", topic}, {"error", err->to_string()}});
      return last_good->value_or("{}");
    }
    *last_good = std::get<std::string>(loaded);
    return **last_good;
  };
}

/// Keeps the account's credentials in the store, beside its topics.
void store_params(self_ptr self, const account_config& a,
                  const std::function<protocol::query_params()>& params) {
  auto& store = self->state.opts.store;
  if (!store || !params)
    return;
  auto loaded = store->load(a.name);
  stored_profile record;
  if (loaded && *loaded)
    record = std::move(**loaded);
  auto now = params();
  record.connect_params.assign(now.begin(), now.end());
  caf::error err = loaded ? store->save(a.name, record) : loaded.error();
  if (err)
    self->state.opts.log->warn("storage refused the account's params",
                               {{"account", a.name}, {"error", render(self, err)}});
}

void start_account(self_ptr self, const std::string& name,
                   std::function<void(caf::error)> done = {}) {
  auto& st = self->state;
  auto& entry = st.accounts[name];
  entry.generation = ++st.generations;
  entry.status = starting_status(entry.cfg.offline, entry.cfg.topics);
  if (entry.forwarder)
    caf::anon_send_exit(entry.forwarder, caf::exit_reason::user_shutdown);
  entry.forwarder = spawn_forwarder(self->system(), caf::actor_cast<daemon_actor>(self),
                                    name, entry.generation);
  profile_config pc;
  pc.profile = name;
  pc.connection = connection_settings(st.opts.config, entry.cfg);
  pc.connection.connect_params = params_source(entry.cfg, st.opts.log);
  pc.consumer = entry.forwarder;
  pc.store = st.opts.store;
  store_params(self, entry.cfg, pc.connection.connect_params);
  st.opts.log->info("starting account", {{"account", name},
                                         {"url", redact_url(entry.cfg.url)},
                                         {"offline", entry.cfg.offline}});
  if (!entry.cfg.verify_tls)
    st.opts.log->warn("TLS certificate checks are off for this account (verify_tls = false)",
                      {{"account", name}});
  auto generation = entry.generation;
  entry.starting = true;
  self->request(st.runtime, caf::infinite, start_atom::value, std::move(pc))
    .then(
      [self, name, generation, done](connection_actor& endpoint) {
        auto i = self->state.accounts.find(name);
        if (i == self->state.accounts.end() || i->second.generation != generation)
          return;
        i->second.endpoint = endpoint;
        i->second.status.holder.clear();
        if (self->state.opts.registry)
          ++self->state.counters.claims;
        for (auto& [topic, params] : i->second.cfg.topics) {
          auto file = i->second.cfg.topic_params_files.find(topic);
          if (file != i->second.cfg.topic_params_files.end())
            self->request(endpoint, caf::infinite, join_atom::value, topic,
                          join_params_reader{join_params_source(
                            file->second, name, topic, self->state.opts.log)})
              .then([](caf::ok_atom) {}, [](caf::error&) {});
          else
            self->request(endpoint, caf::infinite, join_atom::value, topic, params)
              .then([](caf::ok_atom) {}, [](caf::error&) {});
        }
        if (done)
          done(caf::none);
        run_waiting(i->second);
      },
      [self, name, generation, done](caf::error& err) {
        auto i = self->state.accounts.find(name);
        auto& st = self->state;
        if (st.opts.registry && err == make_error(runtime_errc::already_running)) {
          // Another node was first: it runs there, which is fine.
          ++st.counters.claims_refused;
          if (done)
            done(err);
          if (i != st.accounts.end() && i->second.generation == generation) {
            i->second.status.state = account_state::elsewhere;
            i->second.status.last_cause.clear();
            auto& ctx = err.context();
            if (ctx.match_elements<std::string>())
              i->second.status.holder = ctx.get_as<std::string>(0);
            run_waiting(i->second);
          }
          return;
        }
        self->state.opts.log->error("account did not start",
                                    {{"account", name}, {"error", render(self, err)}});
        if (done)
          done(err);
        if (i != self->state.accounts.end() && i->second.generation == generation) {
          i->second.status.state = account_state::stopped;
          i->second.status.last_cause = render(self, err);
          run_waiting(i->second);
        }
      });
}

/// Stops the account's tree (if running); `done` runs once it is down.
void stop_account(self_ptr self, const std::string& name, std::function<void()> done) {
  auto& st = self->state;
  auto i = st.accounts.find(name);
  if (i != st.accounts.end() && i->second.starting) {
    i->second.waiting.push_back([self, name, done] { stop_account(self, name, done); });
    return;
  }
  if (i == st.accounts.end() || !i->second.endpoint) {
    done();
    return;
  }
  i->second.endpoint.reset();
  ++i->second.generation; // later events of this start are void
  i->second.status.state = account_state::stopped;
  i->second.status.socket = 0;
  close_topics(i->second.status);
  auto forwarder = i->second.forwarder;
  st.opts.log->info("stopping account", {{"account", name}});
  self->request(st.runtime, caf::infinite, stop_atom::value, name)
    .then(
      [forwarder, done](caf::ok_atom) {
        caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown);
        done();
      },
      [forwarder, done](caf::error&) { // not running: nothing to stop
        caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown);
        done();
      });
}

void on_account_event(self_ptr self, account_event& ev) {
  auto& st = self->state;
  auto i = st.accounts.find(ev.account);
  if (i == st.accounts.end() || i->second.generation != ev.generation)
    return;
  auto& entry = i->second;
  fold_event(entry.status, ev.event, self->clock().now());
  st.counters.count(ev.account, ev.event);
  if (std::holds_alternative<stopped>(ev.event)) {
    entry.endpoint.reset(); // the tree gave up (restart intensity): the profile is free
    if (entry.status.last_cause.rfind("lease_lost", 0) == 0) {
      ++st.counters.leases_lost;
      st.opts.log->warn("account's lease was taken: stopped here",
                        {{"account", ev.account}, {"reason", entry.status.last_cause}});
    } else {
      st.opts.log->error("account's tree stopped",
                         {{"account", ev.account}, {"reason", entry.status.last_cause}});
    }
  } else if (auto* d = std::get_if<disconnected>(&ev.event)) {
    if (d->http_status > 0)
      st.opts.log->warn("disconnected", {{"account", ev.account},
                                         {"cause", d->cause},
                                         {"http_status", d->http_status},
                                         {"detail", d->detail}});
    else
      st.opts.log->info("disconnected",
                        {{"account", ev.account}, {"cause", d->cause}, {"detail", d->detail}});
  } else if (auto* r = std::get_if<reconnect_scheduled>(&ev.event)) {
    st.opts.log->info("reconnect scheduled",
                      {{"account", ev.account},
                       {"attempt", r->attempt},
                       {"delay_ms", std::chrono::duration_cast<std::chrono::milliseconds>(r->delay).count()},
                       {"cause", r->cause}});
  } else if (auto* a = std::get_if<reconnect_abandoned>(&ev.event)) {
    st.opts.log->warn("reconnects abandoned: the reconnect window is spent",
                      {{"account", ev.account},
                       {"outage_ms", std::chrono::duration_cast<std::chrono::milliseconds>(a->outage).count()}});
  } else if (std::holds_alternative<connected>(ev.event)) {
    st.opts.log->info("connected", {{"account", ev.account},
                                    {"compressed", std::get<connected>(ev.event).compressed}});
    if (!entry.cfg.verify_tls && entry.cfg.url.rfind("wss://", 0) == 0)
      st.opts.log->warn("connected without checking the server's certificate (verify_tls = false)",
                        {{"account", ev.account}});
  } else if (auto* f = std::get_if<storage_failed>(&ev.event)) {
    st.opts.log->warn("storage failed", {{"account", ev.account}, {"detail", f->detail}});
  } else if (auto* r = std::get_if<supervisor_reported>(&ev.event)) {
    st.opts.log->warn("supervisor report", {{"account", ev.account},
                                            {"supervisor", r->supervisor},
                                            {"context", r->context},
                                            {"child", r->child},
                                            {"reason", r->reason}});
  } else if (auto* d = std::get_if<frame_dropped>(&ev.event)) {
    // already at most once a second per reason (the connection's own limit)
    st.opts.log->warn("frames dropped", {{"account", ev.account},
                                         {"reason", d->reason},
                                         {"detail", d->detail},
                                         {"count", d->count}});
  }
  if (st.opts.api)
    st.opts.api->publish(ev.account, event_json(ev.account, ev.event));
}

// -- the control API ----------------------------------------------------------

api_response ok_json(std::string body = R"({"ok":true})") {
  return {200, std::move(body)};
}

/// A push's outcome as HTTP: the server's reply, or what stopped it.
api_response push_failure(self_ptr self, const caf::error& err, std::string& outcome) {
  if (auto code_of = push_error_code(err)) {
    auto code = *code_of;
    outcome = to_string(code);
    auto response = response_of(err);
    switch (code) {
      case push_errc::rejected: {
        auto r = error_response(422, outcome, "the server replied with an error");
        r.body.pop_back();
        r.body += ",\"response\":" + (response.empty() ? std::string{"null"} : response) + "}";
        return r;
      }
      case push_errc::ack_timeout:
        return error_response(504, outcome, "sent, but no reply in time: outcome unknown");
      case push_errc::never_sent: {
        auto r = error_response(503, outcome, "not sent before its deadline or the stop");
        if (!response.empty()) { // why: {"reason":"not_joined"} and the like
          r.body.pop_back();
          r.body += ",\"response\":" + response + "}";
        }
        return r;
      }
      case push_errc::sender_crashed:
        return error_response(502, outcome, "the topic's sender crashed before sending");
      case push_errc::invalid_payload:
        return error_response(400, outcome, "the payload is not valid JSON");
      case push_errc::outbox_full:
        return error_response(429, outcome, "too many pushes wait for a connection");
    }
  }
  outcome = "error";
  return error_response(409, "unavailable", render(self, err));
}

void finish_push(self_ptr self) {
  auto& st = self->state;
  --st.pushes_in_flight;
  if (st.draining && st.pushes_in_flight == 0)
    self->send(self, drain_end_atom::value);
}

void handle_push(self_ptr self, uint64_t id, account_entry& entry, push_body body) {
  auto& st = self->state;
  auto timeout = body.timeout.count() > 0
                   ? caf::timespan{body.timeout}
                   : connection_settings(st.opts.config, entry.cfg).ack_timeout;
  ++st.pushes_in_flight;
  auto ok = [self, id, account = entry.cfg.name](std::string& response) {
    self->state.counters.count_push(account, "ok");
    self->state.opts.api->respond(id, ok_json(R"({"status":"ok","response":)" + response + "}"));
    finish_push(self);
  };
  auto failed = [self, id, account = entry.cfg.name](caf::error& err) {
    std::string outcome;
    auto r = push_failure(self, err, outcome);
    self->state.counters.count_push(account, outcome);
    self->state.opts.api->respond(id, std::move(r));
    finish_push(self);
  };
  auto& endpoint = *entry.endpoint;
  if (body.idempotency_key)
    self->request(endpoint, caf::infinite, push_atom::value, body.topic, body.event,
                  body.payload, timeout, idempotency_key{*body.idempotency_key})
      .then(ok, failed);
  else
    self->request(endpoint, caf::infinite, push_atom::value, body.topic, body.event,
                  body.payload, timeout)
      .then(ok, failed);
}

std::optional<std::string> reload(self_ptr self);

/// The node an account is listed under: this one while it runs or starts
/// here (or always, without a cluster); else its holder, known from the
/// last claim round (to_json uses it for `elsewhere`), or none.
std::string shown_node(const daemon_state& st, const account_entry& e) {
  if (!st.opts.registry || e.endpoint || e.starting)
    return st.opts.node_name;
  return {};
}

/// Cluster mode, before the first round has seen the store.
void not_claimed(account_entry& entry) {
  entry.status = starting_status(entry.cfg.offline, entry.cfg.topics);
  entry.status.state = account_state::stopped;
  entry.status.last_cause = "not claimed yet";
  close_topics(entry.status);
}

/// One round of cluster mode: announce this node, see who holds what, and
/// claim or hand over what the spreading rule says (protocol/account_spread).
void claim_round(self_ptr self) {
  auto& st = self->state;
  auto& cluster = *st.opts.config.cluster;
  if (!st.draining)
    self->delayed_send(self, cluster.claim_interval, claim_tick_atom::value);
  if (st.survey_out || st.draining)
    return;
  std::vector<std::string> names;
  for (auto& [name, entry] : st.accounts)
    names.push_back(name);
  auto advertise = cluster.advertise.empty() ? st.opts.config.api.listen : cluster.advertise;
  st.survey_out = true;
  self->request(*st.opts.registry, cluster.lease, survey_atom::value, names, advertise)
    .then(
      [self, names](cluster_survey& survey) {
        auto& st = self->state;
        st.survey_out = false;
        if (st.store_unreachable) {
          st.store_unreachable = false;
          st.opts.log->info("lease store reachable again");
        }
        if (st.draining)
          return;
        st.members = survey.members;
        st.counters.renew_failures = survey.renew_failures;
        protocol::spread_view view;
        view.node = st.opts.node_name;
        view.slack = st.opts.config.cluster->slack;
        for (auto& [node, info] : survey.members)
          view.members.insert(node);
        for (size_t i = 0; i < names.size() && i < survey.holders.size(); ++i) {
          auto e = st.accounts.find(names[i]);
          if (e == st.accounts.end())
            continue;
          auto& holder = survey.holders[i];
          auto& entry = e->second;
          if (entry.starting)
            view.starting.insert(names[i]);
          if (!entry.endpoint && !entry.starting) {
            if (!holder.empty() && holder != st.opts.node_name) {
              if (entry.status.state != account_state::elsewhere)
                entry.status.last_cause.clear(); // "not claimed yet" no longer says why
              entry.status.state = account_state::elsewhere;
              entry.status.holder = holder;
            } else if (holder.empty() && entry.status.state == account_state::elsewhere) {
              entry.status.state = account_state::stopped; // free: its holder let it go
              entry.status.holder.clear();
            }
          }
          view.accounts.push_back(names[i]);
          view.holders.push_back(holder);
        }
        if (++st.surveys == 1)
          return;
        auto moves = protocol::decide_spread(view);
        for (auto& name : moves.hand_off) {
          ++st.counters.handoffs;
          st.opts.log->info("handing account over", {{"account", name}});
          stop_account(self, name, [] {});
        }
        for (auto& name : moves.claim)
          start_account(self, name);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.survey_out = false;
        ++st.counters.survey_failures;
        if (!st.store_unreachable) {
          st.store_unreachable = true;
          st.opts.log->error("lease store unreachable: no account is claimed meanwhile, and "
                             "those held close at their lease's end",
                             {{"error", render(self, err)}});
        }
      });
}

void handle_request(self_ptr self, api_request& req) {
  auto& st = self->state;
  auto& api = *st.opts.api;
  ++st.counters.api_requests;
  auto r = match_route(req.method, req.path);
  auto id = req.id;
  if (r.kind == route_kind::not_found)
    return api.respond(id, error_response(404, "not_found", "no route " + req.path));
  if (r.kind == route_kind::bad_method)
    return api.respond(id, error_response(405, "method_not_allowed",
                                          req.method + " is not allowed on " + req.path));
  st.counters.pushes_in_flight = st.pushes_in_flight;
  if (r.kind == route_kind::metrics)
    return api.respond(id, {200,
                            render_prometheus(st.counters, [&] {
                              std::map<std::string, account_status> all;
                              for (auto& [name, e] : st.accounts)
                                all.emplace(name, e.status);
                              return all;
                            }(),
                                              self->system().registry().running()),
                            "text/plain; version=0.0.4"});
  if (r.kind == route_kind::reload) {
    st.opts.log->info("reload requested through the API");
    if (auto why = reload(self))
      return api.respond(id, error_response(422, "reload_refused", *why));
    return api.respond(id, ok_json());
  }
  if (r.kind == route_kind::list_accounts) {
    std::string body = "[";
    for (auto& [name, e] : st.accounts)
      body += (body.size() > 1 ? "," : "")
              + to_json(name, shown_node(st, e), e.status, self->clock().now());
    return api.respond(id, ok_json(body + "]"));
  }
  auto i = st.accounts.find(r.account);
  if (i == st.accounts.end())
    return api.respond(id, error_response(404, "unknown_account",
                                          "no account named \"" + r.account + "\""));
  auto& entry = i->second;
  auto name = r.account;
  if (entry.starting && r.kind != route_kind::get_account) {
    entry.waiting.push_back([self, req]() mutable { handle_request(self, req); });
    --st.counters.api_requests; // counted when it runs
    return;
  }
  if (r.kind == route_kind::get_account)
    return api.respond(id, ok_json(to_json(name, shown_node(st, entry), entry.status,
                                           self->clock().now())));
  if (r.kind == route_kind::start) {
    if (entry.endpoint)
      return api.respond(id, error_response(409, "already_running", name + " is running"));
    if (st.draining)
      return api.respond(id, error_response(503, "draining", "the daemon is stopping"));
    return start_account(self, name, [self, id](caf::error err) {
      self->state.opts.api->respond(
        id, err ? error_response(409, "start_failed", render(self, err)) : ok_json());
    });
  }
  if (r.kind == route_kind::stop)
    return stop_account(self, name, [self, id] { self->state.opts.api->respond(id, ok_json()); });
  if (!entry.endpoint && entry.status.state == account_state::elsewhere) {
    auto at = st.members.find(entry.status.holder);
    return api.respond(
      id, error_response(409, "held_elsewhere",
                         name + " runs on node " + entry.status.holder
                           + (at == st.members.end() ? "" : " (its API: " + at->second + ")")));
  }
  if (!entry.endpoint)
    return api.respond(id, error_response(409, "not_running",
                                          name + " is stopped (POST .../start)"));
  auto reply_ok = [self, id](caf::ok_atom) { self->state.opts.api->respond(id, ok_json()); };
  auto reply_err = [self, id](caf::error& err) {
    self->state.opts.api->respond(id, error_response(409, "unavailable", render(self, err)));
  };
  switch (r.kind) {
    case route_kind::push: {
      if (st.draining)
        return api.respond(id, error_response(503, "draining",
                                              "the daemon is stopping: no new pushes"));
      auto body = parse_push_body(req.body);
      if (auto* bad = std::get_if<api_response>(&body))
        return api.respond(id, std::move(*bad));
      return handle_push(self, id, entry, std::move(std::get<push_body>(body)));
    }
    case route_kind::join:
    case route_kind::leave: {
      auto body = parse_topic_body(req.body);
      if (auto* bad = std::get_if<api_response>(&body))
        return api.respond(id, std::move(*bad));
      auto& t = std::get<topic_body>(body);
      if (r.kind == route_kind::join)
        self->request(*entry.endpoint, caf::infinite, join_atom::value, t.topic, t.params)
          .then(reply_ok, reply_err);
      else
        self->request(*entry.endpoint, caf::infinite, leave_atom::value, t.topic)
          .then(reply_ok, reply_err);
      return;
    }
    case route_kind::presence: {
      if (entry.status.topics.count(r.topic) == 0)
        return api.respond(id, error_response(404, "unknown_topic",
                                              name + " has not joined " + r.topic));
      self->request(*entry.endpoint, caf::infinite, presence_atom::value, r.topic)
        .then([self, id, topic = r.topic](presence_list& list) {
          self->state.opts.api->respond(id, ok_json(presence_json(topic, list.entries)));
        }, reply_err);
      return;
    }
    case route_kind::disconnect:
      self->request(st.runtime, caf::infinite, disconnect_atom::value, name)
        .then(reply_ok, reply_err);
      return;
    case route_kind::reconnect:
      self->request(st.runtime, caf::infinite, connect_atom::value, name)
        .then(reply_ok, reply_err);
      return;
    default:
      api.respond(id, error_response(500, "internal", "unhandled route"));
  }
}

// -- reload and drain ---------------------------------------------------------

/// Erases the stored record (topics, connect params) of an account the
/// config no longer has: a removed account's credentials do not linger.
void forget_record(daemon_state& st, const std::string& name) {
  if (!st.opts.store)
    return;
  if (auto err = st.opts.store->erase(name))
    st.opts.log->error("cannot erase a removed account's stored record",
                       {{"account", name}, {"error", caf::to_string(err.context())}});
  else
    st.opts.log->info("stored record erased: the account is no longer in the config",
                      {{"account", name}});
}

/// At start: the records of accounts removed while the daemon was down.
void forget_unnamed_records(daemon_state& st) {
  if (!st.opts.store)
    return;
  auto stored = st.opts.store->profiles();
  if (!stored) {
    st.opts.log->error("cannot list the stored records",
                       {{"error", caf::to_string(stored.error().context())}});
    return;
  }
  for (auto& name : *stored)
    if (!st.accounts.count(name))
      forget_record(st, name);
}

/// Tells the API which account names its event stream may filter by.
void publish_account_names(daemon_state& st) {
  if (!st.opts.api)
    return;
  std::set<std::string> names;
  for (auto& a : st.opts.config.accounts)
    names.insert(a.name);
  st.opts.api->set_accounts(std::move(names));
}

/// Topics the old config joined and the new one does not.
std::vector<std::string> dropped_topics(const account_config& before,
                                        const account_config& after) {
  std::vector<std::string> out;
  for (auto& [topic, params] : before.topics)
    if (!after.topics.count(topic))
      out.push_back(topic);
  return out;
}

/// A topic taken out of the config is not rejoined from storage either.
void forget_topics(self_ptr self, const std::string& name,
                   const std::vector<std::string>& topics) {
  auto& store = self->state.opts.store;
  if (!store || topics.empty())
    return;
  auto loaded = store->load(name);
  if (!loaded || !*loaded)
    return;
  for (auto& topic : topics)
    (*loaded)->topics.erase(topic);
  if (auto err = store->save(name, **loaded))
    self->state.opts.log->warn("storage refused the account's topics",
                               {{"account", name}, {"error", render(self, err)}});
}

/// Reads the config again and applies it; the reason when it is refused.
std::optional<std::string> reload(self_ptr self) {
  auto& st = self->state;
  if (st.draining)
    return std::string{"the daemon is stopping"};
  auto loaded = load_config(st.opts.config_path);
  if (auto* err = std::get_if<config_error>(&loaded)) {
    st.opts.log->error("reload refused: the config is invalid; nothing changed",
                       {{"error", err->to_string()}});
    return err->to_string();
  }
  auto fresh = std::get<daemon_config>(std::move(loaded));
  auto& old = st.opts.config;
  bool globals_changed = fresh.defaults != old.defaults || fresh.ca_file != old.ca_file
                         || fresh.connect_timeout != old.connect_timeout
                         || fresh.max_frame_bytes != old.max_frame_bytes;
  if (fresh.api.listen != old.api.listen || fresh.storage.path != old.storage.path
      || fresh.storage.type != old.storage.type)
    st.opts.log->warn("api.listen and [storage] apply only at the next start");
  // The sockets' transport is made once, at start.
  if (fresh.ca_file != old.ca_file || fresh.proxy != old.proxy || fresh.no_proxy != old.no_proxy
      || fresh.max_handshakes != old.max_handshakes)
    st.opts.log->warn(
      "[transport] ca_file, proxy, no_proxy and max_handshakes apply only at the next start");
  std::map<std::string, account_config> wanted;
  for (auto& a : fresh.accounts)
    wanted.emplace(a.name, a);
  old.defaults = fresh.defaults;
  old.ca_file = fresh.ca_file;
  old.connect_timeout = fresh.connect_timeout;
  old.max_frame_bytes = fresh.max_frame_bytes;
  old.drain_timeout = fresh.drain_timeout;
  old.accounts = fresh.accounts;
  publish_account_names(st);
  std::vector<std::string> removed;
  for (auto& [name, entry] : st.accounts)
    if (!wanted.count(name))
      removed.push_back(name);
  for (auto& name : removed)
    stop_account(self, name, [self, name] {
      self->state.accounts.erase(name);
      self->state.opts.log->info("account removed", {{"account", name}});
      forget_record(self->state, name);
    });
  for (auto& [name, cfg] : wanted) {
    auto i = st.accounts.find(name);
    if (i == st.accounts.end()) {
      st.accounts[name].cfg = cfg;
      if (st.opts.registry) // claimed by the next round, here or elsewhere
        not_claimed(st.accounts[name]);
      else
        start_account(self, name);
      continue;
    }
    bool changed = !(i->second.cfg == cfg) || globals_changed;
    auto dropped = dropped_topics(i->second.cfg, cfg);
    i->second.cfg = cfg;
    if (changed) {
      st.opts.log->info("account changed: restarting", {{"account", name}});
      stop_account(self, name, [self, name, dropped] {
        forget_topics(self, name, dropped);
        start_account(self, name);
      });
    }
  }
  st.opts.log->info("config reloaded");
  return std::nullopt;
}

void finish_drain(self_ptr self) {
  auto& st = self->state;
  if (st.drained.empty() || st.drain_finishing)
    return;
  st.drain_finishing = true;
  if (st.pushes_in_flight > 0)
    st.opts.log->warn("drain timeout: stopping with pushes in flight (each is answered "
                      "with its error)",
                      {{"pushes", st.pushes_in_flight}});
  auto left = std::make_shared<size_t>(st.accounts.size() + 1);
  auto one_down = [self, left]() {
    if (--*left == 0) {
      self->state.opts.log->info("all accounts stopped");
      for (auto& promise : self->state.drained)
        promise.deliver(caf::ok_atom::value);
      self->state.drained.clear();
    }
  };
  for (auto& [name, entry] : st.accounts)
    stop_account(self, name, one_down);
  one_down();
}

} // namespace

connection_config connection_settings(const daemon_config& global, const account_config& a) {
  connection_config c;
  c.url = a.url;
  c.offline = a.offline;
  c.report_heartbeats = true;
  c.socket.verify_peer = a.verify_tls;
  c.socket.compress = a.compress;
  c.socket.connect_timeout = global.connect_timeout;
  c.socket.max_inbound_bytes = global.max_frame_bytes;
  auto pick = [&](auto member) { return a.timing.*member ? a.timing.*member
                                                          : global.defaults.*member; };
  if (auto v = pick(&timing_settings::heartbeat))
    c.heartbeat.slow = *v;
  if (auto v = pick(&timing_settings::heartbeat_fast); v && v->count() > 0)
    c.heartbeat.fast = *v;
  c.liveness.interval = c.heartbeat.slow;
  if (auto v = pick(&timing_settings::liveness_timeout))
    c.liveness.timeout = *v;
  if (auto v = pick(&timing_settings::liveness_max_missed))
    c.liveness.max_missed = *v;
  if (auto v = pick(&timing_settings::reconnect_initial))
    c.backoff.initial = *v;
  if (auto v = pick(&timing_settings::reconnect_max))
    c.backoff.ceiling = *v;
  if (auto v = pick(&timing_settings::reconnect_jitter))
    c.backoff.full_jitter = *v;
  if (auto v = pick(&timing_settings::join_timeout))
    c.join_timeout = *v;
  if (auto v = pick(&timing_settings::ack_timeout))
    c.ack_timeout = *v;
  // A daemon runs many accounts: their heartbeats share wake-ups.
  c.heartbeat.slack = pick(&timing_settings::timer_slack).value_or(default_timer_slack);
  return c;
}

daemon_actor spawn_daemon(caf::actor_system& sys, daemon_options opts) {
  auto impl = sys.spawn([opts](self_ptr self) mutable -> daemon_impl::behavior_type {
    auto& st = self->state;
    st.opts = std::move(opts);
    runtime_config rc;
    rc.transport_settings.ca_file = st.opts.config.ca_file;
    rc.transport_settings.proxy = st.opts.proxies;
    rc.transport_settings.max_handshakes = st.opts.config.max_handshakes;
    rc.registry = st.opts.registry;
    st.runtime = spawn_runtime(self->system(), rc);
    self->link_to(st.runtime); // the runtime (and every tree) ends with the daemon
    st.counters.clustered = st.opts.registry.has_value();
    for (auto& a : st.opts.config.accounts) {
      st.accounts[a.name].cfg = a;
      if (st.opts.registry)
        not_claimed(st.accounts[a.name]); // the claim rounds decide
      else
        start_account(self, a.name);
    }
    if (st.opts.registry)
      self->send(self, claim_tick_atom::value);
    forget_unnamed_records(st);
    publish_account_names(st);
    if (st.opts.watchdog.count() > 0)
      self->send(self, watchdog_atom::value);
    return {
      [self](api_request& req) { handle_request(self, req); },
      [self](account_event& ev) { on_account_event(self, ev); },
      [self](reload_atom) { reload(self); },
      [self](drain_atom) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        auto rp = self->make_response_promise<caf::ok_atom>();
        st.drained.push_back(rp);
        if (st.draining)
          return rp; // answered with the first
        st.draining = true;
        st.opts.log->info("draining", {{"pushes_in_flight", st.pushes_in_flight}});
        if (st.opts.registry) { // out of the members now; the leases go as the trees stop
          self->send(*st.opts.registry, depart_atom::value);
          for (auto& [name, entry] : st.accounts)
            st.counters.handoffs += entry.endpoint.has_value();
        }
        if (st.pushes_in_flight == 0)
          finish_drain(self);
        else
          self->delayed_send(self, st.opts.config.drain_timeout, drain_end_atom::value);
        return rp;
      },
      [self](drain_end_atom) { finish_drain(self); },
      [self](claim_tick_atom) { claim_round(self); },
      [self](watchdog_atom) {
        sd_notify(0, "WATCHDOG=1");
        self->delayed_send(self, self->state.opts.watchdog / 2, watchdog_atom::value);
      },
    };
  });
  return caf::actor_cast<daemon_actor>(impl);
}

} // namespace tether::daemon
