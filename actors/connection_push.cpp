// Ack-on-send (seed 003): the connection parks every caller's reply in its
// ack table and hands the push to its topic's sender; the push resolves only
// on the server's reply for its ref, its deadline, or a sender crash.

#include <caf/send.hpp>

#include "actors/connection_ops.hpp"
#include "actors/sender.hpp"
#include "protocol/idempotency.hpp"
#include "protocol/json_check.hpp"

namespace tether::detail {

namespace {

/// A push whose sender vanished this often before taking it never leaves.
constexpr int max_redeliveries = 3;

void dispatch(self_ptr self, queued_push p);

/// The push cannot go now: back to the outbox (socket or join missing) or
/// to its sender's start.
void dispatch_later(self_ptr self, queued_push p) {
  auto& st = self->state;
  auto t = st.topics.find(p.topic);
  if (!st.open || t == st.topics.end() || !t->second.joined)
    st.outbox.push_back(std::move(p)); // waits for the next join
  else
    dispatch(self, std::move(p));
}

void send_to_sender(self_ptr self, queued_push p, sender_actor handle, socket_id socket,
                    std::string join_ref, std::string ref) {
  self
    ->request(handle, caf::infinite, deliver_atom::value, socket, std::move(join_ref),
              std::move(ref), p.topic, p.event, p.payload)
    .then(
      [self, ticket = p.ticket](caf::ok_atom) { self->state.acks.mark_sent(ticket); },
      [self, p, handle](caf::error& err) mutable {
        auto& st = self->state;
        if (!st.acks.contains(p.ticket))
          return; // resolved meanwhile (a reply, the deadline, a sender crash)
        if (err == caf::sec::request_receiver_down) {
          // The sender stopped (idle) as this push reached it: start another.
          auto& slot = st.senders[p.topic];
          if (slot.handle == handle)
            slot.handle = nullptr;
          if (++p.redeliveries <= max_redeliveries) {
            st.acks.unassign_ref(p.ticket);
            dispatch(self, std::move(p));
            return;
          }
        } else if (err == make_error(transport_errc::unknown_socket)) {
          st.acks.unassign_ref(p.ticket);
          st.outbox.push_back(std::move(p)); // the socket went: next join
          return;
        }
        // Refused before it left (outbound queue full, encoding): never sent.
        if (auto r = st.acks.fail(p.ticket, protocol::push_outcome::never_sent))
          resolve(st, *r);
      });
}

/// Binds a fresh ref to the push (before anything can answer it), then
/// hands it to its topic's sender.
void deliver(self_ptr self, queued_push p) {
  auto& st = self->state;
  if (!st.acks.contains(p.ticket))
    return; // resolved meanwhile (deadline)
  auto socket = st.current;
  self->request(st.links.refs, caf::infinite, next_ref_atom::value)
    .then([self, p = std::move(p), socket](std::string& ref) mutable {
      auto& st = self->state;
      if (!st.acks.contains(p.ticket))
        return;
      auto t = st.topics.find(p.topic);
      auto& slot = st.senders[p.topic];
      if (socket != st.current || !st.open || t == st.topics.end() || !t->second.joined
          || !slot.handle) {
        dispatch_later(self, std::move(p));
        return;
      }
      st.acks.assign_ref(p.ticket, ref);
      send_to_sender(self, std::move(p), slot.handle, socket, t->second.join_ref.value_or(""),
                     std::move(ref));
    });
}

void start_sender(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  auto& slot = st.senders[topic];
  if (slot.starting || !st.sender_sup)
    return; // started once the sender supervisor attaches
  slot.starting = true;
  sender_config cfg{st.links.transport, st.cfg.sender_idle, st.wire.version};
  self
    ->request(st.links.registry, caf::infinite, sup::find_or_start_atom::value, topic,
              st.sender_sup, sender_spec(topic, cfg))
    .then(
      [self, topic](caf::actor& sender) {
        auto& st = self->state;
        auto& slot = st.senders[topic];
        slot.starting = false;
        slot.handle = caf::actor_cast<sender_actor>(sender);
        if (st.sender_topics.emplace(sender.address(), topic).second)
          self->monitor(sender); // one monitor per sender, dropped at its end
        auto waiting = std::move(slot.waiting);
        for (auto& p : waiting)
          deliver(self, std::move(p));
      },
      [self, topic](caf::error&) {
        // No sender could start (supervisor refusing): nothing can leave.
        auto& st = self->state;
        auto& slot = st.senders[topic];
        slot.starting = false;
        auto waiting = std::move(slot.waiting);
        for (auto& p : waiting)
          if (auto r = st.acks.fail(p.ticket, protocol::push_outcome::never_sent))
            resolve(st, *r);
      });
}

void dispatch(self_ptr self, queued_push p) {
  auto& slot = self->state.senders[p.topic];
  if (slot.handle) {
    deliver(self, std::move(p));
    return;
  }
  auto topic = p.topic;
  slot.waiting.push_back(std::move(p));
  start_sender(self, topic);
}

/// Pushes accepted that wait to be sent: for a socket or a join (the
/// outbox), or for their topic's sender to start. Those in flight (handed to
/// a sender, or sent and awaiting their reply) do not count.
size_t waiting_pushes(const connection_state& st) {
  auto n = st.outbox.size();
  for (auto& [topic, slot] : st.senders)
    n += slot.waiting.size();
  return n;
}

caf::error push_error(const protocol::resolved_push& r) {
  switch (r.outcome) {
    case protocol::push_outcome::rejected:
      return make_error(push_errc::rejected, r.response);
    case protocol::push_outcome::ack_timeout:
      return make_error(push_errc::ack_timeout);
    case protocol::push_outcome::sender_crashed:
      return make_error(push_errc::sender_crashed);
    default:
      return make_error(push_errc::never_sent, r.response);
  }
}

} // namespace

/// Why a push never left, as its error's response: the caller (and
/// tetherd's answer) learns more than "never_sent".
std::string never_sent_reason(const connection_state& st, const std::string& topic) {
  auto reason = [](const char* why) { return std::string{R"({"reason":")"} + why + "\"}"; };
  auto t = st.topics.find(topic);
  if (st.stopping)
    return reason("stopped");
  if (t == st.topics.end())
    return reason("not_joined");
  if (!st.open)
    return reason("not_connected");
  if (t->second.refused)
    return reason("join_refused");
  if (!t->second.joined)
    return reason("joining");
  return reason("send_refused"); // the transport or the sender refused it
}

void resolve(connection_state& st, const protocol::resolved_push& given) {
  // Only a push that never left gets a copy, annotated with its reason: ok
  // responses pass by reference.
  std::optional<protocol::resolved_push> annotated;
  if (given.outcome == protocol::push_outcome::never_sent && given.response.empty()) {
    annotated = given;
    annotated->response = never_sent_reason(st, given.topic);
  }
  const auto& r = annotated ? *annotated : given;
  auto deliver = [&r](caf::typed_response_promise<std::string>& rp) {
    if (r.outcome == protocol::push_outcome::ok)
      rp.deliver(r.response);
    else
      rp.deliver(push_error(r));
  };
  if (auto k = st.key_of.find(r.ticket); k != st.key_of.end()) {
    st.keys.erase(k->second); // the key is free for a retry now
    st.key_of.erase(k);
  }
  auto [lo, hi] = st.also_waiting.equal_range(r.ticket);
  for (auto j = lo; j != hi; ++j)
    deliver(j->second);
  st.also_waiting.erase(lo, hi);
  auto i = st.waiting.find(r.ticket);
  if (i == st.waiting.end())
    return;
  auto rp = std::move(i->second);
  st.waiting.erase(i);
  deliver(rp);
}

caf::result<std::string> accept_push(self_ptr self, std::string& topic, std::string& event,
                                     std::string& payload, caf::timespan timeout,
                                     const std::string& key) {
  auto& st = self->state;
  if (protocol::check_json(payload, protocol::default_max_json_depth))
    return make_error(push_errc::invalid_payload);
  if (!key.empty()) {
    if (auto same = st.keys.find(key); same != st.keys.end()) {
      // A retry of a push still in flight: one frame, one outcome for both.
      auto rp = self->make_response_promise<std::string>();
      st.also_waiting.emplace(same->second, rp);
      return rp;
    }
    auto keyed = protocol::add_idempotency_key(payload, st.cfg.idempotency_field, key);
    if (!keyed)
      return make_error(push_errc::invalid_payload); // not an object: no place for it
    payload = std::move(*keyed);
  }
  if (st.cfg.offline) // sandbox: accepted as a confirmed push would be
    return "{\"id\":\"offline-" + std::to_string(++st.offline_ids) + "\"}";
  if (waiting_pushes(st) >= st.cfg.max_queued_pushes)
    return make_error(push_errc::outbox_full);
  if (timeout <= caf::timespan{0})
    timeout = st.cfg.ack_timeout;
  auto ticket = st.next_ticket++;
  auto rp = self->make_response_promise<std::string>();
  st.waiting.emplace(ticket, rp);
  if (!key.empty()) {
    st.keys.emplace(key, ticket);
    st.key_of.emplace(ticket, key);
  }
  st.acks.add(ticket, topic, self->clock().now() + timeout);
  arm_sweep(self);
  queued_push p{ticket, std::move(topic), std::move(event), std::move(payload)};
  auto i = st.topics.find(p.topic);
  if (st.open && i != st.topics.end() && i->second.joined)
    dispatch(self, std::move(p));
  else // waits, in order, for a socket and a join
    st.outbox.push_back(std::move(p));
  return rp;
}

void flush_outbox(self_ptr self, const std::string& topic) {
  auto& st = self->state;
  std::list<queued_push> keep;
  auto queued = std::move(st.outbox);
  for (auto& p : queued) {
    if (!st.acks.contains(p.ticket))
      continue; // resolved while waiting (deadline)
    if (p.topic == topic)
      dispatch(self, std::move(p));
    else
      keep.push_back(std::move(p));
  }
  // Anything queued by the dispatches above goes behind the kept ones.
  for (auto& p : st.outbox)
    keep.push_back(std::move(p));
  st.outbox = std::move(keep);
}

void on_sender_sup(self_ptr self) {
  for (auto& [topic, slot] : self->state.senders)
    if (!slot.handle && !slot.waiting.empty())
      start_sender(self, topic);
}

void on_sender_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto i = st.sender_topics.find(dm.source);
  if (i == st.sender_topics.end())
    return;
  auto topic = std::move(i->second);
  st.sender_topics.erase(i);
  auto& slot = st.senders[topic];
  if (slot.handle && slot.handle.address() == dm.source)
    slot.handle = nullptr;
  if (!slot.handle && !slot.starting && slot.waiting.empty())
    st.senders.erase(topic);
  if (!dm.reason)
    return; // an idle stop fails nothing
  // A crash: every push of this topic that has not left fails now, rather
  // than as a mislabelled ack_timeout later.
  for (auto& r : st.acks.fail_unsent(topic, protocol::push_outcome::sender_crashed))
    resolve(st, r);
}

void arm_sweep(self_ptr self) {
  auto& st = self->state;
  auto next = st.acks.next_deadline();
  if (!next || (st.sweep_at && *st.sweep_at <= *next))
    return; // nothing waits, or a sweep comes in time for it
  st.sweep_at = *next;
  auto delay = std::max(caf::timespan{0}, *next - self->clock().now());
  self->delayed_send(self, delay, sweep_atom::value);
}

void sweep_acks(self_ptr self) {
  auto& st = self->state;
  st.sweep_at.reset();
  for (auto& r : st.acks.expire(self->clock().now()))
    resolve(st, r);
  arm_sweep(self); // for the next deadline
}

} // namespace tether::detail
