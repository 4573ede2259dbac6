#include "actors/runtime.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/endpoint.hpp"
#include "actors/profile_tree.hpp"
#include "actors/system_watch.hpp"
#include "protocol/url.hpp"
#include "protocol/wire_version.hpp"
#include "supervision/errors.hpp"

namespace tether {

namespace {

constexpr caf::atom_value runtime_category = caf::atom("tether_rt");

struct profile_entry {
  detail::endpoint_actor endpoint;
  caf::actor tree; ///< invalid while starting
  caf::actor consumer;
  /// Why the runtime is ending the tree, when it is (told to the consumer
  /// whichever of the tree's end and the supervisor's answer comes first).
  std::string ending_reason;
};

struct runtime_state {
  // Not an aggregate: CAF would otherwise construct it from the self
  // pointer (C++20 parenthesised aggregate init of the first member).
  runtime_state() = default;

  transport_actor transport;
  bool owns_transport = false;
  size_t max_waiting = 0;
  sup::dynamic_supervisor_actor trees; ///< the connections supervisor
  std::map<std::string, profile_entry> profiles; ///< the profile registry
  std::optional<profile_registry_actor> registry; ///< cluster reach (leases)
  std::set<std::string> claiming; ///< profiles whose claim is out
  std::unordered_map<caf::actor_addr, std::string> tree_names;
  std::unique_ptr<detail::system_watch> watch;

  ~runtime_state() {
    watch.reset(); // its thread stops before anything it could notify goes
    // The runtime's end is every profile's end (their consumers get
    // `stopped` from nobody: the embedder ended the runtime itself).
    caf::anon_send_exit(trees, caf::exit_reason::user_shutdown);
    for (auto& [name, entry] : profiles)
      caf::anon_send_exit(entry.endpoint, caf::exit_reason::user_shutdown);
    if (owns_transport)
      caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
  }

