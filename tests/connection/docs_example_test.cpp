// The example of docs/testing.md, kept compiling and passing.

#include <catch2/catch.hpp>
#include "actors/runtime.hpp"
#include "testing/all.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

TEST_CASE("my bot reconnects and rejoins after the server drops it") {
  deterministic_system t;
  auto transport = t.own(spawn_scripted_transport(t.sys()));
  scripted_peer server{t, transport};
  auto log = std::make_shared<event_log>();

  runtime_config rc;
  rc.transport = transport;                 // the scripted one
  rc.watch_system = false;                  // no threads on virtual time
  auto runtime = t.own(spawn_runtime(t.sys(), rc));
  profile_config p;
  p.profile = "bot";
  p.connection.url = "ws://server.test/socket/websocket";
  p.consumer = t.own(spawn_recording_consumer(t.sys(), log));
  auto bot = **t.request<connection_actor>(runtime, start_atom::value, p);

  t.request<caf::ok_atom>(bot, join_atom::value, std::string{"room:a"}, std::string{"{}"});
  auto s1 = server.latest();
  server.open(s1);                          // the upgrade succeeded
  server.take_sent();                       // ["1","1","room:a","phx_join",{}]
  server.say(s1, R"(["1","1","room:a","phx_reply",{"status":"ok","response":{}}])");

  server.close(s1);                         // the server goes away
  t.advance(1s);                            // first retry after 1 s
  auto s2 = server.latest();
  REQUIRE(s2 != s1);
  server.open(s2);
  CHECK(server.take_sent() == std::vector<std::string>{
    R"(["2","2","room:a","phx_join",{}])"});  // rejoined with a new join_ref
  CHECK(log->count("reconnecting 1 1000ms") == 1);
}
