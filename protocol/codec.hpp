#pragma once
// The codec interface: turns frames into wire bytes and back. The encode_*
// helpers build the frames of the Phoenix channel protocol (seed 000's
// encode_heartbeat(ref), grown to the whole vocabulary) and share one
// virtual `encode`, so a new wire format implements two functions.

#include <string>
#include <string_view>

#include "protocol/codec_error.hpp"
#include "protocol/expected.hpp"
#include "protocol/frame.hpp"
#include "protocol/limits.hpp"

namespace tether::protocol {

using decode_result = expected<frame, codec_errc>;
using encode_result = expected<std::string, codec_errc>;

/// Whether the bytes travel as a WebSocket text or binary message.
enum class wire_kind { text, binary };

class codec {
public:
  virtual ~codec() = default;

  /// The `vsn` query parameter that selects this format on the server.
  virtual std::string_view vsn() const noexcept = 0;

  /// Decodes one WebSocket message.
  virtual decode_result decode(std::string_view bytes, wire_kind kind) = 0;

  /// Encodes one frame; JSON payloads go out as text, binary as binary.
  virtual encode_result encode(const frame& f) = 0;

  // -- the protocol's frames ------------------------------------------------

  /// A join uses its own ref as join_ref (Phoenix).
  encode_result encode_join(const std::string& ref, const std::string& topic,
                            std::string params_json = "{}");
  encode_result encode_push(const std::string& join_ref, const std::string& ref,
                            const std::string& topic, const std::string& event,
                            std::string payload_json);
  encode_result encode_leave(const std::string& join_ref, const std::string& ref,
                             const std::string& topic);
  /// `[null, ref, "phoenix", "heartbeat", {}]`
  encode_result encode_heartbeat(const std::string& ref);
  /// A server's reply: payload `{"status": status, "response": response}`.
  encode_result encode_reply(std::optional<std::string> join_ref,
                             const std::string& ref, const std::string& topic,
                             std::string_view status,
                             std::string_view response_json);
};

} // namespace tether::protocol
