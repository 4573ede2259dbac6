#pragma once
// Every way a frame can fail to decode or encode, one distinct code each.

#include <cstdint>
#include <string_view>

namespace tether::protocol {

enum class codec_errc : uint8_t {
  // decoding
  frame_too_large = 1, ///< longer than the configured maximum
  invalid_utf8,        ///< a text frame that is not UTF-8
  malformed_json,      ///< not JSON, or bytes after the JSON value
  too_deep,            ///< nesting beyond the configured maximum
  not_an_array,        ///< V2 frames are JSON arrays
  wrong_arity,         ///< V2 frames have exactly five elements
  bad_join_ref,        ///< join_ref is neither a string nor null
  bad_ref,             ///< ref is neither a string nor null
  bad_topic,           ///< topic is not a string
  bad_event,           ///< event is not a string
  truncated_binary,    ///< a binary frame shorter than its header says
  unknown_binary_kind, ///< binary kind byte is not push/reply/broadcast
  bad_reply,           ///< a phx_reply payload without status/response
  // encoding
  field_too_long, ///< a binary header field longer than 255 bytes
  invalid_field,  ///< a string field that is not valid UTF-8
  missing_ref,    ///< a frame kind that needs a ref was given none
};

std::string_view to_string(codec_errc code) noexcept;

} // namespace tether::protocol
