#pragma once
// Phoenix's V2 JSON serializer: `[join_ref, ref, topic, event, payload]`,
// selected with vsn=2.0.0. Text frames decode with simdjson's on-demand API;
// payloads stay raw JSON text, validated but never re-encoded. Binary frames
// use Phoenix's binary layout (phoenix_binary.hpp). Encoding uses rapidjson's
// Writer, which escapes strings and validates their UTF-8.
//
// An instance holds only its limits. The simdjson parser and the padded
// copy it needs are per thread and live only for one decode call: a parser
// per connection cost about 9 KiB of every idle tree and kept the capacity
// of the largest frame it had ever seen.

#include "protocol/codec.hpp"

namespace tether::protocol {

class phoenix_json_codec final : public codec {
public:
  explicit phoenix_json_codec(decode_limits limits = {});
  ~phoenix_json_codec() override;

  std::string_view vsn() const noexcept override {
    return v2_vsn;
  }

  decode_result decode(std::string_view bytes, wire_kind kind) override;
  encode_result encode(const frame& f) override;

  /// Decodes a text frame only.
  decode_result decode_text(std::string_view text);

  const decode_limits& limits() const noexcept {
    return limits_;
  }

private:
  decode_limits limits_;
};

} // namespace tether::protocol
