#include "actors/endpoint.hpp"

#include <optional>

#include <list>
#include <functional>
#include <map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/json_check.hpp"

namespace tether::detail {

namespace {

struct endpoint_state {
  // Not an aggregate: CAF would otherwise construct it from the self
  // pointer (C++20 parenthesised aggregate init of the first member).
  endpoint_state() = default;

  connection_actor connection; ///< invalid between a crash and the restart
  std::map<std::string, std::string> topics; ///< topic -> join params
  /// Topics whose params are read before every join (join_params_reader).
  std::map<std::string, std::function<std::string()>> readers;
  bool disconnected = false;
  /// The profile's lease as last told (runtime with a lease registry):
  /// passed to each connection as it attaches.
  std::optional<caf::actor_clock::time_point> lease_until;
  endpoint_config cfg;
  /// Requests made while no connection was attached, in arrival order.
  std::list<std::function<void()>> waiting;
  /// Answers a waiting request with an error if the profile ends first.
  std::list<std::function<void()>> abandon;

  ~endpoint_state() {
    for (auto& f : abandon)
      f();
  }

  static inline const char* name = "tether.endpoint";
};

using self_ptr = endpoint_actor::stateful_pointer<endpoint_state>;

/// Runs `forward` now, or once a connection attaches.
template <class T>
caf::result<T> forward_or_wait(self_ptr self, std::function<void(caf::typed_response_promise<T>)> forward,
                               caf::error when_abandoned) {
  auto& st = self->state;
  if (st.waiting.size() >= st.cfg.max_waiting)
    return make_error(push_errc::outbox_full);
  auto rp = self->make_response_promise<T>();
  st.waiting.emplace_back([rp, forward]() mutable { forward(rp); });
  st.abandon.emplace_back([rp, when_abandoned]() mutable {
    if (rp.pending())
      rp.deliver(when_abandoned);
  });
  return rp;
}

template <class T, class... Ts>
std::function<void(caf::typed_response_promise<T>)> relay(self_ptr self, Ts... xs) {
  return [self, xs...](caf::typed_response_promise<T> rp) mutable {
    self->request(self->state.connection, caf::infinite, xs...)
      .then([rp](T& x) mutable { rp.deliver(std::move(x)); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  };
}

/// Writes the joined topics through to the store (read, modify, write: the
/// connect params in the record belong to whoever rotates credentials).
void persist_topics(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.store)
    return;
  auto loaded = st.cfg.store->load(st.cfg.profile);
  stored_profile record;
  if (loaded && *loaded)
    record = std::move(**loaded);
  record.topics = st.topics;
  caf::error err = loaded ? st.cfg.store->save(st.cfg.profile, record) : loaded.error();
  if (err && st.cfg.consumer)
    caf::anon_send(st.cfg.consumer, event{storage_failed{self->system().render(err)}});
}

void attach(self_ptr self, connection_actor conn) {
  auto& st = self->state;
  st.connection = std::move(conn);
  self->monitor(st.connection);
  if (st.lease_until) // first: a leased connection opens nothing without it
    caf::anon_send(caf::actor_cast<lease_sink>(st.connection), lease_atom::value,
                   *st.lease_until);
  if (st.disconnected)
    caf::anon_send(st.connection, disconnect_atom::value);
  for (auto& [topic, params] : st.topics) {
    if (auto r = st.readers.find(topic); r != st.readers.end())
      self->request(st.connection, caf::infinite, join_atom::value, topic,
                    join_params_reader{r->second})
        .then([](caf::ok_atom) {}, [](caf::error&) {});
    else
      self->request(st.connection, caf::infinite, join_atom::value, topic, params)
        .then([](caf::ok_atom) {}, [](caf::error&) {});
  }
  auto waiting = std::move(st.waiting);
  st.abandon.clear();
  for (auto& f : waiting)
    f();
}

} // namespace

endpoint_actor spawn_endpoint(caf::actor_system& sys, endpoint_config cfg) {
  return sys.spawn([cfg](self_ptr self) -> endpoint_actor::behavior_type {
    self->state.cfg = cfg;
    self->state.topics = cfg.topics;
    self->set_down_handler([self](caf::down_msg& dm) {
      if (dm.source == self->state.connection.address())
        self->state.connection = nullptr;
    });
    return {
      [self](join_atom, std::string& topic, std::string& params) -> caf::result<caf::ok_atom> {
        if (protocol::check_json(params, protocol::default_max_json_depth))
          return make_error(push_errc::invalid_payload);
        auto& st = self->state;
        st.readers.erase(topic);
        auto& known = st.topics[topic];
        if (known != params) {
          known = params;
          persist_topics(self);
        }
        if (!st.connection)
          return caf::ok_atom::value; // the next connection joins it
        return self->delegate(st.connection, join_atom::value, std::move(topic),
                              std::move(params));
      },
      [self](join_atom, std::string& topic,
             join_params_reader& reader) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        if (!reader.read)
          return make_error(push_errc::invalid_payload);
        st.readers[topic] = reader.read;
        // Stored as "{}": what a reader answers may be a secret, and it is
        // read again at every join anyway (the embedder joins it again with
        // its reader after a restart of the process).
        if (st.topics.count(topic) == 0 || st.topics[topic] != "{}") {
          st.topics[topic] = "{}";
          persist_topics(self);
        }
        if (!st.connection)
          return caf::ok_atom::value; // the next connection joins it
        return self->delegate(st.connection, join_atom::value, std::move(topic),
                              std::move(reader));
      },
      [self](leave_atom, std::string& topic) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        st.readers.erase(topic);
        if (st.topics.erase(topic) > 0)
          persist_topics(self);
        if (!st.connection)
          return caf::ok_atom::value; // the next connection never joins it
        return self->delegate(st.connection, leave_atom::value, std::move(topic));
      },
      [self](push_atom, std::string& topic, std::string& event, std::string& payload,
             caf::timespan timeout) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.connection)
          return forward_or_wait<std::string>(
            self, relay<std::string>(self, push_atom::value, topic, event, payload, timeout),
            make_error(push_errc::never_sent));
        return self->delegate(st.connection, push_atom::value, std::move(topic),
                              std::move(event), std::move(payload), timeout);
      },
      [self](push_atom, std::string& topic, std::string& event, std::string& payload,
             caf::timespan timeout, idempotency_key& key) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.connection)
          return forward_or_wait<std::string>(
            self,
            relay<std::string>(self, push_atom::value, topic, event, payload, timeout, key),
            make_error(push_errc::never_sent));
        return self->delegate(st.connection, push_atom::value, std::move(topic),
                              std::move(event), std::move(payload), timeout,
                              std::move(key));
      },
      [self](disconnect_atom) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        st.disconnected = true;
        if (!st.connection)
          return caf::ok_atom::value;
        return self->delegate(st.connection, disconnect_atom::value);
      },
      [self](connect_atom) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        st.disconnected = false;
        if (!st.connection)
          return caf::ok_atom::value;
        return self->delegate(st.connection, connect_atom::value);
      },
      [self](alive_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.connection)
          return false;
        return self->delegate(st.connection, alive_atom::value);
      },
      [self](presence_atom, const std::string& topic) -> caf::result<presence_list> {
        auto& st = self->state;
        if (!st.connection)
          return presence_list{};
        return self->delegate(st.connection, presence_atom::value, topic);
      },
      [self](attach_atom, connection_actor& conn) { attach(self, std::move(conn)); },
      [self](net_event_atom, bool woke) {
        if (self->state.connection)
          caf::anon_send(caf::actor_cast<net_event_sink>(self->state.connection),
                         net_event_atom::value, woke);
      },
      [self](lease_atom, caf::actor_clock::time_point until) {
        self->state.lease_until = until;
        if (self->state.connection)
          caf::anon_send(caf::actor_cast<lease_sink>(self->state.connection),
                         lease_atom::value, until);
      },
      [self](forget_atom, std::string& topic) {
        if (self->state.topics.erase(topic) > 0)
          persist_topics(self);
      },
    };
  });
}

} // namespace tether::detail
