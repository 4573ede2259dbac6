#pragma once
// A stand-in for the transport on the deterministic scheduler (the real one
// has a libwebsockets thread, which the test scheduler cannot host). It
// records what the connection asks for; the test plays the server by sending
// socket events back. Slipstream's SocketTest, with virtual time.

#include <map>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/transport.hpp"
#include "testing/deterministic_system.hpp"

namespace tether::testing {

struct scripted_transport_state {
  struct opened_socket {
    socket_id id;
    socket_options options;
    socket_owner_actor owner;
  };
  socket_id last_id = 0;
  std::vector<opened_socket> opened;
  std::vector<std::pair<socket_id, std::string>> sent;
  std::vector<std::pair<socket_id, uint16_t>> closed;
  std::vector<std::string> close_reasons; ///< the reason of each close, in order
  bool refuse_sends = false; ///< answer every send with queue_full
  /// Hold every send unanswered (a sender stays mid-send) until released.
  bool hold_sends = false;
  struct held_send {
    socket_id id;
    std::string bytes;
    caf::typed_response_promise<caf::ok_atom> promise;
    caf::actor from; ///< the actor that asked (a topic's sender)
  };
  std::vector<held_send> held;
  /// Each socket's send deadline (lease_atom), as the real transport keeps
  /// it: a send at or after it is refused with lease_expired and the socket
  /// is closed by the transport (1008, lease_expired_reason).
  std::map<socket_id, caf::actor_clock::time_point> send_until;
  std::vector<socket_id> refused_for_lease; ///< sends refused so, in order

  static inline const char* name = "tether.scripted_transport";
};

transport_actor spawn_scripted_transport(caf::actor_system& sys);

/// The test's view of one scripted transport.
class scripted_peer {
public:
  scripted_peer(deterministic_system& t, transport_actor transport)
    : t_(t), transport_(std::move(transport)) {
  }

  scripted_transport_state& state();

  /// The newest socket the connection opened.
  socket_id latest() {
    return state().opened.empty() ? 0 : state().opened.back().id;
  }

  /// Sockets opened and not closed by the client.
  size_t live_sockets();

  /// Answers every held send (they count as sent).
  void release_held();

  /// Frames sent on `id`, oldest first.
  std::vector<std::string> sent_on(socket_id id);

  /// Takes (and forgets) everything sent so far.
  std::vector<std::string> take_sent();

  void open(socket_id id);
  void say(socket_id id, const std::string& text);
  /// The same, for a frame that came off the wire at `arrived` (earlier
  /// than now: the connection was busy when it came).
  void say_arrived(socket_id id, const std::string& text, caf::actor_clock::time_point arrived);
  void close(socket_id id, uint16_t code = 1000);
  /// The transport itself closed it for what came in (1009: a frame over the
  /// limit, 1008: a frame that stalled).
  void refuse_inbound(socket_id id, uint16_t code);
  void fail(socket_id id, transport_errc why, int http_status = 0,
            int retry_after_s = -1);

private:
  socket_owner_actor owner_of(socket_id id);
  deterministic_system& t_;
  transport_actor transport_;
};

} // namespace tether::testing
