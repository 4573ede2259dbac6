#pragma once
// Strict validation of a JSON text: well-formed, UTF-8, nesting limited.
// Used for payloads the decoder passes through raw and for payloads an
// application hands us to send.

#include <cstddef>
#include <optional>
#include <string_view>

#include "protocol/codec_error.hpp"

namespace tether::protocol {

/// nullopt if `text` is one complete JSON value nested at most `max_depth`
/// deep; otherwise malformed_json, invalid_utf8 or too_deep.
std::optional<codec_errc> check_json(std::string_view text, size_t max_depth);

} // namespace tether::protocol
