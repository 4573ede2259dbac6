#include "protocol/json_check.hpp"

#include <string>

#include <simdjson.h>

#include "protocol/json_walk.hpp"

namespace tether::protocol {

std::optional<codec_errc> check_json(std::string_view text, size_t max_depth) {
  if (!simdjson::validate_utf8(text.data(), text.size()))
    return codec_errc::invalid_utf8;
  if (detail::has_raw_control(text))
    return codec_errc::malformed_json;
  // One parser and padded buffer per thread: validation runs on the hot path.
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string scratch;
  return detail::check_document(parser, scratch, text, max_depth);
}

} // namespace tether::protocol
