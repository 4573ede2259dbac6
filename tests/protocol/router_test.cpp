// The routing tables, rule by rule.

#include <catch2/catch.hpp>

#include "protocol/reply.hpp"
#include "protocol/router.hpp"

using namespace tether::protocol;
using namespace std::string_literals;

namespace {

frame make(std::optional<std::string> join_ref, std::optional<std::string> ref,
           std::string topic, std::string event) {
  return frame{std::move(join_ref), std::move(ref), std::move(topic),
               std::move(event), "{}"};
}

} // namespace

TEST_CASE("frames from the server route by topic, event and refs",
          "[protocol]") {
  using r = server_route;
  CHECK(route_from_server(make({}, "6"s, "phoenix", "phx_reply"))
        == r::heartbeat_reply);
  CHECK(route_from_server(make({}, {}, "phoenix", "whatever")) == r::unhandled);
  // join or push: the connection tells them apart by ref
  CHECK(route_from_server(make("1"s, "1"s, "room:a", "phx_reply")) == r::reply);
  CHECK(route_from_server(make("1"s, "3"s, "room:a", "phx_reply")) == r::reply);
  // "unmatched topic" replies have no join_ref but still answer a push
  CHECK(route_from_server(make({}, "10"s, "room:a", "phx_reply")) == r::reply);
  CHECK(route_from_server(make("1"s, {}, "room:a", "phx_reply")) == r::unhandled);
  CHECK(route_from_server(make("1"s, "1"s, "room:a", "phx_error"))
        == r::channel_error);
  CHECK(route_from_server(make("1"s, "1"s, "room:a", "phx_close"))
        == r::channel_close);
  CHECK(route_from_server(make({}, {}, "room:a", "phx_join")) == r::unhandled);
  CHECK(route_from_server(make({}, {}, "", "bcast")) == r::unhandled);
  CHECK(route_from_server(make({}, {}, "room:a", "bcast")) == r::channel_message);
  CHECK(route_from_server(make("1"s, {}, "room:a", "presence_diff"))
        == r::channel_message);
}

TEST_CASE("frames from a client route to heartbeat, join, leave or push",
          "[protocol]") {
  using r = client_route;
  CHECK(route_from_client(make({}, "1"s, "phoenix", "heartbeat")) == r::heartbeat);
  CHECK(route_from_client(make({}, "1"s, "phoenix", "phx_join")) == r::unhandled);
  CHECK(route_from_client(make("1"s, "1"s, "room:a", "phx_join")) == r::join);
  CHECK(route_from_client(make("1"s, "2"s, "room:a", "phx_leave")) == r::leave);
  CHECK(route_from_client(make("1"s, "3"s, "room:a", "echo")) == r::push);
  CHECK(route_from_client(make("1"s, "3"s, "room:a", "phx_reply")) == r::unhandled);
}

TEST_CASE("a reply's status and response are read in any key order",
          "[protocol]") {
  auto f = make("1"s, "4"s, "room:a", "phx_reply");
  f.payload = R"({"response":{"reason":"nope"},"status":"error"})";
  auto r = parse_reply(f);
  REQUIRE(r.has_value());
  CHECK(r->status == "error");
  CHECK_FALSE(r->ok());
  CHECK(r->response == R"({"reason":"nope"})");
  f.payload = R"({"status":"ok","response":[1,2]})";
  CHECK(parse_reply(f)->response == "[1,2]");
  f.payload = R"({"status":"ok"})";
  CHECK(parse_reply(f).error() == codec_errc::bad_reply);
  f.payload = R"({"status":1,"response":{}})";
  CHECK(parse_reply(f).error() == codec_errc::bad_reply);
}