  static inline const char* name = "tether.runtime";
};

using self_ptr = detail::runtime_impl::stateful_pointer<runtime_state>;

caf::error check_config(const profile_config& cfg) {
  if (cfg.profile.empty())
    return make_error(runtime_errc::invalid_config,
                      caf::make_message(std::string{"profile name is empty"}));
  if (!cfg.connection.offline && !protocol::parse_ws_url(cfg.connection.url))
    return make_error(runtime_errc::invalid_config,
                      caf::make_message("not a ws:// or wss:// URL: " + cfg.connection.url));
  if (!protocol::wire_version_of(cfg.connection.url))
    return make_error(runtime_errc::invalid_config,
                      caf::make_message("a vsn tether does not speak (1.0.0 or 2.0.0): "
                                        + cfg.connection.url));
  return {};
}

void start_tree(self_ptr self, profile_config cfg,
                caf::typed_response_promise<connection_actor> rp,
                std::optional<caf::actor_clock::time_point> lease_until);
void release_lease(self_ptr self, const std::string& name, std::function<void()> then);

caf::result<connection_actor> start(self_ptr self, profile_config& cfg) {
  auto& st = self->state;
  if (auto err = check_config(cfg))
    return err;
  if (auto i = st.profiles.find(cfg.profile); i != st.profiles.end())
    return make_error(runtime_errc::already_running,
                      caf::make_message(caf::actor_cast<caf::actor>(i->second.endpoint)));
  if (st.claiming.count(cfg.profile) > 0)
    return make_error(runtime_errc::already_running,
                      caf::make_message(std::string{"being claimed"}));
  auto rp = self->make_response_promise<connection_actor>();
  if (!st.registry || cfg.connection.offline) { // the sandbox sends nothing: no lease
    start_tree(self, std::move(cfg), rp, std::nullopt);
    return rp;
  }
  // Claimed before anything starts: a profile another node holds never
  // gets a tree here, and a claimed one never opens a socket unleased.
  auto name = cfg.profile;
  st.claiming.insert(name);
  self
    ->request(*st.registry, caf::infinite, claim_atom::value, name,
              caf::actor_cast<lease_listener_actor>(self))
    .then(
      [self, rp, cfg](caf::actor_clock::time_point until) mutable {
        self->state.claiming.erase(cfg.profile);
        cfg.connection.leased = true;
        start_tree(self, std::move(cfg), rp, until);
      },
      [self, rp, name](caf::error& err) mutable {
        self->state.claiming.erase(name);
        rp.deliver(std::move(err));
      });
  return rp;
}

void start_tree(self_ptr self, profile_config cfg,
                caf::typed_response_promise<connection_actor> rp,
                std::optional<caf::actor_clock::time_point> lease_until) {
  auto& st = self->state;
  auto name = cfg.profile;
  auto give_back = [self, name] { // a claim whose profile did not start
    release_lease(self, name, [] {});
  };
  detail::endpoint_config ecfg{name, st.max_waiting, {}, cfg.store, cfg.consumer};
  if (cfg.store) { // resume where the profile was: its topics, its credentials
    auto stored = cfg.store->load(name);
    if (!stored) {
      if (lease_until)
        give_back();
      rp.deliver(make_error(runtime_errc::start_failed, caf::make_message(stored.error())));
      return;
    }
    if (*stored) {
      ecfg.topics = (*stored)->topics;
      if (!cfg.connection.connect_params && !(*stored)->connect_params.empty())
        cfg.connection.connect_params = [params = (*stored)->connect_params] {
          return params;
        };
    }
  }
  auto endpoint = detail::spawn_endpoint(self->system(), std::move(ecfg));
  if (lease_until) // before the tree: its connection opens nothing without it
    self->send(endpoint, lease_atom::value, *lease_until);
  // Registered before the tree exists: a second start is refused from now on.
  st.profiles[name] = profile_entry{endpoint, {}, cfg.consumer, {}};
  bool leased = lease_until.has_value();
  self
    ->request(st.trees, caf::infinite, sup::start_atom::value,
              detail::profile_tree_spec(std::move(cfg), st.transport, endpoint))
    .then(
      [self, rp, name, endpoint](caf::actor& tree) mutable {
        auto& st = self->state;
        self->monitor(tree);
        st.tree_names[tree.address()] = name;
        st.profiles[name].tree = tree;
        rp.deliver(caf::actor_cast<connection_actor>(endpoint));
      },
      [self, rp, name, endpoint, leased, give_back](caf::error& err) mutable {
        self->state.profiles.erase(name);
        self->send_exit(endpoint, caf::exit_reason::user_shutdown);
        if (leased)
          give_back();
        rp.deliver(make_error(runtime_errc::start_failed, caf::make_message(std::move(err))));
      });
}

/// Gives `name`'s lease back to the registry and calls `then` once the
/// registry has answered (at once without a registry). The registry answers
/// in order, so this also waits out a release sent earlier, say from the
/// down handler. A registry that is gone answers with an error; the lease
/// then lapses on its own and `then` runs all the same.
void release_lease(self_ptr self, const std::string& name, std::function<void()> then) {
  auto& st = self->state;
  if (!st.registry)
    return then();
  self->request(*st.registry, caf::infinite, release_atom::value, name)
    .then([then](caf::ok_atom) { then(); }, [then](caf::error&) { then(); });
}

/// A profile's tree ended: free the name, end the endpoint (its waiting
/// requests answer never_sent), tell the consumer. Runs once per tree,
/// whichever comes first of its down message and the end of `stop`.
void release(self_ptr self, const caf::actor_addr& tree, const std::string& reason) {
  auto& st = self->state;
  auto i = st.tree_names.find(tree);
  if (i == st.tree_names.end())
    return;
  auto name = std::move(i->second);
  st.tree_names.erase(i);
  auto entry = st.profiles.find(name);
  if (entry == st.profiles.end())
    return;
  self->send_exit(entry->second.endpoint, caf::exit_reason::user_shutdown);
  release_lease(self, name, [] {}); // the tree is down: its socket is closed
  if (entry->second.consumer)
    caf::anon_send(entry->second.consumer,
                   event{stopped{entry->second.ending_reason.empty()
                                   ? reason
                                   : entry->second.ending_reason}});
  st.profiles.erase(entry);
}

} // namespace

caf::error make_error(runtime_errc code) {
  return {static_cast<uint8_t>(code), runtime_category};
}

caf::error make_error(runtime_errc code, caf::message context) {
  return {static_cast<uint8_t>(code), runtime_category, std::move(context)};
}

const char* to_string(runtime_errc code) {
  switch (code) {
    case runtime_errc::already_running:
      return "already_running";
    case runtime_errc::not_running:
      return "not_running";
    case runtime_errc::start_failed:
      return "start_failed";
    case runtime_errc::invalid_config:
      return "invalid_config";
  }
  return "unknown_runtime_error";
}

void tune_scheduler_for_sockets(caf::actor_system_config& cfg) {
  // Poll without sleeping, briefly: a sleep of CAF's 50 µs between polls is
  // a thread wake-up each, and 5,000 polls spun about 25 µs after every
  // message from another thread, half the idle CPU of 10,000 trees with
  // their heartbeats, for no gain in round trips (docs/performance.md).
  cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{0});
  cfg.set("work-stealing.moderate-poll-attempts", int64_t{200});
  // One worker per core. CAF starts at least four; on fewer cores the extra
  // workers poll for the cores the lws thread needs (2 cores: round trips
  // +31 %, pipelined over 100 connections +55 %; docs/performance.md).
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<int64_t>(cores));
  // An idle worker waits on its condition variable (an enqueue from another
  // thread wakes it at once) and wakes on its own only to steal work. CAF's
  // 10 ms made that 2 x 100 wake-ups a second, 0.8 % of a core at 10,000
  // idle trees; at 50 ms, work queued behind a busy worker waits at most
  // that long for the other to take it.
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds{50}});
}

