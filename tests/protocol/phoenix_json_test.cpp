// The V2 JSON codec against the frames of a real Phoenix 1.7 server
// (../shared/fixtures/phoenix-wire.md).

#include <catch2/catch.hpp>

#include "protocol/phoenix_json.hpp"

using namespace tether::protocol;

namespace {

frame decode_ok(phoenix_json_codec& c, std::string_view text) {
  auto r = c.decode_text(text);
  INFO(text);
  REQUIRE(r.has_value());
  return *r;
}

} // namespace

TEST_CASE("decodes every frame kind of the Phoenix transcript", "[protocol]") {
  phoenix_json_codec c;
  SECTION("join reply") {
    auto f = decode_ok(
      c, R"(["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}])");
    CHECK(f.join_ref == "1");
    CHECK(f.ref == "1");
    CHECK(f.topic == "room:lobby");
    CHECK(f.event == "phx_reply");
    CHECK(f.payload == R"({"response":{},"status":"ok"})");
  }
  SECTION("heartbeat reply with a null join_ref") {
    auto f = decode_ok(
      c, R"([null,"6","phoenix","phx_reply",{"response":{},"status":"ok"}])");
    CHECK_FALSE(f.join_ref.has_value());
    CHECK(f.ref == "6");
    CHECK(f.topic == "phoenix");
  }
  SECTION("broadcast with both refs null") {
    auto f = decode_ok(c, R"([null,null,"room:lobby","bcast",{"msg":"hi"}])");
    CHECK_FALSE(f.join_ref.has_value());
    CHECK_FALSE(f.ref.has_value());
    CHECK(f.event == "bcast");
    CHECK(f.payload == R"({"msg":"hi"})");
  }
  SECTION("channel error and close carry the join_ref as ref") {
    auto err = decode_ok(c, R"(["1","1","room:lobby","phx_error",{}])");
    CHECK(err.event == "phx_error");
    auto close = decode_ok(c, R"(["11","11","room:lobby","phx_close",{}])");
    CHECK(close.ref == close.join_ref);
  }
  SECTION("payload text passes through untouched") {
    auto text = R"(["1","3","room:lobby","phx_reply",{"response":{"hello":"world","n":1.50,"u":"\u00e9"} , "status":"ok"}])";
    auto f = decode_ok(c, text);
    CHECK(f.payload
          == R"({"response":{"hello":"world","n":1.50,"u":"\u00e9"} , "status":"ok"})");
  }
  SECTION("whitespace around the frame is fine") {
    decode_ok(c, " \n[null, \"1\" , \"phoenix\", \"heartbeat\", {}]\n ");
  }
  SECTION("escaped strings are unescaped in header fields") {
    auto f = decode_ok(c, R"([null,"1","room:\"q\"","ev\u00e9",{}])");
    CHECK(f.topic == "room:\"q\"");
    CHECK(f.event == "ev\xc3\xa9");
  }
  SECTION("non-object payloads are JSON too") {
    CHECK(decode_ok(c, R"([null,null,"t","e",[1,2]])").payload == "[1,2]");
    CHECK(decode_ok(c, R"([null,null,"t","e","s"])").payload == "\"s\"");
    CHECK(decode_ok(c, R"([null,null,"t","e",12345678901234567890123])").payload
          == "12345678901234567890123");
  }
}

TEST_CASE("encodes the client's frames as Phoenix does", "[protocol]") {
  phoenix_json_codec c;
  CHECK(*c.encode_join("1", "room:lobby")
        == R"(["1","1","room:lobby","phx_join",{}])");
  CHECK(*c.encode_join("15", "room:dup", R"({"token":"abc"})")
        == R"(["15","15","room:dup","phx_join",{"token":"abc"}])");
  CHECK(*c.encode_push("1", "3", "room:lobby", "echo", R"({"hello":"world","n":1})")
        == R"(["1","3","room:lobby","echo",{"hello":"world","n":1}])");
  CHECK(*c.encode_leave("11", "12", "room:lobby")
        == R"(["11","12","room:lobby","phx_leave",{}])");
  CHECK(*c.encode_heartbeat("6") == R"([null,"6","phoenix","heartbeat",{}])");
  CHECK(*c.encode_reply(std::string{"1"}, "4", "room:lobby", "error",
                        R"({"reason":"nope"})")
        == R"(["1","4","room:lobby","phx_reply",{"status":"error","response":{"reason":"nope"}}])");
  CHECK(*c.encode(frame{std::nullopt, std::nullopt, "room:lobby", "bcast",
                        R"({"msg":"hi"})"})
        == R"([null,null,"room:lobby","bcast",{"msg":"hi"}])");
}

TEST_CASE("encoding escapes strings and refuses invalid UTF-8", "[protocol]") {
  phoenix_json_codec c;
  CHECK(*c.encode_push("1", "2", "room:\"x\"\n", "e\\v", "{}")
        == R"(["1","2","room:\"x\"\n","e\\v",{}])");
  auto bad = c.encode_push("1", "2", std::string{"room:\xff"}, "e", "{}");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error() == codec_errc::invalid_field);
}

TEST_CASE("encode then decode gives the same frame", "[protocol]") {
  phoenix_json_codec c;
  frame f{std::string{"7"}, std::string{"8"}, "room:é", "msg",
          R"({"a":[1,{"b":null}],"c":"\u0000"})"};
  auto text = c.encode(f);
  REQUIRE(text.has_value());
  auto back = c.decode_text(*text);
  REQUIRE(back.has_value());
  CHECK(*back == f);
}
