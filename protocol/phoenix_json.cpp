#include "protocol/phoenix_json.hpp"

#include <simdjson.h>

#include "protocol/json_check.hpp"
#include "protocol/json_walk.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/phoenix_binary.hpp"

namespace tether::protocol {

namespace od = simdjson::ondemand;

namespace {

/// Scratch for one decode call on this thread; nothing in it outlives the
/// call (the frame copies what it keeps). check_json has its own, because a
/// decode calls it while this parser's document is still open.
struct decode_scratch {
  od::parser parser;
  std::string padded;
};

decode_scratch& scratch_of_this_thread() {
  thread_local decode_scratch scratch;
  return scratch;
}

} // namespace

phoenix_json_codec::phoenix_json_codec(decode_limits limits) : limits_(limits) {
}

phoenix_json_codec::~phoenix_json_codec() = default;

decode_result phoenix_json_codec::decode(std::string_view bytes,
                                         wire_kind kind) {
  if (kind == wire_kind::binary) {
    if (bytes.size() > limits_.max_frame_bytes)
      return unexpected{codec_errc::frame_too_large};
    // We are the client: binary frames come from the server.
    return decode_binary(bytes, binary_origin::server);
  }
  return decode_text(bytes);
}

decode_result phoenix_json_codec::decode_text(std::string_view text) {
  using errc = codec_errc;
  if (text.size() > limits_.max_frame_bytes)
    return unexpected{errc::frame_too_large};
  if (!simdjson::validate_utf8(text.data(), text.size()))
    return unexpected{errc::invalid_utf8};
  if (detail::has_raw_control(text))
    return unexpected{errc::malformed_json};
  auto& scratch = scratch_of_this_thread();
  od::document doc;
  if (scratch.parser.iterate(detail::pad(scratch.padded, text)).get(doc))
    return unexpected{errc::malformed_json};
  od::json_type type;
  if (doc.type().get(type))
    return unexpected{errc::malformed_json};
  if (type != od::json_type::array) // a JSON value of another kind, or no JSON
    return unexpected{check_json(text, limits_.max_json_depth)
                        .value_or(errc::not_an_array)};
  od::array elements;
  if (doc.get_array().get(elements))
    return unexpected{errc::malformed_json};
  frame f;
  std::optional<std::string> topic, event;
  std::string_view payload;
  size_t index = 0;
  for (auto elem : elements) {
    od::value v;
    if (elem.get(v))
      return unexpected{errc::malformed_json};
    std::optional<errc> err;
    switch (index++) {
      case 0:
        err = detail::read_string_field(v, f.join_ref, errc::bad_join_ref, true);
        break;
      case 1:
        err = detail::read_string_field(v, f.ref, errc::bad_ref, true);
        break;
      case 2:
        err = detail::read_string_field(v, topic, errc::bad_topic, false);
        break;
      case 3:
        err = detail::read_string_field(v, event, errc::bad_event, false);
        break;
      case 4:
        // Skipping a deep payload can hit simdjson's own depth limit.
        if (auto ec = simdjson::to_json_string(v).get(payload))
          err = ec == simdjson::DEPTH_ERROR ? errc::too_deep
                                            : errc::malformed_json;
        break;
      default:
        return unexpected{errc::wrong_arity};
    }
    if (err)
      return unexpected{*err};
  }
  if (index != 5)
    return unexpected{errc::wrong_arity};
  if (!detail::at_document_end(doc))
    return unexpected{errc::malformed_json};
  // The payload is passed on raw, so it is validated in full here; the
  // frame's own array is the first level of nesting.
  if (limits_.max_json_depth < 2)
    return unexpected{errc::too_deep};
  if (auto err = check_json(payload, limits_.max_json_depth - 1))
    return unexpected{*err};
  f.topic = std::move(*topic);
  f.event = std::move(*event);
  f.payload.assign(payload);
  return f;
}

encode_result phoenix_json_codec::encode(const frame& f) {
  if (f.format == payload_format::binary)
    return encode_binary(f, binary_origin::client);
  std::string out;
  out.reserve(32 + f.topic.size() + f.event.size() + f.payload.size());
  detail::string_sink sink{&out};
  detail::json_writer w{sink};
  auto optional_string = [&w](const std::optional<std::string>& x) {
    return x ? w.String(x->data(), static_cast<rapidjson::SizeType>(x->size()))
             : w.Null();
  };
  w.StartArray();
  if (!optional_string(f.join_ref) || !optional_string(f.ref)
      || !w.String(f.topic.data(), static_cast<rapidjson::SizeType>(f.topic.size()))
      || !w.String(f.event.data(), static_cast<rapidjson::SizeType>(f.event.size())))
    return unexpected{codec_errc::invalid_field};
  // Pre-serialised payload: copied verbatim, never re-encoded.
  w.RawValue(f.payload.data(), f.payload.size(), rapidjson::kObjectType);
  w.EndArray();
  return out;
}

} // namespace tether::protocol
