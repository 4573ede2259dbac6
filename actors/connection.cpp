// The connection actor: one socket at a time, its joins, its inbound frames
// and its reconnects. Pushes: connection_push.cpp.

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/connection_ops.hpp"
#include "protocol/json_check.hpp"
#include "protocol/reply.hpp"
#include "protocol/router.hpp"
#include "supervision/errors.hpp"

namespace tether::detail {

namespace {

using protocol::drop_cause;

/// Liveness and the dynamic heartbeat learn of traffic; the heartbeat at
/// most once a second, since it only needs to know "recently".
constexpr auto activity_resolution = std::chrono::seconds{1};

/// How often, at most, the consumer is told of dropped frames of one reason.
constexpr auto drop_report_interval = std::chrono::seconds{1};

// -- small sends ----------------------------------------------------------------

/// Sends a control frame (join, leave) with a fresh ref on the current
/// socket. `bind` learns the ref before the frame is handed on, so that the
/// server's reply can never arrive before the connection knows the ref.
template <class MakeFrame, class Bind>
void send_control(self_ptr self, MakeFrame make, Bind bind) {
  auto socket = self->state.current;
  self->request(self->state.links.refs, caf::infinite, next_ref_atom::value)
    .then([self, socket, make, bind](std::string& ref) mutable {
      auto& st = self->state;
      if (socket != st.current || !st.open)
        return; // the socket went: the join is redone on the next one
      auto bytes = make(*st.codec, ref);
      if (!bytes)
        return;
      bind(ref);
      self->request(st.links.transport, caf::infinite, send_atom::value, socket, false,
                    std::move(*bytes))
        .then([](caf::ok_atom) {},
              [](caf::error&) { /* the transport reports the socket's end */ });
    });
}

void want_heartbeat(self_ptr self) {
  auto& st = self->state;
  st.heartbeat_wanted = true;
  if (st.heartbeat)
    self->send(st.heartbeat, hb_start_atom::value, st.current);
}

// -- joining --------------------------------------------------------------------

void schedule_rejoin(self_ptr self, const std::string& topic);

void send_join(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto& topic = st.topics[name];
  if (topic.read_params) { // read now, as phoenix.js calls its params function
    std::string fresh;
    try {
      fresh = topic.read_params();
    } catch (...) { // the embedder's reader failed: this attempt fails, not the tree
      fresh.clear();
    }
    if (protocol::check_json(fresh, protocol::default_max_json_depth) || fresh.empty()
        || fresh.front() != '{') {
      topic.refused = true;
      emit(self, join_failed{name, R"({"reason":"invalid_params"})"});
      schedule_rejoin(self, name);
      return;
    }
    topic.params = std::move(fresh);
  }
  auto params = topic.params;
  auto socket = st.current;
  send_control(
    self,
    [name, params](protocol::codec& codec, const std::string& ref) {
      return codec.encode_join(ref, name, params); // its own ref as join_ref
    },
    [self, name, socket](const std::string& ref) {
      auto& st = self->state;
      auto i = st.topics.find(name);
      if (i == st.topics.end())
        return;
      i->second.join_ref = ref;
      i->second.joined = false;
      self->delayed_send(self, st.cfg.join_timeout, join_tmo_atom::value, socket, name,
                         ref);
    });
}

void send_leave(self_ptr self, const std::string& topic, const std::string& join_ref) {
  send_control(
    self,
    [topic, join_ref](protocol::codec& codec, const std::string& ref) {
      return codec.encode_leave(join_ref, ref, topic);
    },
    [](const std::string&) {});
}

/// The server ended `topic` (join refused, phx_close): the endpoint stops
/// rejoining it after restarts.
void forget_topic(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  st.topics.erase(topic);
  if (st.links.endpoint)
    self->send(st.links.endpoint, forget_atom::value, topic);
  for (auto& r : st.acks.fail_unsent(topic, protocol::push_outcome::never_sent))
    resolve(st, r);
}

// -- the socket's life ------------------------------------------------------------

/// A leased connection may use the network only before its lease's end.
bool lease_allows(const connection_state& st, caf::actor_clock::time_point now) {
  return !st.cfg.leased || (st.lease_until && now < *st.lease_until);
}

void connect(self_ptr self) {
  auto& st = self->state;
  if (st.cfg.offline)
    return; // sandbox: no socket, ever
  if (!lease_allows(st, self->clock().now())) {
    st.waiting_for_lease = true; // the next lease connects
    return;
  }
  auto params = st.cfg.connect_params ? st.cfg.connect_params() : protocol::query_params{};
  if (!st.wire.in_url) // the URL names none: V2, as phoenix.js asks
    params.emplace_back("vsn", std::string{protocol::v2_vsn});
  auto opts = st.cfg.socket;
  opts.url = protocol::with_query(st.cfg.url, params);
  st.opening = true;
  self->request(st.links.transport, caf::infinite, open_atom::value, std::move(opts),
                caf::actor_cast<socket_owner_actor>(self))
    .then(
      [self](socket_id id) {
        auto& st = self->state;
        st.opening = false;
        if (st.user_disconnected) { // disconnect came while the open was out
          self->send(st.links.transport, close_atom::value, id, uint16_t{1000},
                     std::string{"disconnected"});
          st.early_events.clear();
          return;
        }
        st.current = id;
        if (st.cfg.leased && st.lease_until) // before any frame can be sent on it
          self->send(st.links.transport, lease_atom::value, id, *st.lease_until);
        auto early = std::move(st.early_events);
        st.early_events.clear();
        for (auto& replay : early)
          replay();
      },
      [self](caf::error&) { self->state.opening = false; });
}

/// The current socket is gone (or must go): stop its heartbeat first, then
/// close it, tell the consumer, schedule the next attempt.
void go_down(self_ptr self, drop_cause cause, std::optional<caf::timespan> retry_after,
             std::string detail = {}, int http_status = 0) {
  auto& st = self->state;
  st.heartbeat_wanted = false;
  if (st.heartbeat)
    self->send(st.heartbeat, hb_stop_atom::value);
  if (st.liveness)
    self->send(st.liveness, watch_atom::value, socket_id{0});
  if (st.current != 0)
    self->send(st.links.transport, close_atom::value, st.current, uint16_t{1000},
               std::string{to_string(cause)});
  st.current = 0; // every timer of the old socket is now stale
  st.open = false;
  for (auto& [name, topic] : st.topics) {
    topic.joined = false;
    topic.join_ref.reset();
  }
  emit(self, disconnected{std::string{to_string(cause)}, std::move(detail), http_status});
  if (st.user_disconnected)
    return;
  auto now = self->clock().now();
  if (!lease_allows(st, now)) {
    st.waiting_for_lease = true; // no retries without a lease: the next one connects
    ++st.retry_token;
    return;
  }
  auto d = st.backoff.on_failure(now, cause, retry_after, st.rng());
  if (d.give_up) {
    emit(self, reconnect_abandoned{d.outage});
    st.user_disconnected = true; // until the consumer asks to connect again
    return;
  }
  emit(self, reconnect_scheduled{d.attempt, d.delay, std::string{to_string(cause)},
                                 d.outage});
  st.retry_cause = cause;
  self->delayed_send(self, d.delay, retry_atom::value, ++st.retry_token);
}

void on_opened(self_ptr self, socket_id id, bool compressed) {
  auto& st = self->state;
  if (id != st.current) { // a superseded socket opened late: not ours anymore
    self->send(st.links.transport, close_atom::value, id, uint16_t{1000},
               std::string{"superseded"});
    return;
  }
  st.open = true;
  for (auto& [name, topic] : st.topics)
    topic.rejoin_attempts = 0; // a new socket starts the rejoin schedule over
  if (st.liveness)
    self->send(st.liveness, watch_atom::value, id);
  emit(self, connected{id, compressed});
  if (st.topics.empty()) {
    st.backoff.on_joined(self->clock().now());
    want_heartbeat(self);
  }
  for (auto& [name, topic] : st.topics)
    send_join(self, name);
}

/// Keeps an event of a socket whose id the open reply has not told yet.
template <class Event, class Replay>
bool held_back(self_ptr self, const Event& ev, Replay replay) {
  auto& st = self->state;
  if (!st.opening || ev.id == st.current)
    return false;
  st.early_events.emplace_back(std::move(replay));
  return true;
}

void on_closed(self_ptr self, const socket_closed& ev) {
  if (ev.id != self->state.current)
    return;
  auto cause = !ev.by_transport                     ? drop_cause::closed_by_peer
               : ev.code == 1009                     ? drop_cause::frame_too_large
               : ev.reason == lease_expired_reason ? drop_cause::lease_expired
                                                     : drop_cause::frame_stalled;
  auto detail = "close code " + std::to_string(ev.code);
  if (!ev.reason.empty())
    detail += ": " + ev.reason;
  go_down(self, cause, std::nullopt, std::move(detail));
}

drop_cause cause_of(const socket_failed& f);

void on_failed(self_ptr self, const socket_failed& ev) {
  if (ev.id != self->state.current)
    return;
  std::optional<caf::timespan> retry_after;
  if (ev.retry_after_s >= 0)
    retry_after = std::chrono::seconds{ev.retry_after_s};
  auto detail = ev.detail;
  if (ev.http_status > 0)
    detail = "HTTP " + std::to_string(ev.http_status) + (detail.empty() ? "" : ": " + detail);
  go_down(self, cause_of(ev), retry_after, std::move(detail), ev.http_status);
}

drop_cause cause_of(const socket_failed& f) {
  switch (f.why) {
    case transport_errc::auth_refused:
      return drop_cause::auth;
    case transport_errc::rate_limited:
      return drop_cause::rate_limited;
    case transport_errc::connect_timeout:
      return drop_cause::connect_timeout;
    case transport_errc::tls_failed:
      return drop_cause::tls_failed;
    case transport_errc::dns_failed:
      return drop_cause::dns_failed;
    case transport_errc::proxy_failed:
      return drop_cause::proxy_failed;
    default:
      return drop_cause::connect_error;
  }
}

// -- inbound ------------------------------------------------------------------------

/// A frame carrying a join_ref other than its topic's current one belongs to
/// an earlier join of that topic: Phoenix drops it, and so do we.
bool stale(const connection_state& st, const protocol::frame& f) {
  if (!f.join_ref)
    return false;
  auto i = st.topics.find(f.topic);
  return i == st.topics.end() || i->second.join_ref != f.join_ref;
}

/// The topic waits for its next join try on the rejoin schedule (its join
/// was refused or timed out, or its channel crashed), on this socket only.
void schedule_rejoin(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  auto i = st.topics.find(topic);
  if (i == st.topics.end())
    return;
  auto& t = i->second;
  t.joined = false;
  t.join_ref.reset(); // frames of the failed join are stale from now on
  auto delay = protocol::rejoin_delay(st.cfg.rejoin, ++t.rejoin_attempts, st.rng());
  self->delayed_send(self, delay, rejoin_atom::value, st.current, topic);
}

void on_join_reply(self_ptr self, const protocol::frame& f) {
  auto& st = self->state;
  auto reply = protocol::parse_reply(f);
  if (!reply)
    return;
  auto& t = st.topics[f.topic];
  if (!reply->ok()) {
    // That topic alone failed (refused, or no route: Phoenix answers those
    // with a null join_ref); phoenix.js retries it on the rejoin timer.
    emit(self, join_failed{f.topic, reply->response});
    t.refused = true;
    schedule_rejoin(self, f.topic);
    return;
  }
  t.joined = true;
  t.refused = false;
  t.rejoin_attempts = 0;
  emit(self, topic_joined{f.topic, reply->response});
  // One budget for connect and join: the attempt succeeded only now.
  st.backoff.on_joined(self->clock().now());
  want_heartbeat(self); // the heartbeat starts after the join reply (seed 000)
  flush_outbox(self, f.topic);
}

/// A phx_reply answers the join in flight on its topic when it carries that
/// join's ref, whatever its join_ref says; any other reply answers a push.
bool answers_join(const connection_state& st, const protocol::frame& f) {
  auto i = st.topics.find(f.topic);
  return i != st.topics.end() && !i->second.joined && i->second.join_ref
         && f.ref == i->second.join_ref;
}

void note_activity(self_ptr self) {
  auto& st = self->state;
  if (st.liveness) // any inbound frame is a sign of life
    self->send(st.liveness, activity_atom::value, st.current);
  auto now = self->clock().now();
  if (st.heartbeat && (!st.activity_told || now - *st.activity_told >= activity_resolution)) {
    st.activity_told = now;
    self->send(st.heartbeat, activity_atom::value);
  }
}

/// A server frame no event carries: counted, and told to the consumer at
/// most once per second per reason (frame_dropped with the count), so a
/// server flooding bad frames cannot flood the consumer.
void drop_frame(self_ptr self, const std::string& reason, std::string detail) {
  auto& tally = self->state.drops[reason];
  ++tally.total;
  tally.detail = std::move(detail);
  if (tally.window_open) {
    ++tally.untold;
    return;
  }
  tally.window_open = true;
  emit(self, frame_dropped{reason, tally.detail, 1});
  self->delayed_send(self, drop_report_interval, drop_window_atom::value, reason);
}

/// A reason's window ends: what was dropped in it is told now.
void end_drop_window(self_ptr self, const std::string& reason) {
  auto& tally = self->state.drops[reason];
  if (tally.untold == 0) {
    tally.window_open = false;
    return;
  }
  emit(self, frame_dropped{reason, tally.detail, tally.untold});
  tally.untold = 0;
  self->delayed_send(self, drop_report_interval, drop_window_atom::value, reason);
}

/// A presence event on a joined topic: its tracker (protocol/presence.hpp)
/// updates the list and the consumer hears what changed. A diff before its
/// join's state waits in the tracker; a payload that is not presence is
/// dropped with frame_dropped("invalid_presence").
void on_presence(self_ptr self, const protocol::frame& f) {
  auto& topic = self->state.topics[f.topic];
  if (!topic.presence)
    topic.presence = std::make_shared<protocol::presence_tracker>();
  auto join_ref = topic.join_ref.value_or("");
  auto r = f.event == "presence_state" ? topic.presence->on_state(f.payload, join_ref)
                                       : topic.presence->on_diff(f.payload, join_ref);
  using outcome = protocol::presence_tracker::outcome;
  if (r.what == outcome::invalid)
    return drop_frame(self, "invalid_presence", f.topic + " " + f.event);
  if (r.what == outcome::synced)
    emit(self, presence_synced{f.topic, std::move(r.changes.joins), std::move(r.changes.leaves),
                               topic.presence->current().list()});
}

void on_received(self_ptr self, socket_received& msg) {
  auto& st = self->state;
  if (msg.id != st.current)
    return; // from a superseded socket
  auto decoded = st.codec->decode(msg.bytes, msg.kind);
  if (!decoded) { // a bad frame is dropped, and told; it never crashes the connection
    drop_frame(self, "undecodable", std::string{protocol::to_string(decoded.error())});
    return;
  }
  auto& f = *decoded;
  using protocol::server_route;
  auto route = protocol::route_from_server(f);
  if (route == server_route::heartbeat_reply) {
    // Never reaches the consumer as a message; peer state does (seed 004).
    if (f.ref && st.liveness)
      self->send(st.liveness, pong_atom::value, st.current, *f.ref, msg.arrived);
    auto reply = protocol::parse_reply(f);
    if (reply && reply->response != "{}")
      emit(self, peer_status{reply->response});
    return;
  }
  note_activity(self);
  bool ours = st.topics.count(f.topic) > 0;
  if (!ours && route != server_route::reply && route != server_route::unhandled) {
    // Replies stay: they are matched by refs this client made (a push's
    // reply may come after its topic was left).
    drop_frame(self, "foreign_topic", f.topic);
    return;
  }
  if (route != server_route::reply && route != server_route::unhandled && stale(st, f)) {
    drop_frame(self, "stale_join_ref", f.topic); // an earlier join's (Phoenix drops them too)
    return;
  }
  switch (route) {
    case server_route::reply: {
      if (answers_join(st, f)) {
        on_join_reply(self, f);
        break;
      }
      if (stale(st, f))
        break;
      auto reply = protocol::parse_reply(f);
      if (!reply || !f.ref)
        break;
      if (auto r = st.acks.on_reply(*f.ref, reply->ok(), reply->response))
        resolve(st, *r);
      break;
    }
    case server_route::channel_error:
      emit(self, channel_errored{f.topic});
      schedule_rejoin(self, f.topic);
      break;
    case server_route::channel_close:
      emit(self, channel_closed{f.topic});
      forget_topic(self, f.topic);
      break;
    case server_route::channel_message:
      emit(self, message_received{f.topic, f.event, f.payload});
      if (f.event == "presence_state" || f.event == "presence_diff")
        on_presence(self, f);
      break;
    default:
      drop_frame(self, "unhandled", f.topic + " " + f.event);
      break;
  }
}

/// The network changed or the machine woke (seed 004): a waiting reconnect
/// goes now, with the backoff curve restarted. After a wake, a socket from
/// before the suspend is presumed dead (the server has long closed it) and
/// is replaced at once; after a network change a working socket is kept,
/// since liveness will notice if it went with the old address.
void on_net_event(self_ptr self, bool woke) {
  auto& st = self->state;
  if (st.user_disconnected || st.cfg.offline)
    return;
  if (st.current == 0 && !st.opening) {
    if (st.retry_cause == drop_cause::auth)
      return; // refused credentials wait their slow retry out
    ++st.retry_token; // the pending retry timer is void
    st.backoff.restart_curve();
    connect(self);
  } else if (woke && st.current != 0) {
    st.backoff.on_network_event();
    go_down(self, drop_cause::wake, std::nullopt); // retries with no delay
  }
}

void lease_lapsed(self_ptr self);

/// The profile's lease is usable until `until` (a renewal, or the first
/// lease). The transport is told for the socket in use; a connection that
/// waited for a lease connects now.
void on_lease(self_ptr self, caf::actor_clock::time_point until) {
  auto& st = self->state;
  st.lease_until = until;
  auto now = self->clock().now();
  if (until <= now)
    return lease_lapsed(self);
  self->delayed_send(self, until - now, lease_check_atom::value, until);
  if (st.current != 0)
    self->send(st.links.transport, lease_atom::value, st.current, until);
  if (st.waiting_for_lease && st.current == 0 && !st.opening && !st.user_disconnected) {
    st.waiting_for_lease = false;
    ++st.retry_token; // a retry still pending is void: this is the attempt
    connect(self);
  }
}

/// The lease's end came and no renewal moved it: the socket goes now, and
/// nothing opens until a lease comes again. The store lets the lease go
/// only `margin` later, so another node cannot have claimed it yet.
void lease_lapsed(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.leased)
    return;
  if (st.current != 0) {
    go_down(self, drop_cause::lease_expired, std::nullopt,
            "the profile's lease was not renewed in time");
  } else {
    st.waiting_for_lease = true;
    ++st.retry_token;
  }
}

// -- the public interface -----------------------------------------------------------

caf::result<caf::ok_atom> join(self_ptr self, std::string& topic, std::string& params,
                               std::function<std::string()> reader = {}) {
  if (protocol::check_json(params, protocol::default_max_json_depth))
    return make_error(push_errc::invalid_payload);
  auto& st = self->state;
  auto& t = st.topics[topic];
  t.params = std::move(params);
  t.read_params = std::move(reader);
  if (st.cfg.offline) { // sandbox: every join succeeds at once
    t.joined = true;
    emit(self, topic_joined{topic, "{}"});
  } else if (st.open && !t.join_ref) {
    send_join(self, topic);
  }
  return caf::ok_atom::value;
}

caf::ok_atom leave(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  auto i = st.topics.find(topic);
  if (i == st.topics.end())
    return caf::ok_atom::value;
  if (st.open && i->second.join_ref)
    send_leave(self, topic, *i->second.join_ref);
  st.topics.erase(i);
  for (auto& r : st.acks.fail_unsent(topic, protocol::push_outcome::never_sent))
    resolve(st, r);
  emit(self, topic_left{topic});
  return caf::ok_atom::value;
}

} // namespace

