#include "protocol/reply.hpp"

#include <simdjson.h>

#include "protocol/json_walk.hpp"

namespace tether::protocol {

namespace od = simdjson::ondemand;

expected<reply, codec_errc> parse_reply(const frame& f) {
  if (f.format == payload_format::binary)
    return reply{f.reply_status, f.payload};
  thread_local od::parser parser;
  thread_local std::string scratch;
  od::document doc;
  od::object fields;
  if (parser.iterate(detail::pad(scratch, f.payload)).get(doc)
      || doc.get_object().get(fields))
    return unexpected{codec_errc::bad_reply};
  reply out;
  bool has_status = false;
  bool has_response = false;
  for (auto item : fields) {
    od::field field;
    std::string_view key;
    if (std::move(item).get(field) || field.unescaped_key().get(key))
      return unexpected{codec_errc::bad_reply};
    if (key == "status") {
      std::string_view status;
      if (field.value().get_string().get(status))
        return unexpected{codec_errc::bad_reply};
      out.status.assign(status);
      has_status = true;
    } else if (key == "response") {
      std::string_view raw;
      od::value v = field.value();
      if (simdjson::to_json_string(v).get(raw))
        return unexpected{codec_errc::bad_reply};
      out.response.assign(raw);
      has_response = true;
    }
  }
  if (!has_status || !has_response)
    return unexpected{codec_errc::bad_reply};
  return out;
}

} // namespace tether::protocol
