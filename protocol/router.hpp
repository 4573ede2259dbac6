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
  join_reply,      ///< reply whose ref is its join_ref: the answer to a join
  push_reply,      ///< reply to a push, matched by ref
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
