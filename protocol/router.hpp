#pragma once
// Pure routing: which handler a frame goes to, decided from the frame alone,
// never from connection state (seed 003's Router). Each direction is one
// table of rules in router.cpp, first match wins.

#include <string_view>

#include "protocol/frame.hpp"

namespace tether::protocol {

/// What a frame from the server is, for the client.
enum class server_route {
  heartbeat_reply, ///< reply on topic "phoenix": liveness only, never the consumer's
  /// A reply to a join or a push. Only the client knows which: Phoenix
  /// answers a join of a topic it has no route for with a null join_ref, so
  /// the frame alone cannot tell. The connection matches it by ref.
  reply,
  channel_error,   ///< phx_error: the channel crashed on the server
  channel_close,   ///< phx_close: the server closed the channel
  channel_message, ///< an application event (broadcast or server push)
  unhandled,       ///< anything else: logged and dropped
};

/// What a frame from a client is, for the server (tether-hub).
enum class client_route {
  heartbeat, ///< topic "phoenix", event "heartbeat"
  join,      ///< phx_join
  leave,     ///< phx_leave
  push,      ///< an application event on a topic
  unhandled,
};

server_route route_from_server(const frame& f) noexcept;
client_route route_from_client(const frame& f) noexcept;

std::string_view to_string(server_route r) noexcept;
std::string_view to_string(client_route r) noexcept;

} // namespace tether::protocol
