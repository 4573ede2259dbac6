#include "protocol/phoenix_v1.hpp"

#include <simdjson.h>

#include "protocol/json_check.hpp"
#include "protocol/json_walk.hpp"
#include "protocol/json_writer.hpp"

namespace tether::protocol {

namespace od = simdjson::ondemand;

phoenix_v1_codec::phoenix_v1_codec(decode_limits limits) : limits_(limits) {
}

decode_result phoenix_v1_codec::decode(std::string_view bytes, wire_kind kind) {
  using errc = codec_errc;
  if (kind == wire_kind::binary)
    return unexpected{errc::malformed_json}; // V1 has no binary frames
  if (bytes.size() > limits_.max_frame_bytes)
    return unexpected{errc::frame_too_large};
  if (!simdjson::validate_utf8(bytes.data(), bytes.size()))
    return unexpected{errc::invalid_utf8};
  if (detail::has_raw_control(bytes))
    return unexpected{errc::malformed_json};
  thread_local od::parser parser;
  thread_local std::string padded;
  od::document doc;
  od::object members;
  if (parser.iterate(detail::pad(padded, bytes)).get(doc) || doc.get_object().get(members))
    return unexpected{check_json(bytes, limits_.max_json_depth).value_or(errc::malformed_json)};
  frame f;
  std::optional<std::string> topic, event;
  std::string_view payload;
  bool has_payload = false;
  for (auto member : members) {
    std::string_view key;
    od::value v;
    if (member.unescaped_key().get(key) || member.value().get(v))
      return unexpected{errc::malformed_json};
    std::optional<errc> err;
    if (key == "topic")
      err = detail::read_string_field(v, topic, errc::bad_topic, false);
    else if (key == "event")
      err = detail::read_string_field(v, event, errc::bad_event, false);
    else if (key == "ref")
      err = detail::read_string_field(v, f.ref, errc::bad_ref, true);
    else if (key == "join_ref")
      err = detail::read_string_field(v, f.join_ref, errc::bad_join_ref, true);
    else if (key == "payload") {
      has_payload = true;
      if (auto ec = simdjson::to_json_string(v).get(payload))
        err = ec == simdjson::DEPTH_ERROR ? errc::too_deep : errc::malformed_json;
    }
    if (err)
      return unexpected{*err};
  }
  if (!topic)
    return unexpected{errc::bad_topic};
  if (!event)
    return unexpected{errc::bad_event};
  if (!has_payload)
    return unexpected{errc::wrong_arity};
  if (!detail::at_document_end(doc))
    return unexpected{errc::malformed_json};
  if (limits_.max_json_depth < 2)
    return unexpected{errc::too_deep};
  if (auto err = check_json(payload, limits_.max_json_depth - 1))
    return unexpected{*err};
  f.topic = std::move(*topic);
  f.event = std::move(*event);
  f.payload.assign(payload);
  return f;
}

encode_result phoenix_v1_codec::encode(const frame& f) {
  if (f.format == payload_format::binary)
    return unexpected{codec_errc::invalid_field}; // V1 has no binary frames
  std::string out;
  out.reserve(48 + f.topic.size() + f.event.size() + f.payload.size());
  detail::string_sink sink{&out};
  detail::json_writer w{sink};
  auto string = [&w](const std::string& s) {
    return w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("event");
  if (!string(f.event))
    return unexpected{codec_errc::invalid_field};
  w.Key("payload");
  w.RawValue(f.payload.data(), f.payload.size(), rapidjson::kObjectType);
  w.Key("ref");
  if (!(f.ref ? string(*f.ref) : w.Null()))
    return unexpected{codec_errc::invalid_field};
  w.Key("topic");
  if (!string(f.topic))
    return unexpected{codec_errc::invalid_field};
  w.EndObject();
  return out;
}

} // namespace tether::protocol
