#pragma once
// Phoenix's binary frame layout, as the official JS client serializes it.
// All lengths are one byte, so each header field is at most 255 bytes.
//
//   client push: 0 | len(join_ref) len(ref) len(topic) len(event) | fields | payload
//   server push: 0 | len(join_ref) len(topic) len(event)          | fields | payload
//   reply:       1 | len(join_ref) len(ref) len(topic) len(status)| fields | payload
//   broadcast:   2 | len(topic) len(event)                        | fields | payload

#include <string>
#include <string_view>

#include "protocol/codec.hpp"

namespace tether::protocol {

enum class binary_kind : uint8_t { push = 0, reply = 1, broadcast = 2 };

/// Which side wrote the bytes: a push from a client carries a ref, a push
/// from a server does not.
enum class binary_origin { client, server };

decode_result decode_binary(std::string_view bytes, binary_origin from);

/// Encodes `f` as the frame kind its fields imply: a reply when event is
/// phx_reply (status in `reply_status`), a broadcast when it has no refs, a
/// push otherwise (with a ref when `from` is client).
encode_result encode_binary(const frame& f, binary_origin from);

} // namespace tether::protocol
