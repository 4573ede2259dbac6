#include "actors/lease_registry.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/runtime.hpp"
#include "protocol/lease_owner.hpp"
#include "protocol/random_bits.hpp"

namespace tether {

namespace {

using renew_atom = caf::atom_constant<caf::atom("renew")>;

using registry_impl = profile_registry_actor::extend<caf::reacts_to<renew_atom>>;

struct held_lease {
  lease granted;
  lease_listener_actor listener;
};

struct registry_state {
  registry_state() = default;
  lease_registry_config cfg;
  /// What this registry writes as the holder: the node's name and a random
  /// instance (protocol/lease_owner.hpp).
  std::string owner;
  std::map<std::string, held_lease> held;
  bool ticking = false; ///< a renew tick is pending
  uint64_t renewals = 0;
  uint64_t renew_failures = 0;
  static inline const char* name = "tether.lease_registry";
};

using self_ptr = registry_impl::stateful_pointer<registry_state>;

void tick_later(self_ptr self, bool soon = false) {
  auto& st = self->state;
  if (st.ticking || st.held.empty())
    return;
  st.ticking = true;
  self->delayed_send(self, soon ? st.cfg.rule.retry_every() : st.cfg.rule.renew_every(),
                     renew_atom::value);
}

/// One round of renewals. Each lease's usable time counts from when its
/// own renewal was sent; one that failed to reach the store keeps the time
/// it had, which then runs out at the profile's connection.
void renew_all(self_ptr self) {
  auto& st = self->state;
  st.ticking = false;
  auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.rule.ttl);
  bool failed = false;
  for (auto i = st.held.begin(); i != st.held.end();) {
    auto sent = self->clock().now();
    auto renewed = st.cfg.store->renew(i->first, i->second.granted, ttl);
    if (renewed)
      ++st.renewals;
    else
      ++st.renew_failures;
    if (renewed && *renewed) {
      self->send(i->second.listener, lease_atom::value, i->first, st.cfg.rule.usable_until(sent));
      ++i;
    } else if (renewed) { // the store says it is not ours any more
      std::string holder = "nobody";
      if (auto h = st.cfg.store->holder(i->first); h && *h)
        holder = protocol::shown_holder((*h)->node, st.owner);
      self->send(i->second.listener, lease_lost_atom::value, i->first, holder);
      i = st.held.erase(i);
    } else {
      failed = true; // unreachable: tried again soon; the lease's time runs meanwhile
      ++i;
    }
  }
  tick_later(self, failed);
}

registry_impl::behavior_type registry(self_ptr self, lease_registry_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.owner = protocol::lease_owner(self->state.cfg.node, protocol::random_bits{}());
  return {
    [self](claim_atom, const std::string& profile,
           lease_listener_actor& listener) -> caf::result<caf::actor_clock::time_point> {
      auto& st = self->state;
      auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.rule.ttl);
      auto sent = self->clock().now();
      auto got = st.cfg.store->claim(profile, st.owner, ttl);
      if (!got)
        return got.error();
      if (got->node != st.owner)
        return make_error(runtime_errc::already_running,
                          caf::make_message(protocol::shown_holder(got->node, st.owner)));
      st.held[profile] = held_lease{*got, std::move(listener)};
      tick_later(self);
      return st.cfg.rule.usable_until(sent);
    },
    [self](release_atom, const std::string& profile) {
      auto& st = self->state;
      auto i = st.held.find(profile);
      if (i == st.held.end())
        return caf::ok_atom::value;
      // Never another node's: the store compares before it deletes. If the
      // store is unreachable the lease lapses on its own after its ttl.
      (void) st.cfg.store->release(profile, i->second.granted);
      st.held.erase(i);
      return caf::ok_atom::value;
    },
    [self](holders_atom) {
      std::vector<std::pair<std::string, uint64_t>> out;
      for (auto& [profile, h] : self->state.held)
        out.emplace_back(profile, h.granted.fence);
      return out;
    },
    [self](survey_atom, const std::vector<std::string>& profiles,
           const std::string& info) -> caf::result<cluster_survey> {
      auto& st = self->state;
      auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.rule.ttl);
      auto members = st.cfg.store->announce(st.cfg.node, info, ttl);
      if (!members)
        return members.error();
      auto held = st.cfg.store->holders(profiles);
      if (!held)
        return held.error();
      cluster_survey out;
      out.members = std::move(*members);
      for (auto& h : *held)
        out.holders.push_back(h ? protocol::shown_holder(h->node, st.owner) : std::string{});
      out.renewals = st.renewals;
      out.renew_failures = st.renew_failures;
      return out;
    },
    [self](depart_atom) { (void) self->state.cfg.store->leave(self->state.cfg.node); },
    [self](renew_atom) { renew_all(self); },
  };
}

} // namespace

caf::expected<profile_registry_actor> spawn_lease_registry(caf::actor_system& sys,
                                                           lease_registry_config cfg) {
  if (!cfg.store)
    return make_error(runtime_errc::invalid_config,
                      caf::make_message(std::string{"a lease registry needs a lease store"}));
  if (cfg.node.empty() || cfg.node.find_first_of(" \t\r\n@") != std::string::npos)
    return make_error(runtime_errc::invalid_config,
                      caf::make_message("a node name must be non-empty, without spaces or @: \""
                                        + cfg.node + "\""));
  if (auto why = cfg.rule.check())
    return make_error(runtime_errc::invalid_config, caf::make_message(*why));
  bool detached = cfg.detached;
  auto actor = detached ? sys.spawn<caf::detached>(registry, std::move(cfg))
                        : sys.spawn(registry, std::move(cfg));
  return caf::actor_cast<profile_registry_actor>(actor);
}

} // namespace tether
