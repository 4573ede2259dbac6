// Fuzz entry for the decoders. Beyond "never crash", it checks the round
// trip: whatever decodes must encode again and decode to the same frame.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/phoenix_binary.hpp"
#include "protocol/phoenix_json.hpp"
#include "protocol/reply.hpp"

using namespace tether::protocol;

namespace {

void require(bool condition) {
  if (!condition)
    std::abort(); // libFuzzer reports the input
}

void round_trip_text(phoenix_json_codec& codec, const frame& f) {
  auto bytes = codec.encode(f);
  require(bytes.has_value());
  auto again = codec.decode_text(*bytes);
  require(again.has_value() && *again == f);
}

void round_trip_binary(const frame& f, binary_origin from) {
  auto bytes = encode_binary(f, from);
  require(bytes.has_value());
  auto again = decode_binary(*bytes, from);
  require(again.has_value() && *again == f);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static phoenix_json_codec codec;
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  if (auto f = codec.decode(bytes, wire_kind::text)) {
    round_trip_text(codec, *f);
    (void) parse_reply(*f);
  }
  for (auto from : {binary_origin::client, binary_origin::server})
    if (auto f = decode_binary(bytes, from)) {
      round_trip_binary(*f, from);
      (void) parse_reply(*f);
    }
  return 0;
}
