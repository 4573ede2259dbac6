#pragma once
// Protocol constants, named once with their unit (Phoenix's constants.js).

#include <cstddef>
#include <string_view>

namespace tether::protocol {

/// Frames longer than this are refused before parsing.
constexpr size_t default_max_frame_bytes = 1024 * 1024;
/// JSON nesting deeper than this (counting the frame's own array) is refused.
constexpr size_t default_max_json_depth = 64;

/// Phoenix's reserved topic and events.
constexpr std::string_view phoenix_topic = "phoenix";
constexpr std::string_view heartbeat_event = "heartbeat";
constexpr std::string_view join_event = "phx_join";
constexpr std::string_view leave_event = "phx_leave";
constexpr std::string_view reply_event = "phx_reply";
constexpr std::string_view error_event = "phx_error";
constexpr std::string_view close_event = "phx_close";

/// The serializer version query parameter for the V2 JSON format.
constexpr std::string_view v2_vsn = "2.0.0";

struct decode_limits {
  size_t max_frame_bytes = default_max_frame_bytes;
  size_t max_json_depth = default_max_json_depth;
};

} // namespace tether::protocol
