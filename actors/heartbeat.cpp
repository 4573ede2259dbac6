#include "actors/heartbeat.hpp"

#include <optional>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "protocol/phoenix_json.hpp"

namespace tether::detail {

namespace {

using tick_atom = caf::atom_constant<caf::atom("hb_tick")>;

using heartbeat_impl = heartbeat_actor::extend<caf::reacts_to<tick_atom, uint64_t>>;

struct heartbeat_state {
  protocol::heartbeat_config cfg;
  ref_counter_actor refs;
  transport_actor transport;
  liveness_actor liveness;
  std::unique_ptr<protocol::codec> codec;
  socket_id socket = 0; ///< 0 while stopped
  uint64_t run = 0;     ///< bumped on every start and stop: older ticks are void
  std::optional<protocol::time_point> last_activity;
  caf::actor_clock::time_point due{}; ///< of the tick scheduled last
  static inline const char* name = "tether.heartbeat";
};

using self_ptr = heartbeat_impl::stateful_pointer<heartbeat_state>;

/// The next tick: an interval after `base`, on the slack's grid.
void schedule_tick(self_ptr self, caf::actor_clock::time_point base) {
  auto& st = self->state;
  auto now = self->clock().now();
  auto interval = protocol::heartbeat_interval(st.cfg, st.last_activity, now);
  auto due = protocol::coalesce(base + interval, st.cfg.slack);
  if (due < now) // the process stood still past a whole interval: from now
    due = protocol::coalesce(now + interval, st.cfg.slack);
  st.due = due;
  self->delayed_send(self, due - now, tick_atom::value, st.run);
}

void stop(self_ptr self) {
  self->state.socket = 0;
  ++self->state.run;
}

void tick(self_ptr self, uint64_t run) {
  auto& st = self->state;
  if (run != st.run || st.socket == 0)
    return;
  auto socket = st.socket;
  // Steady cadence: counted from this emit's due time (on the grid, so a
  // slack adds nothing to the interval; without one, the same as now).
  schedule_tick(self, st.due);
  self->request(st.refs, caf::infinite, next_ref_atom::value)
    .then([self, socket, run](std::string& ref) {
      auto& st = self->state;
      if (run != st.run)
        return; // stopped meanwhile: this tick never goes out
      auto bytes = st.codec->encode_heartbeat(ref);
      if (!bytes)
        return;
      // Liveness hears of the ping first: the pong cannot arrive before it.
      self->send(st.liveness, ping_sent_atom::value, socket, ref, self->clock().now());
      self->request(st.transport, caf::infinite, send_atom::value, socket, false,
                    std::move(*bytes))
        .then([](caf::ok_atom) {},
              [self, socket, run, ref](caf::error& err) {
                // The ping never left: liveness does not judge it.
                self->send(self->state.liveness, ping_void_atom::value, socket, ref);
                // Only a socket that is gone ends the heartbeat (seed 000); a
                // full outbound queue is a passing backlog, and the next tick
                // tries again, so liveness is never blind for a socket's life.
                if (run == self->state.run && err != make_error(transport_errc::queue_full))
                  stop(self);
              });
    });
}

} // namespace

heartbeat_actor spawn_heartbeat(caf::actor_system& sys, protocol::heartbeat_config cfg,
                                ref_counter_actor refs, transport_actor transport,
                                liveness_actor liveness, protocol::wire_version version) {
  auto impl = sys.spawn([=](self_ptr self) -> heartbeat_impl::behavior_type {
    auto& st = self->state;
    st.cfg = cfg;
    st.codec = protocol::make_codec(version);
    st.refs = refs;
    st.transport = transport;
    st.liveness = liveness;
    return {
      [self](hb_start_atom, socket_id socket) {
        auto& st = self->state;
        if (st.socket == socket)
          return; // already ticking on it
        st.socket = socket;
        ++st.run;
        schedule_tick(self, self->clock().now());
      },
      [self](hb_stop_atom) { stop(self); },
      [self](activity_atom) {
        auto& st = self->state;
        auto now = self->clock().now();
        bool was_slow = protocol::heartbeat_interval(st.cfg, st.last_activity, now)
                        == st.cfg.slow;
        st.last_activity = now;
        // Switching to the fast interval should not wait out a slow tick.
        if (was_slow && st.cfg.fast && st.socket != 0) {
          ++st.run;
          schedule_tick(self, now);
        }
      },
      [self](tick_atom, uint64_t run) { tick(self, run); },
    };
  });
  return caf::actor_cast<heartbeat_actor>(impl);
}

} // namespace tether::detail
