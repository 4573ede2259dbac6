#include <catch2/catch.hpp>

#include "protocol/phoenix_v1.hpp"
#include "protocol/reply.hpp"

using namespace tether::protocol;

TEST_CASE("V1 frames decode from objects in any key order, and encode as Phoenix's V1 "
          "serializer writes them",
          "[protocol]") {
  phoenix_v1_codec v1;
  // a reply as Phoenix 1.7 sent it (docs/protocol.md)
  auto r = v1.decode(
    R"({"event":"phx_reply","payload":{"response":{},"status":"ok"},"ref":"1","topic":"room:lobby"})",
    wire_kind::text);
  REQUIRE(r.has_value());
  CHECK(r->topic == "room:lobby");
  CHECK(r->event == "phx_reply");
  CHECK(r->ref == "1");
  CHECK_FALSE(r->join_ref.has_value());
  CHECK(parse_reply(*r)->status == "ok");
  auto push = v1.decode(R"({"ref":null,"join_ref":"3","payload":[1,{"a":2}],"topic":"t","event":"e"})",
                        wire_kind::text);
  REQUIRE(push.has_value());
  CHECK_FALSE(push->ref.has_value());
  CHECK(push->join_ref == "3");
  CHECK(push->payload == R"([1,{"a":2}])");
  auto out = v1.encode_reply(std::string{"1"}, "1", "room:lobby", "ok", "{}");
  REQUIRE(out.has_value());
  CHECK(*out
        == R"({"event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1","topic":"room:lobby"})");
}

TEST_CASE("V1 frames that are not objects, lack a member or carry a wrong type are "
          "refused",
          "[protocol]") {
  phoenix_v1_codec v1;
  CHECK_FALSE(v1.decode(R"(["1","1","t","e",{}])", wire_kind::text).has_value());
  CHECK(v1.decode(R"({"event":"e","payload":{},"ref":"1"})", wire_kind::text).error()
        == codec_errc::bad_topic);
  CHECK(v1.decode(R"({"topic":"t","payload":{},"ref":"1"})", wire_kind::text).error()
        == codec_errc::bad_event);
  CHECK(v1.decode(R"({"topic":"t","event":"e","ref":"1"})", wire_kind::text).error()
        == codec_errc::wrong_arity);
  CHECK(v1.decode(R"({"topic":"t","event":"e","payload":{},"ref":7})", wire_kind::text).error()
        == codec_errc::bad_ref);
  CHECK(v1.decode(R"({"topic":"t","event":"e","payload":{}} x)", wire_kind::text).error()
        == codec_errc::malformed_json);
  CHECK_FALSE(v1.decode("\x01\x02", wire_kind::binary).has_value());
}