connection_state::~connection_state() {
  // Sent pushes resolve as ack_timeout (outcome unknown), the rest as
  // never_sent: a caller never waits on a connection that is gone.
  stopping = true;
  for (auto& r : acks.drain())
    resolve(*this, r);
  if (current != 0)
    caf::anon_send(links.transport, close_atom::value, current, uint16_t{1001},
                   std::string{"going away"});
}

connection_impl::behavior_type connection_behavior(connection_pointer self,
                                                   connection_config cfg,
                                                   connection_links links) {
  auto& st = self->state;
  st.backoff = protocol::backoff{cfg.backoff};
  st.cfg = std::move(cfg);
  st.links = std::move(links);
  // The runtime refused a vsn tether does not speak before this started.
  st.wire = protocol::wire_version_of(st.cfg.url).value_or(protocol::wire_choice{});
  st.codec = protocol::make_codec(st.wire.version);
  self->set_down_handler([self](caf::down_msg& dm) { on_sender_down(self, dm); });
  // A crash reaches the consumer as an event, never as an exit signal.
  self->attach_functor([consumer = st.links.consumer, &sys = self->system()](
                         const caf::error& reason) {
    // unreachable: the system is shutting down and nothing refers to it.
    if (consumer && !sup::is_clean_exit(reason) && reason != caf::exit_reason::unreachable)
      caf::anon_send(consumer, event{disconnected{"connection ended: " + sys.render(reason)}});
  });
  if (st.links.endpoint) // the restart-safe handle now leads here
    self->send(st.links.endpoint, attach_atom::value,
               caf::actor_cast<connection_actor>(self));
  connect(self);
  return {
    [self](join_atom, std::string& topic, std::string& params) {
      return join(self, topic, params);
    },
    [self](join_atom, std::string& topic, join_params_reader& reader) {
      std::string none = "{}";
      return join(self, topic, none, std::move(reader.read));
    },
    [self](leave_atom, std::string& topic) { return leave(self, topic); },
    [self](push_atom, std::string& topic, std::string& event, std::string& payload,
           caf::timespan timeout) {
      return accept_push(self, topic, event, payload, timeout);
    },
    [self](push_atom, std::string& topic, std::string& event, std::string& payload,
           caf::timespan timeout, idempotency_key& key) {
      return accept_push(self, topic, event, payload, timeout, key.value);
    },
    [self](disconnect_atom) {
      auto& st = self->state;
      st.user_disconnected = true;
      ++st.retry_token; // cancels a pending retry
      if (st.current != 0) // told apart from a lost socket (Slipstream)
        go_down(self, drop_cause::requested, std::nullopt);
      return caf::ok_atom::value;
    },
    [self](connect_atom) {
      // Connect now: after a disconnect, and also while a reconnect waits
      // out its backoff (the pending retry is void then).
      auto& st = self->state;
      st.user_disconnected = false;
      if (st.current == 0 && !st.opening && !st.cfg.offline) {
        ++st.retry_token;
        connect(self);
      }
      return caf::ok_atom::value;
    },
    [self](alive_atom) { return self->state.current != 0 && self->state.open; },
    [self](presence_atom, const std::string& topic) {
      presence_list out;
      auto i = self->state.topics.find(topic);
      if (i != self->state.topics.end() && i->second.presence)
        out.entries = i->second.presence->current().list();
      return out;
    },
    [self](socket_opened& ev) {
      if (!held_back(self, ev, [self, ev] { on_opened(self, ev.id, ev.compressed); }))
        on_opened(self, ev.id, ev.compressed);
    },
    [self](socket_received& ev) {
      if (!held_back(self, ev, [self, ev]() mutable { on_received(self, ev); }))
        on_received(self, ev);
    },
    [self](socket_closed& ev) {
      if (!held_back(self, ev, [self, ev] { on_closed(self, ev); }))
        on_closed(self, ev);
    },
    [self](socket_failed& ev) {
      if (!held_back(self, ev, [self, ev] { on_failed(self, ev); }))
        on_failed(self, ev);
    },
    [self](attach_atom, liveness_actor& lv) {
      auto& st = self->state;
      st.liveness = std::move(lv);
      if (st.open)
        self->send(st.liveness, watch_atom::value, st.current);
    },
    [self](attach_atom, heartbeat_actor& hb) {
      auto& st = self->state;
      st.heartbeat = std::move(hb);
      if (st.heartbeat_wanted)
        self->send(st.heartbeat, hb_start_atom::value, st.current);
    },
    [self](attach_atom, sup::dynamic_supervisor_actor& senders) {
      self->state.sender_sup = std::move(senders);
      on_sender_sup(self);
    },
    [self](peer_dead_atom, socket_id socket) {
      if (socket != self->state.current)
        return;
      emit(self, peer_dead{});
      go_down(self, drop_cause::heartbeat_timeout, std::nullopt);
    },
    [self](rtt_atom, socket_id socket, caf::timespan rtt) {
      if (socket == self->state.current && self->state.cfg.report_heartbeats)
        emit(self, heartbeat_answered{rtt});
    },
    [self](net_event_atom, bool woke) { on_net_event(self, woke); },
    [self](lease_atom, caf::actor_clock::time_point until) { on_lease(self, until); },
    [self](lease_check_atom, caf::actor_clock::time_point until) {
      if (self->state.lease_until == until) // not renewed since this timer was set
        lease_lapsed(self);
    },
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
      bool socket_works = false;
      for (auto& [name, t] : st.topics)
        socket_works = socket_works || t.joined;
      if (!socket_works) { // a socket that opens but never joins: a failed attempt
        go_down(self, drop_cause::join_timeout, std::nullopt);
        return;
      }
      // Other topics are joined on this socket: only this one failed. Its
      // join is withdrawn (phoenix.js sends the leave too) and retried.
      send_leave(self, topic, join_ref);
      emit(self, join_failed{topic, R"({"reason":"timeout"})"});
      schedule_rejoin(self, topic);
    },
    [self](sweep_atom) { sweep_acks(self); },
    [self](drop_window_atom, std::string& reason) { end_drop_window(self, reason); },
    [self](rejoin_atom, socket_id socket, std::string& topic) {
      auto& st = self->state;
      auto i = st.topics.find(topic);
      // none if the topic was left, or is joined or joining again meanwhile
      if (socket == st.current && st.open && i != st.topics.end() && !i->second.joined
          && !i->second.join_ref)
        send_join(self, topic);
    },
  };
}

connection_impl spawn_connection(caf::actor_system& sys, connection_config cfg,
                                 connection_links links) {
  return sys.spawn(connection_behavior, std::move(cfg), std::move(links));
}

} // namespace tether::detail
