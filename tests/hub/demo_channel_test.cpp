// The demo channel's decisions, without sockets.

#include <catch2/catch.hpp>

#include "apps/hub/demo_channel.hpp"

using namespace tether::hub;
using act = push_decision::action;

TEST_CASE("the demo channel serves room:* and refuses room:reject", "[hub]") {
  CHECK(is_demo_topic("room:lobby"));
  CHECK_FALSE(is_demo_topic("rooms"));
  CHECK(decide_join("room:lobby").ok);
  auto refused = decide_join("room:reject");
  CHECK_FALSE(refused.ok);
  CHECK(refused.response == R"({"reason":"unauthorized"})");
}

TEST_CASE("each demo event has its decision", "[hub]") {
  auto echo = decide_push("echo", R"({"a":1})");
  CHECK(echo.what == act::reply);
  CHECK(echo.status == "ok");
  CHECK(echo.response == R"({"a":1})");
  auto err = decide_push("err", "{}");
  CHECK(err.status == "error");
  CHECK(err.response == R"({"reason":"nope"})");
  CHECK(decide_push("noreply", "{}").what == act::no_reply);
  CHECK(decide_push("broadcast", "{}").what == act::broadcast);
  CHECK(decide_push("crash", "{}").what == act::crash);
  CHECK(decide_push("stop", "{}").what == act::stop);
  auto slow = decide_push("slow", R"({"ms":250})");
  CHECK(slow.what == act::slow);
  CHECK(slow.delay_ms == 250);
  CHECK(decide_push("slow", R"({"ms":"x"})").delay_ms == 0);
  // an event without a clause crashes the channel, as in Phoenix
  CHECK(decide_push("unknown", "{}").what == act::crash);
}
