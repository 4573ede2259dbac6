#include "actors/liveness.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace tether::detail {

namespace {

using check_atom = caf::atom_constant<caf::atom("lv_check")>;

using liveness_impl
  = liveness_actor::extend<caf::reacts_to<check_atom, socket_id, std::string>>;

struct liveness_state {
  protocol::liveness_judge judge;
  peer_dead_sink connection;
  socket_id socket = 0;
  static inline const char* name = "tether.liveness";
};

using self_ptr = liveness_impl::stateful_pointer<liveness_state>;

} // namespace

liveness_actor spawn_liveness(caf::actor_system& sys, protocol::liveness_config cfg,
                              peer_dead_sink connection) {
  auto impl = sys.spawn([=](self_ptr self) -> liveness_impl::behavior_type {
    self->state.judge = protocol::liveness_judge{cfg};
    self->state.connection = connection;
    return {
      [self](watch_atom, socket_id socket) {
        auto& st = self->state;
        st.socket = socket;
        // A clean slate for the socket's pings; whether the server has ever
        // answered stays, since that is the peer's, not the socket's.
        st.judge.on_new_socket();
      },
      [self](ping_sent_atom, socket_id socket, std::string& nonce,
             caf::actor_clock::time_point sent_at) {
        auto& st = self->state;
        // Pings overlap when the timeout exceeds the interval: each one is
        // judged on its own timeout.
        if (socket != st.socket)
          return;
        auto now = self->clock().now();
        // round trips run from the hand-off, not from here
        auto check_at = st.judge.on_ping(nonce, now, sent_at);
        self->delayed_send(self, check_at - now, check_atom::value, socket, nonce);
      },
      [self](ping_void_atom, socket_id socket, std::string& nonce) {
        if (socket == self->state.socket)
          self->state.judge.on_void(nonce);
      },
      [self](pong_atom, socket_id socket, std::string& nonce,
             caf::actor_clock::time_point arrived) {
        // A mismatched or late pong proves nothing about the ping out.
        auto& st = self->state;
        if (socket != st.socket)
          return;
        if (auto sent = st.judge.on_pong(nonce))
          self->send(st.connection, rtt_atom::value, socket,
                     std::max(caf::timespan{arrived - *sent}, caf::timespan{0}));
      },
      [self](activity_atom, socket_id socket) {
        if (socket == self->state.socket)
          self->state.judge.on_activity();
      },
      [self](check_atom, socket_id socket, std::string& nonce) {
        auto& st = self->state;
        // A check of a socket we no longer watch, or of a voided ping
        // whose successor is already out (that one has its own check).
        if (socket != st.socket || !st.judge.awaiting(nonce))
          return;
        if (st.judge.on_check(nonce) == protocol::verdict::dead) {
          st.socket = 0;
          self->send(st.connection, peer_dead_atom::value, socket);
        }
      },
    };
  });
  return caf::actor_cast<liveness_actor>(impl);
}

} // namespace tether::detail
