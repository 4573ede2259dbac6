#include "supervision/registry.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "supervision/errors.hpp"
#include "supervision/registry_state.hpp"

namespace tether::sup::detail {

namespace {

using self_ptr = registry_pointer;

void add_name(self_ptr self, const std::string& key, const caf::actor& holder) {
  auto& st = self->state;
  st.holders.emplace(key, holder);
  auto& keys = st.keys_of[holder.address()];
  if (keys.empty())
    self->monitor(holder);
  keys.push_back(key);
}

void drop_name(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto i = st.holders.find(key);
  if (i == st.holders.end())
    return;
  auto addr = i->second.address();
  st.holders.erase(i);
  auto k = st.keys_of.find(addr);
  if (k == st.keys_of.end())
    return;
  auto& keys = k->second;
  keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
  if (keys.empty()) {
    self->demonitor(addr);
    st.keys_of.erase(k);
  }
}

caf::error try_register(self_ptr self, const std::string& key,
                        const caf::actor& holder) {
  if (!holder)
    return make_error(supervision_errc::missing_start,
                      caf::make_message(key));
  auto& st = self->state;
  if (auto i = st.holders.find(key); i != st.holders.end())
    return make_error(supervision_errc::already_registered,
                      caf::make_message(i->second));
  add_name(self, key, holder);
  return caf::none;
}

/// Answers every caller waiting on `key`'s start.
template <class Outcome>
void settle_start(self_ptr self, const std::string& key, const Outcome& x) {
  auto i = self->state.starting.find(key);
  if (i == self->state.starting.end())
    return;
  auto waiters = std::move(i->second);
  self->state.starting.erase(i);
  for (auto& rp : waiters)
    rp.deliver(x);
}

} // namespace

registry_actor::behavior_type registry_behavior(registry_pointer self) {
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto k = st.keys_of.find(dm.source);
    if (k == st.keys_of.end())
      return;
    for (auto& key : k->second)
      st.holders.erase(key);
    st.keys_of.erase(k);
  });
  return {
    [self](register_atom, const std::string& key,
           const caf::actor& holder) -> caf::result<ok_atom> {
      if (auto err = try_register(self, key, holder))
        return err;
      return ok_atom::value;
    },
    [self](unregister_atom, const std::string& key) {
      drop_name(self, key);
      return ok_atom::value;
    },
    [self](lookup_atom, const std::string& key) -> caf::actor {
      auto i = self->state.holders.find(key);
      return i == self->state.holders.end() ? caf::actor{} : i->second;
    },
    [self](find_or_start_atom, const std::string& key,
           const dynamic_supervisor_actor& sup,
           child_spec& spec) -> caf::result<caf::actor> {
      auto& st = self->state;
      if (auto i = st.holders.find(key); i != st.holders.end())
        return i->second;
      auto rp = self->make_response_promise<caf::actor>();
      auto& waiters = st.starting[key];
      waiters.push_back(rp);
      if (waiters.size() > 1)
        return rp; // a start for this key is already in flight
      self->request(sup, caf::infinite, start_atom::value, std::move(spec))
        .then(
          [self, key, sup](caf::actor& child) {
            if (auto err = try_register(self, key, child)) {
              // Someone registered the key while we started: theirs wins,
              // ours would be a second holder, so it goes.
              if (child)
                caf::anon_send(sup, terminate_atom::value, child);
              auto holder = holder_of(err);
              if (holder)
                settle_start(self, key, holder);
              else
                settle_start(self, key, err);
              return;
            }
            settle_start(self, key, child);
          },
          [self, key](caf::error& err) { settle_start(self, key, err); });
      return rp;
    },
    [self](count_atom) { return self->state.holders.size(); },
  };
}

} // namespace tether::sup::detail

namespace tether::sup {

registry_actor spawn_registry(caf::actor_system& sys) {
  return sys.spawn(detail::registry_behavior);
}

} // namespace tether::sup
