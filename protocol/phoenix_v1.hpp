#pragma once
// Phoenix's V1 JSON serializer (vsn=1.0.0): each frame is an object
// {"topic", "event", "payload", "ref"} (a client may add "join_ref").
// tether's client speaks V2; tether-hub serves V1 too, because Phoenix does.
// Text frames only: V1 has no binary layout.

#include "protocol/codec.hpp"

namespace tether::protocol {

constexpr std::string_view v1_vsn = "1.0.0";

class phoenix_v1_codec final : public codec {
public:
  explicit phoenix_v1_codec(decode_limits limits = {});

  std::string_view vsn() const noexcept override {
    return v1_vsn;
  }

  decode_result decode(std::string_view bytes, wire_kind kind) override;

  /// A frame as Phoenix's V1 serializer writes it: its four keys, no
  /// join_ref (V1 frames never carried one to the client).
  encode_result encode(const frame& f) override;

private:
  decode_limits limits_;
};

} // namespace tether::protocol
