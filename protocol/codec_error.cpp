#include "protocol/codec_error.hpp"

namespace tether::protocol {

std::string_view to_string(codec_errc code) noexcept {
  switch (code) {
    case codec_errc::frame_too_large:
      return "frame_too_large";
    case codec_errc::invalid_utf8:
      return "invalid_utf8";
    case codec_errc::malformed_json:
      return "malformed_json";
    case codec_errc::too_deep:
      return "too_deep";
    case codec_errc::not_an_array:
      return "not_an_array";
    case codec_errc::wrong_arity:
      return "wrong_arity";
    case codec_errc::bad_join_ref:
      return "bad_join_ref";
    case codec_errc::bad_ref:
      return "bad_ref";
    case codec_errc::bad_topic:
      return "bad_topic";
    case codec_errc::bad_event:
      return "bad_event";
    case codec_errc::truncated_binary:
      return "truncated_binary";
    case codec_errc::unknown_binary_kind:
      return "unknown_binary_kind";
    case codec_errc::bad_reply:
      return "bad_reply";
    case codec_errc::field_too_long:
      return "field_too_long";
    case codec_errc::invalid_field:
      return "invalid_field";
    case codec_errc::missing_ref:
      return "missing_ref";
  }
  return "unknown_codec_error";
}

} // namespace tether::protocol
