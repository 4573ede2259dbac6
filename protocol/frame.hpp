#pragma once
// One Phoenix channel message, independent of its wire format.

#include <optional>
#include <string>

namespace tether::protocol {

enum class payload_format : uint8_t {
  json,   ///< `payload` holds JSON text, passed through without re-encoding
  binary, ///< `payload` holds raw bytes (Phoenix binary frames)
};

struct frame {
  std::optional<std::string> join_ref; ///< null for heartbeats, broadcasts
  std::optional<std::string> ref;      ///< null for server pushes
  std::string topic;
  std::string event;
  std::string payload = "{}";
  payload_format format = payload_format::json;
  /// Binary replies only: "ok" / "error" (JSON replies carry it in payload).
  std::string reply_status;

  friend bool operator==(const frame&, const frame&) = default;
};

} // namespace tether::protocol
