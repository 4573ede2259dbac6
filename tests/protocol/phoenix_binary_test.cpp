// Phoenix binary frames, byte for byte as the official JS client lays them out.

#include <catch2/catch.hpp>

#include "protocol/phoenix_binary.hpp"
#include "protocol/reply.hpp"

using namespace tether::protocol;
using namespace std::string_literals;

TEST_CASE("a client push is encoded with join_ref and ref", "[protocol]") {
  frame f{"1"s, "3"s, "room:x", "up", "\x01\x02"s, payload_format::binary};
  auto bytes = encode_binary(f, binary_origin::client);
  REQUIRE(bytes.has_value());
  CHECK(*bytes == "\x00\x01\x01\x06\x02" "13room:xup\x01\x02"s);
  auto back = decode_binary(*bytes, binary_origin::client);
  REQUIRE(back.has_value());
  CHECK(*back == f);
}

TEST_CASE("a server push carries no ref", "[protocol]") {
  auto bytes = "\x00\x01\x06\x04" "1room:xdown\xff\x00"s;
  auto f = decode_binary(bytes, binary_origin::server);
  REQUIRE(f.has_value());
  CHECK(f->join_ref == "1");
  CHECK_FALSE(f->ref.has_value());
  CHECK(f->topic == "room:x");
  CHECK(f->event == "down");
  CHECK(f->payload == "\xff\x00"s);
  frame push{"1"s, std::nullopt, "room:x", "down", "\xff\x00"s,
             payload_format::binary};
  CHECK(*encode_binary(push, binary_origin::server) == bytes);
}

TEST_CASE("a binary reply carries its status in the header", "[protocol]") {
  auto bytes = "\x01\x01\x01\x06\x02" "13room:xok\x07"s;
  auto f = decode_binary(bytes, binary_origin::server);
  REQUIRE(f.has_value());
  CHECK(f->event == "phx_reply");
  CHECK(f->reply_status == "ok");
  auto r = parse_reply(*f);
  REQUIRE(r.has_value());
  CHECK(r->ok());
  CHECK(r->response == "\x07");
  CHECK(*encode_binary(*f, binary_origin::server) == bytes);
}

TEST_CASE("a binary broadcast has only topic and event", "[protocol]") {
  auto bytes = "\x02\x06\x05" "room:xbcast" "data"s;
  auto f = decode_binary(bytes, binary_origin::server);
  REQUIRE(f.has_value());
  CHECK_FALSE(f->join_ref.has_value());
  CHECK_FALSE(f->ref.has_value());
  CHECK(f->payload == "data");
  CHECK(*encode_binary(*f, binary_origin::server) == bytes);
}

TEST_CASE("bad binary frames have typed errors", "[protocol]") {
  CHECK(decode_binary("", binary_origin::server).error()
        == codec_errc::truncated_binary);
  CHECK(decode_binary("\x07\x00"s, binary_origin::server).error()
        == codec_errc::unknown_binary_kind);
  CHECK(decode_binary("\x01\x05\x01\x01\x01" "12"s, binary_origin::server).error()
        == codec_errc::truncated_binary);
  CHECK(decode_binary("\x02\x09"s, binary_origin::server).error()
        == codec_errc::truncated_binary);
  frame long_topic{"1"s, "2"s, std::string(256, 't'), "e", "", payload_format::binary};
  CHECK(encode_binary(long_topic, binary_origin::client).error()
        == codec_errc::field_too_long);
  frame no_ref{"1"s, std::nullopt, "t", "e", "", payload_format::binary};
  CHECK(encode_binary(no_ref, binary_origin::client).error()
        == codec_errc::missing_ref);
}

TEST_CASE("a binary push or broadcast named phx_reply is a bad_event, not a reply",
          "[protocol]") {
  // found by the fuzzer: it decoded as a push and re-encoded as a reply
  CHECK(decode_binary("\x00\x00\x00\x09phx_reply"s, binary_origin::server).error()
        == codec_errc::bad_event);
  CHECK(decode_binary("\x02\x00\x09phx_reply"s, binary_origin::server).error()
        == codec_errc::bad_event);
}