void add_error_categories(caf::actor_system_config& cfg) {
  cfg.add_error_category(runtime_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = to_string(static_cast<runtime_errc>(code));
                           if (!ctx.empty())
                             text += caf::deep_to_string(ctx);
                           return text;
                         });
  add_push_error_category(cfg);
  add_storage_error_category(cfg);
  add_transport_error_category(cfg);
  sup::add_supervision_error_category(cfg);
}

runtime_actor spawn_runtime(caf::actor_system& sys, runtime_config cfg) {
  // Spawned here, not in the runtime's first handler, so that a transport
  // that cannot start (an unusable proxy variable) throws to the caller.
  bool owns_transport = !cfg.transport;
  if (owns_transport)
    cfg.transport = spawn_transport(sys, cfg.transport_settings);
  auto impl = sys.spawn([cfg, owns_transport](self_ptr self) -> detail::runtime_impl::behavior_type {
    auto& st = self->state;
    st.max_waiting = cfg.max_waiting_requests;
    st.registry = cfg.registry;
    st.transport = *cfg.transport;
    st.owns_transport = owns_transport;
    if (cfg.watch_system) {
      // A weak address: the watcher must not keep the runtime alive.
      st.watch = std::make_unique<detail::system_watch>(
        [addr = self->address()](bool woke) {
          if (auto rt = caf::actor_cast<caf::actor>(addr))
            caf::anon_send(caf::actor_cast<runtime_actor>(rt), net_event_atom::value, woke);
        });
    }
    // Trees never restart: a tree that exceeded its intensity is a stopped
    // profile, reported to its consumer, not a crash loop one level up.
    st.trees = sup::spawn_dynamic_supervisor(self->system());
    self->set_down_handler([self](caf::down_msg& dm) {
      release(self, dm.source,
              sup::is_clean_exit(dm.reason) ? "stopped" : self->system().render(dm.reason));
    });
    return {
      [self](start_atom, profile_config& cfg) { return start(self, cfg); },
      [self](whereis_atom, const std::string& name) -> caf::result<connection_actor> {
        auto i = self->state.profiles.find(name);
        if (i == self->state.profiles.end())
          return make_error(runtime_errc::not_running);
        return caf::actor_cast<connection_actor>(i->second.endpoint);
      },
      [self](disconnect_atom, const std::string& name) -> caf::result<caf::ok_atom> {
        auto i = self->state.profiles.find(name);
        if (i == self->state.profiles.end())
          return make_error(runtime_errc::not_running);
        return self->delegate(caf::actor_cast<connection_actor>(i->second.endpoint),
                              disconnect_atom::value);
      },
      [self](connect_atom, const std::string& name) -> caf::result<caf::ok_atom> {
        auto i = self->state.profiles.find(name);
        if (i == self->state.profiles.end())
          return make_error(runtime_errc::not_running);
        return self->delegate(caf::actor_cast<connection_actor>(i->second.endpoint),
                              connect_atom::value);
      },
      [self](stop_atom, const std::string& name) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        auto i = st.profiles.find(name);
        if (i == st.profiles.end() || !i->second.tree)
          return make_error(runtime_errc::not_running);
        auto tree = i->second.tree;
        auto rp = self->make_response_promise<caf::ok_atom>();
        self->request(st.trees, caf::infinite, sup::terminate_atom::value, tree)
          .then(
            [self, rp, tree, name](caf::ok_atom) mutable {
              // Freed before the reply: a start right after stop succeeds,
              // here, and (the lease given back) on another node too.
              release(self, tree.address(), "stopped");
              release_lease(self, name, [rp]() mutable { rp.deliver(caf::ok_atom::value); });
            },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [self](which_atom) {
        std::vector<std::string> names;
        for (auto& [name, entry] : self->state.profiles)
          names.push_back(name);
        return names;
      },
      [self](net_event_atom, bool woke) {
        for (auto& [name, entry] : self->state.profiles)
          self->send(entry.endpoint, net_event_atom::value, woke);
      },
      [self](lease_atom, const std::string& name, caf::actor_clock::time_point until) {
        auto i = self->state.profiles.find(name);
        if (i != self->state.profiles.end())
          self->send(i->second.endpoint, lease_atom::value, until);
      },
      [self](lease_lost_atom, const std::string& name, const std::string& holder) {
        // Another node holds it now: the tree goes, its consumer is told why.
        auto& st = self->state;
        auto i = st.profiles.find(name);
        if (i == st.profiles.end() || !i->second.tree)
          return;
        auto tree = i->second.tree;
        i->second.ending_reason = "lease_lost: held by " + holder;
        self->request(st.trees, caf::infinite, sup::terminate_atom::value, tree)
          .then([self, tree](caf::ok_atom) { release(self, tree.address(), "lease_lost"); },
                [](caf::error&) {});
      },
      [self](detail::tree_of_atom, const std::string& name) -> caf::result<caf::actor> {
        auto i = self->state.profiles.find(name);
        if (i == self->state.profiles.end() || !i->second.tree)
          return make_error(runtime_errc::not_running);
        return i->second.tree;
      },
    };
  });
  return caf::actor_cast<runtime_actor>(impl);
}

} // namespace tether
