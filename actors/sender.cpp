#include "actors/sender.hpp"

#include <list>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/phoenix_json.hpp"

namespace tether::detail {

namespace {

using idle_atom = caf::atom_constant<caf::atom("idle")>;

using sender_impl = sender_actor::extend<caf::reacts_to<idle_atom>>;

struct pending_push {
  socket_id socket;
  protocol::frame frame;
  caf::typed_response_promise<caf::ok_atom> rp;
};

struct sender_state {
  sender_config cfg;
  std::unique_ptr<protocol::codec> codec;
  /// Pushes in arrival order; the head is the one being sent.
  std::list<pending_push> queue;
  /// The last push's arrival. The idle timer is not re-armed per push (each
  /// re-arm woke the clock thread); when it fires it looks at this instead.
  caf::actor_clock::time_point last_work;
  bool idle_timer_armed = false;
  static inline const char* name = "tether.sender";
};

using self_ptr = sender_impl::stateful_pointer<sender_state>;

void arm_idle_timer(self_ptr self, caf::timespan after) {
  self->state.idle_timer_armed = true;
  self->delayed_send(self, after, idle_atom::value);
}

/// Work arrived: the idle period starts over.
void note_work(self_ptr self) {
  auto& st = self->state;
  st.last_work = self->clock().now();
  if (!st.idle_timer_armed)
    arm_idle_timer(self, st.cfg.idle_after);
}

void send_head(self_ptr self);

void finish_head(self_ptr self, caf::error outcome) {
  auto& st = self->state;
  auto rp = std::move(st.queue.front().rp);
  st.queue.pop_front();
  if (outcome)
    rp.deliver(std::move(outcome));
  else
    rp.deliver(caf::ok_atom::value);
  if (!st.queue.empty())
    send_head(self);
}

/// Sends the head of the queue. The next push starts only when this one
/// has left (or failed): that is the serialisation; other topics' senders
/// run freely meanwhile.
void send_head(self_ptr self) {
  auto& st = self->state;
  auto& head = st.queue.front();
  auto bytes = st.codec->encode(head.frame);
  if (!bytes) {
    finish_head(self, make_error(push_errc::invalid_payload));
    return;
  }
  self->request(st.cfg.transport, caf::infinite, send_atom::value, head.socket, false,
                std::move(*bytes))
    .then([self](caf::ok_atom) { finish_head(self, caf::error{}); },
          [self](caf::error& err) { finish_head(self, std::move(err)); });
}

sender_impl::behavior_type sender_behavior(self_ptr self, sender_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.codec = protocol::make_codec(self->state.cfg.version);
  note_work(self);
  return {
    [self](deliver_atom, socket_id socket, std::string& join_ref, std::string& ref,
           std::string& topic, std::string& event,
           std::string& payload) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      note_work(self);
      protocol::frame f{std::nullopt, std::move(ref), std::move(topic), std::move(event),
                        std::move(payload), protocol::payload_format::json, {}};
      if (!join_ref.empty())
        f.join_ref = std::move(join_ref);
      auto rp = self->make_response_promise<caf::ok_atom>();
      st.queue.push_back({socket, std::move(f), rp});
      if (st.queue.size() == 1)
        send_head(self);
      return rp;
    },
    [self](idle_atom) {
      auto& st = self->state;
      st.idle_timer_armed = false;
      auto quiet = self->clock().now() - st.last_work;
      if (!st.queue.empty())
        arm_idle_timer(self, st.cfg.idle_after); // still sending: not idle
      else if (quiet >= st.cfg.idle_after)
        self->quit(); // normal exit: fails nothing
      else
        arm_idle_timer(self, st.cfg.idle_after - quiet);
    },
  };
}

} // namespace

sup::child_spec sender_spec(const std::string& topic, sender_config cfg) {
  auto spec = sup::worker(
    "sender:" + topic,
    [cfg](caf::actor_system& sys) -> caf::expected<caf::actor> {
      return caf::actor_cast<caf::actor>(sys.spawn(sender_behavior, cfg));
    },
    sup::restart_type::temporary);
  spec.shutdown = sup::shutdown_policy::brutal_kill(); // holds nothing to flush
  return spec;
}

} // namespace tether::detail
