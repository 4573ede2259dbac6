#pragma once
// Idempotency keys ride inside the push's payload: Phoenix frames have no
// header for them, so the key becomes one more member of the payload
// object, where a server handler can find it and drop a repeated push.

#include <optional>
#include <string>
#include <string_view>

namespace tether::protocol {

/// `payload` (a valid JSON object) with `"field":"key"` appended as its last
/// member; nothing if the payload is not an object or the key is not UTF-8.
std::optional<std::string> add_idempotency_key(std::string_view payload,
                                               std::string_view field,
                                               std::string_view key);

} // namespace tether::protocol
