#pragma once
// The status and response of a phx_reply, from either wire format.

#include <string>

#include "protocol/codec_error.hpp"
#include "protocol/expected.hpp"
#include "protocol/frame.hpp"

namespace tether::protocol {

struct reply {
  std::string status;   ///< "ok", "error", or whatever the server said
  std::string response; ///< raw JSON text (or bytes, for binary replies)

  bool ok() const noexcept {
    return status == "ok";
  }
};

/// Reads `{"status": …, "response": …}` in any key order; `bad_reply` when
/// either is missing or status is not a string.
expected<reply, codec_errc> parse_reply(const frame& f);

} // namespace tether::protocol
