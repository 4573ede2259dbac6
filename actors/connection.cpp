#include "actors/connection.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/connection_state.hpp"
#include "protocol/json_check.hpp"
#include "protocol/reply.hpp"
#include "protocol/router.hpp"

namespace tether::detail {

namespace {

using self_ptr = connection_pointer;
using protocol::drop_cause;

template <class Event>
void emit(self_ptr self, Event ev) {
  if (self->state.consumer) // untyped: the embedder's actor of any kind
    caf::anon_send(self->state.consumer, std::move(ev));
}

void connect(self_ptr self);
void go_down(self_ptr self, drop_cause cause, std::optional<caf::timespan> retry_after);

// -- sending ------------------------------------------------------------------

/// Sends one frame on the current socket with a fresh ref; `then` gets the
/// ref once the transport queued it, or an error.
template <class MakeFrame, class Then>
void send_with_ref(self_ptr self, MakeFrame make, Then then) {
  auto socket = self->state.current;
  self->request(self->state.refs, caf::infinite, next_ref_atom::value)
    .then([self, socket, make, then](std::string& ref) mutable {
      auto& st = self->state;
      if (socket != st.current || !st.open) {
        then(ref, make_error(transport_errc::unknown_socket));
        return;
      }
      auto bytes = st.codec.encode(make(ref));
      if (!bytes) {
        then(ref, make_error(push_errc::invalid_payload));
        return;
      }
      self->request(st.transport, caf::infinite, send_atom::value, socket, false,
                    std::move(*bytes))
        .then([ref, then](caf::ok_atom) mutable { then(ref, caf::error{}); },
              [ref, then](caf::error& err) mutable { then(ref, err); });
    });
}

void resolve(self_ptr self, const protocol::resolved_push& r) {
  auto& st = self->state;
  auto i = st.waiting.find(r.ticket);
  if (i == st.waiting.end())
    return;
  auto rp = std::move(i->second);
  st.waiting.erase(i);
  switch (r.outcome) {
    case protocol::push_outcome::ok:
      rp.deliver(r.response);
      break;
    case protocol::push_outcome::rejected:
      rp.deliver(make_error(push_errc::rejected, r.response));
      break;
    case protocol::push_outcome::ack_timeout:
      rp.deliver(make_error(push_errc::ack_timeout));
      break;
    case protocol::push_outcome::never_sent:
      rp.deliver(make_error(push_errc::never_sent));
      break;
    case protocol::push_outcome::sender_crashed:
      rp.deliver(make_error(push_errc::sender_crashed));
      break;
  }
}

void send_push(self_ptr self, queued_push p) {
  auto& st = self->state;
  auto& topic = st.topics[p.topic];
  auto join_ref = topic.join_ref;
  send_with_ref(
    self,
    [join_ref, p](const std::string& ref) {
      return protocol::frame{join_ref, ref, p.topic, p.event, p.payload,
                             protocol::payload_format::json, {}};
    },
    [self, p](const std::string& ref, const caf::error& err) {
      auto& st = self->state;
      if (!st.acks.contains(p.ticket))
        return; // resolved meanwhile (deadline)
      if (err) { // the socket went away before the frame did: wait again
        st.outbox.push_back(p);
        return;
      }
      st.acks.mark_sent(p.ticket, ref);
    });
}

/// Sends the queued pushes of `topic`, in order, now that it is joined.
void flush_outbox(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  std::deque<queued_push> keep;
  auto queued = std::move(st.outbox);
  for (auto& p : queued) {
    if (p.topic == topic && st.acks.contains(p.ticket))
      send_push(self, p);
    else if (st.acks.contains(p.ticket))
      keep.push_back(std::move(p));
  }
  st.outbox = std::move(keep);
}

// -- joining --------------------------------------------------------------------

void send_join(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto params = st.topics[name].params;
  auto socket = st.current;
  send_with_ref(
    self,
    [name, params](const std::string& ref) {
      // A join uses its own ref as join_ref (Phoenix).
      return protocol::frame{ref, ref, name, "phx_join", params,
                             protocol::payload_format::json, {}};
    },
    [self, name, socket](const std::string& ref, const caf::error& err) {
      auto& st = self->state;
      auto i = st.topics.find(name);
      if (err || i == st.topics.end())
        return;
      i->second.join_ref = ref;
      i->second.joined = false;
      self->delayed_send(self, st.cfg.join_timeout, join_tmo_atom::value, socket,
                         name, ref);
    });
}

// -- heartbeat and liveness -------------------------------------------------------

void heartbeat_tick(self_ptr self, socket_id socket) {
  auto& st = self->state;
  if (socket != st.current || !st.open || !st.heartbeat_running)
    return;
  auto now = self->clock().now();
  send_with_ref(
    self,
    [](const std::string& ref) {
      return protocol::frame{std::nullopt, ref, "phoenix", "heartbeat", "{}",
                             protocol::payload_format::json, {}};
    },
    [self, socket, now](const std::string& ref, const caf::error& err) {
      auto& st = self->state;
      if (err) { // a failed send stops the heartbeat quietly (seed 000)
        st.heartbeat_running = false;
        return;
      }
      if (socket != st.current)
        return;
      auto check_at = st.liveness.on_ping(ref, now);
      self->delayed_send(self, check_at - now, lv_check_atom::value, socket);
    });
  // Steady cadence: the next tick counts from this emit, not from the reply.
  auto interval = protocol::heartbeat_interval(st.cfg.heartbeat, st.last_activity, now);
  self->delayed_send(self, interval, hb_tick_atom::value, socket);
}

void start_heartbeat(self_ptr self) {
  auto& st = self->state;
  if (st.heartbeat_running)
    return;
  st.heartbeat_running = true;
  auto interval = protocol::heartbeat_interval(st.cfg.heartbeat, st.last_activity,
                                               self->clock().now());
  self->delayed_send(self, interval, hb_tick_atom::value, st.current);
}

void liveness_check(self_ptr self, socket_id socket) {
  auto& st = self->state;
  if (socket != st.current || !st.open)
    return;
  if (st.liveness.on_check() == protocol::verdict::dead) {
    emit(self, peer_dead{});
    go_down(self, drop_cause::heartbeat_timeout, std::nullopt);
  }
}

// -- the socket's life ------------------------------------------------------------

/// The current socket is gone (or must go): stop its timers, tell the
/// consumer, schedule the next attempt.
void go_down(self_ptr self, drop_cause cause, std::optional<caf::timespan> retry_after) {
  auto& st = self->state;
  if (st.current != 0)
    caf::anon_send(st.transport, close_atom::value, st.current, uint16_t{1000},
                   std::string{to_string(cause)});
  st.current = 0; // every timer of the old socket is now stale
  st.open = false;
  st.heartbeat_running = false;
  st.liveness = protocol::liveness_judge{st.liveness.config()};
  for (auto& [name, topic] : st.topics) {
    topic.joined = false;
    topic.join_ref.reset();
  }
  emit(self, disconnected{std::string{to_string(cause)}});
  if (st.user_disconnected)
    return;
  auto now = self->clock().now();
  auto d = st.backoff.on_failure(now, cause, retry_after, st.rng());
  if (d.give_up) {
    emit(self, reconnect_abandoned{d.outage});
    st.user_disconnected = true; // until the consumer asks to connect again
    return;
  }
  emit(self, reconnect_scheduled{d.attempt, d.delay, std::string{to_string(cause)},
                                 d.outage});
  self->delayed_send(self, d.delay, retry_atom::value, ++st.retry_token);
}

void connect(self_ptr self) {
  auto& st = self->state;
  auto params = st.cfg.connect_params ? st.cfg.connect_params() : protocol::query_params{};
  params.emplace_back("vsn", std::string{protocol::v2_vsn});
  auto opts = st.cfg.socket;
  opts.url = protocol::with_query(st.cfg.url, params);
  self->request(st.transport, caf::infinite, open_atom::value, std::move(opts),
                caf::actor_cast<socket_owner_actor>(self))
    .then([self](socket_id id) { self->state.current = id; });
}

void on_opened(self_ptr self, socket_id id) {
  auto& st = self->state;
  if (id != st.current) { // a superseded socket opened late: not ours anymore
    caf::anon_send(st.transport, close_atom::value, id, uint16_t{1000},
                   std::string{"superseded"});
    return;
  }
  st.open = true;
  emit(self, connected{id});
  if (st.topics.empty()) {
    st.backoff.on_joined(self->clock().now());
    start_heartbeat(self);
  }
  for (auto& [name, topic] : st.topics)
    send_join(self, name);
}

drop_cause cause_of(const socket_failed& f) {
  switch (f.why) {
    case transport_errc::auth_refused:
      return drop_cause::auth;
    case transport_errc::rate_limited:
      return drop_cause::rate_limited;
    default:
      return drop_cause::connect_error;
  }
}

/// A frame carrying a join_ref other than its topic's current one belongs to
/// an earlier join of that topic: Phoenix drops it, and so do we.
bool stale(const connection_state& st, const protocol::frame& f) {
  if (!f.join_ref)
    return false;
  auto i = st.topics.find(f.topic);
  return i == st.topics.end() || i->second.join_ref != f.join_ref;
}

void on_join_reply(self_ptr self, const protocol::frame& f) {
  auto& st = self->state;
  auto i = st.topics.find(f.topic);
  if (i == st.topics.end() || i->second.join_ref != f.join_ref)
    return;
  auto reply = protocol::parse_reply(f);
  if (!reply)
    return;
  if (!reply->ok()) {
    st.topics.erase(i);
    emit(self, join_failed{f.topic, reply->response});
    return;
  }
  i->second.joined = true;
  emit(self, topic_joined{f.topic, reply->response});
  // One budget for connect and join: the attempt succeeded only now.
  st.backoff.on_joined(self->clock().now());
  start_heartbeat(self); // the heartbeat starts after the join reply (seed 000)
  flush_outbox(self, f.topic);
}

void on_received(self_ptr self, socket_received& msg) {
  auto& st = self->state;
  if (msg.id != st.current)
    return; // from a superseded socket
  auto decoded = st.codec.decode(msg.bytes, msg.kind);
  if (!decoded)
    return; // a bad frame is dropped; it never crashes the connection
  auto& f = *decoded;
  st.last_activity = self->clock().now();
  st.liveness.on_activity(); // any inbound frame is a sign of life
  using protocol::server_route;
  switch (protocol::route_from_server(f)) {
    case server_route::heartbeat_reply: {
      // Never reaches the consumer as a message; peer state does (seed 004).
      if (f.ref)
        st.liveness.on_pong(*f.ref);
      auto reply = protocol::parse_reply(f);
      if (reply && reply->response != "{}")
        emit(self, peer_status{reply->response});
      break;
    }
    case server_route::join_reply:
      on_join_reply(self, f);
      break;
    case server_route::push_reply: {
      if (stale(st, f))
        break;
      auto reply = protocol::parse_reply(f);
      if (!reply || !f.ref)
        break;
      if (auto r = st.acks.on_reply(*f.ref, reply->ok(), reply->response))
        resolve(self, *r);
      break;
    }
    case server_route::channel_error:
      if (stale(st, f))
        break;
      st.topics[f.topic].joined = false;
      emit(self, channel_errored{f.topic});
      self->delayed_send(self, st.cfg.rejoin_after, rejoin_atom::value, st.current,
                         f.topic);
      break;
    case server_route::channel_close:
      if (stale(st, f))
        break;
      st.topics.erase(f.topic);
      emit(self, channel_closed{f.topic});
      break;
    case server_route::channel_message:
      if (stale(st, f))
        break;
      emit(self, message_received{f.topic, f.event, f.payload});
      break;
    case server_route::unhandled:
      break;
  }
}

void sweep_acks(self_ptr self) {
  auto& st = self->state;
  for (auto& r : st.acks.expire(self->clock().now()))
    resolve(self, r);
}

} // namespace

connection_impl::behavior_type
connection_behavior(connection_pointer self, connection_config cfg,
                    transport_actor transport, ref_counter_actor refs,
                    caf::actor consumer) {
  auto& st = self->state;
  st.backoff = protocol::backoff{cfg.backoff};
  auto live = cfg.liveness;
  live.interval = cfg.heartbeat.slow;
  st.liveness = protocol::liveness_judge{live};
  st.cfg = std::move(cfg);
  st.transport = std::move(transport);
  st.refs = std::move(refs);
  st.consumer = std::move(consumer);
  connect(self);
  return {
    [self](join_atom, std::string& topic, std::string& params) -> caf::result<caf::ok_atom> {
      if (protocol::check_json(params, protocol::default_max_json_depth))
        return make_error(push_errc::invalid_payload);
      auto& st = self->state;
      auto& t = st.topics[topic];
      t.params = std::move(params);
      if (st.open && !t.join_ref)
        send_join(self, topic);
      return caf::ok_atom::value;
    },
    [self](leave_atom, std::string& topic) {
      auto& st = self->state;
      auto i = st.topics.find(topic);
      if (i != st.topics.end()) {
        if (st.open && i->second.join_ref) {
          auto join_ref = i->second.join_ref;
          send_with_ref(
            self,
            [topic, join_ref](const std::string& ref) {
              return protocol::frame{join_ref, ref, topic, "phx_leave", "{}",
                                     protocol::payload_format::json, {}};
            },
            [](const std::string&, const caf::error&) {});
        }
        st.topics.erase(i);
      }
      return caf::ok_atom::value;
    },
    [self](push_atom, std::string& topic, std::string& event, std::string& payload,
           caf::timespan timeout) -> caf::result<std::string> {
      auto& st = self->state;
      if (protocol::check_json(payload, protocol::default_max_json_depth))
        return make_error(push_errc::invalid_payload);
      if (st.acks.size() >= st.cfg.max_queued_pushes)
        return make_error(push_errc::outbox_full);
      if (timeout <= caf::timespan{0})
        timeout = st.cfg.ack_timeout;
      auto ticket = st.next_ticket++;
      auto rp = self->make_response_promise<std::string>();
      st.waiting.emplace(ticket, rp);
      st.acks.add(ticket, topic, self->clock().now() + timeout);
      self->delayed_send(self, timeout, sweep_atom::value);
      queued_push p{ticket, std::move(topic), std::move(event), std::move(payload)};
      auto i = st.topics.find(p.topic);
      if (st.open && i != st.topics.end() && i->second.joined)
        send_push(self, std::move(p));
      else // waits, in order, for a socket and a join
        st.outbox.push_back(std::move(p));
      return rp;
    },
    [self](disconnect_atom) {
      auto& st = self->state;
      st.user_disconnected = true;
      ++st.retry_token; // cancels a pending retry
      if (st.current != 0)
        go_down(self, drop_cause::closed_by_peer, std::nullopt);
      return caf::ok_atom::value;
    },
    [self](connect_atom) {
      auto& st = self->state;
      if (st.user_disconnected) {
        st.user_disconnected = false;
        if (st.current == 0)
          connect(self);
      }
      return caf::ok_atom::value;
    },
    [self](alive_atom) {
      auto& st = self->state;
      return st.current != 0 && st.open;
    },
    [self](socket_opened& ev) { on_opened(self, ev.id); },
    [self](socket_received& ev) { on_received(self, ev); },
    [self](socket_closed& ev) {
      if (ev.id == self->state.current)
        go_down(self, drop_cause::closed_by_peer, std::nullopt);
    },
    [self](socket_failed& ev) {
      if (ev.id != self->state.current)
        return;
      std::optional<caf::timespan> retry_after;
      if (ev.retry_after_s >= 0)
        retry_after = std::chrono::seconds{ev.retry_after_s};
      go_down(self, cause_of(ev), retry_after);
    },
    [self](hb_tick_atom, socket_id socket) { heartbeat_tick(self, socket); },
    [self](lv_check_atom, socket_id socket) { liveness_check(self, socket); },
    [self](retry_atom, uint64_t token) {
      auto& st = self->state;
      if (token == st.retry_token && !st.user_disconnected && st.current == 0)
        connect(self);
    },
    [self](join_tmo_atom, socket_id socket, std::string& topic, std::string& join_ref) {
      auto& st = self->state;
      auto i = st.topics.find(topic);
      if (socket != st.current || i == st.topics.end() || i->second.joined
          || i->second.join_ref != join_ref)
        return;
      // A socket that opens but never joins is a failed attempt.
      go_down(self, drop_cause::join_timeout, std::nullopt);
    },
    [self](sweep_atom) { sweep_acks(self); },
    [self](rejoin_atom, socket_id socket, std::string& topic) {
      auto& st = self->state;
      auto i = st.topics.find(topic);
      if (socket == st.current && st.open && i != st.topics.end() && !i->second.joined)
        send_join(self, topic);
    },
  };
}

} // namespace tether::detail

namespace tether {

connection_actor spawn_connection(caf::actor_system& sys, connection_config cfg,
                                  transport_actor transport, ref_counter_actor refs,
                                  caf::actor consumer) {
  return sys.spawn(detail::connection_behavior, std::move(cfg), std::move(transport),
                   std::move(refs), std::move(consumer));
}

namespace {
constexpr caf::atom_value push_category = caf::atom("tether_psh");
}

caf::error make_error(push_errc code, std::string response) {
  if (response.empty())
    return {static_cast<uint8_t>(code), push_category};
  return {static_cast<uint8_t>(code), push_category,
          caf::make_message(std::move(response))};
}

const char* to_string(push_errc code) {
  switch (code) {
    case push_errc::rejected:
      return "rejected";
    case push_errc::ack_timeout:
      return "ack_timeout";
    case push_errc::never_sent:
      return "never_sent";
    case push_errc::sender_crashed:
      return "sender_crashed";
    case push_errc::invalid_payload:
      return "invalid_payload";
    case push_errc::outbox_full:
      return "outbox_full";
  }
  return "unknown_push_error";
}

} // namespace tether
