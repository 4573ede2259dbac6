#include "protocol/codec.hpp"

#include "protocol/json_writer.hpp"

namespace tether::protocol {

encode_result codec::encode_join(const std::string& ref, const std::string& topic,
                                 std::string params_json) {
  return encode(frame{ref, ref, topic, std::string{join_event},
                      std::move(params_json), payload_format::json, {}});
}

encode_result codec::encode_push(const std::string& join_ref,
                                 const std::string& ref, const std::string& topic,
                                 const std::string& event,
                                 std::string payload_json) {
  return encode(frame{join_ref, ref, topic, event, std::move(payload_json), payload_format::json, {}});
}

encode_result codec::encode_leave(const std::string& join_ref,
                                  const std::string& ref,
                                  const std::string& topic) {
  return encode(frame{join_ref, ref, topic, std::string{leave_event}, "{}", payload_format::json, {}});
}

encode_result codec::encode_heartbeat(const std::string& ref) {
  return encode(frame{std::nullopt, ref, std::string{phoenix_topic},
                      std::string{heartbeat_event}, "{}", payload_format::json, {}});
}

encode_result codec::encode_reply(std::optional<std::string> join_ref,
                                  const std::string& ref,
                                  const std::string& topic,
                                  std::string_view status,
                                  std::string_view response_json) {
  std::string payload;
  payload.reserve(32 + response_json.size());
  detail::string_sink sink{&payload};
  detail::json_writer w{sink};
  w.StartObject();
  w.Key("status");
  if (!w.String(status.data(), static_cast<rapidjson::SizeType>(status.size())))
    return unexpected{codec_errc::invalid_field};
  w.Key("response");
  w.RawValue(response_json.data(), response_json.size(), rapidjson::kObjectType);
  w.EndObject();
  return encode(frame{std::move(join_ref), ref, topic,
                      std::string{reply_event}, std::move(payload), payload_format::json, {}});
}

} // namespace tether::protocol
