// A test on virtual time with the installed testing kit (tether::testing):
// a scripted server drops the bot, and one virtual second later it is back.
// No sleeping: the deterministic scheduler fires each timer when the clock
// is moved past it (docs/testing.md).

#include <iostream>

#include <tether/actors/runtime.hpp>
#include <tether/protocol/url.hpp>
#include <tether/testing.hpp>

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

int main() {
  const std::string url = "ws://server.test/socket/websocket";
  if (!protocol::parse_ws_url(url)) { // tether::protocol, the pure layer
    std::cout << "the URL does not parse\n";
    return 1;
  }
  deterministic_system t;
  auto transport = t.own(spawn_scripted_transport(t.sys()));
  scripted_peer server{t, transport};
  auto log = std::make_shared<event_log>();
  runtime_config rc;
  rc.transport = transport;
  rc.watch_system = false;
  auto runtime = t.own(spawn_runtime(t.sys(), rc));
  profile_config p;
  p.profile = "bot";
  p.connection.url = url;
  p.consumer = t.own(spawn_recording_consumer(t.sys(), log));
  auto bot = **t.request<connection_actor>(runtime, start_atom::value, p);
  (void) bot;
  auto first = server.latest();
  server.open(first);
  server.close(first); // the server goes away
  t.advance(1s);       // the first retry is due after one virtual second
  bool reconnected = server.latest() != first && log->count("reconnecting 1 1000ms") == 1;
  for (auto& line : log->lines)
    std::cout << line << "\n";
  return reconnected ? 0 : 1;
}
