#pragma once
// The server's side of RFC 6455, as much as a one-way event stream needs
// (pure): the handshake's accept key, the frames a server writes (never
// masked), and the frames a client sends (always masked), read with a bound.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tether::apps {

enum class ws_opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string websocket_accept_key(std::string_view client_key);

/// One final, unmasked frame as a server sends it.
std::string websocket_frame(ws_opcode op, std::string_view payload);

/// A close frame: the status code, then the reason (at most 123 bytes).
std::string websocket_close_frame(uint16_t code, std::string_view reason);

struct ws_client_frame {
  ws_opcode opcode = ws_opcode::text;
  bool fin = true;
  std::string payload; ///< unmasked
};

/// What the bytes at the start of a client's input hold.
struct ws_read {
  enum class outcome { need_more, frame, violation } result = outcome::need_more;
  size_t consumed = 0;     ///< bytes the frame took (frame only)
  ws_client_frame frame;   ///< (frame only)
  uint16_t close_code = 0; ///< how to close (violation only): 1002 or 1009
  std::string why;         ///< (violation only)
};

/// Reads one client frame from `bytes`. A frame that is not masked, has
/// reserved bits set, or is a control frame over 125 bytes or fragmented,
/// is a protocol violation (1002); a payload over `max_payload`, 1009.
ws_read read_client_frame(std::string_view bytes, size_t max_payload);

} // namespace tether::apps
