// Whole profile trees against tether-hub on loopback: the server restarts,
// freezes, never answers heartbeats; many profiles share one runtime.

#include "integration/tree_client.hpp"

using namespace tether;
using namespace tether::testing;

TEST_CASE("after the hub restarts mid-session the client reconnects, rejoins and "
          "round-trips again",
          "[integration][tree]") {
  hub_process hub;
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto endpoint = c.start("p", tree_client::config_for(hub), q);
  c.join(endpoint, "room:a");
  REQUIRE(q->wait_for("joined room:a"));
  auto before = c.push(endpoint, "room:a", "echo", R"({"n":1})");
  REQUIRE(before);
  CHECK(*before == R"({"n":1})");
  hub.restart();
  REQUIRE(q->wait_for("disconnected"));
  REQUIRE(q->wait_for("joined room:a"));
  auto after = c.push(endpoint, "room:a", "echo", R"({"n":2})");
  REQUIRE(after);
  CHECK(*after == R"({"n":2})");
}

TEST_CASE("a frozen hub is found dead within interval plus timeout, and the client "
          "recovers after it thaws",
          "[integration][tree]") {
  // Relay mode: every heartbeat reply carries peer state, so the test sees
  // (as peer_status) that the hub has answered a heartbeat before it freezes.
  // The hub's own silence limit (1.5 x 5 s) stays far from the client's
  // 500 ms heartbeat, so the hub never closes the socket before the freeze.
  hub_process hub{{"--relay", "--heartbeat-interval-ms", "5000"}};
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto cfg = tree_client::config_for(hub);
  cfg.heartbeat.slow = 500ms;
  cfg.liveness.timeout = 500ms;
  cfg.liveness.max_missed = 0;
  auto endpoint = c.start("p", cfg, q);
  c.join(endpoint, "room:a");
  REQUIRE(q->wait_for("joined room:a"));
  REQUIRE(q->wait_for("peer_status"));
  hub.freeze();
  // at most one interval until the next ping, one timeout for its pong;
  // the rest of the bound is scheduling slack on a shared machine
  auto frozen_at = std::chrono::steady_clock::now();
  REQUIRE(q->wait_for("peer_dead", 4s));
  CHECK(std::chrono::steady_clock::now() - frozen_at < 4s);
  hub.thaw();
  REQUIRE(q->wait_for("joined room:a", 15s));
  auto after = c.push(endpoint, "room:a", "echo", "{}");
  CHECK(after);
}

TEST_CASE("a hub that never answers heartbeats is never torn down for silence",
          "[integration][tree]") {
  hub_process hub{{"--no-heartbeat-replies"}};
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto cfg = tree_client::config_for(hub);
  cfg.heartbeat.slow = 100ms;
  cfg.liveness.timeout = 100ms;
  cfg.liveness.max_missed = 0;
  auto endpoint = c.start("p", cfg, q);
  c.join(endpoint, "room:a");
  REQUIRE(q->wait_for("joined room:a"));
  // twenty heartbeat periods without a single reply
  CHECK_FALSE(q->wait_for("peer_dead", 2s));
  CHECK(q->count("disconnected") == 0);
  CHECK(c.push(endpoint, "room:a", "echo", "{}"));
}

TEST_CASE("200 profiles share a runtime: one crashing connection touches no other",
          "[integration][tree]") {
  hub_process hub;
  tree_client c;
  constexpr int profiles = 200;
  std::vector<std::shared_ptr<event_queue>> queues;
  std::vector<connection_actor> endpoints;
  for (int i = 0; i < profiles; ++i) {
    queues.push_back(std::make_shared<event_queue>());
    auto topic = "room:" + std::to_string(i);
    endpoints.push_back(
      c.start("p" + std::to_string(i), tree_client::config_for(hub), queues.back()));
    c.join(endpoints.back(), topic);
  }
  for (int i = 0; i < profiles; ++i)
    REQUIRE(queues[i]->wait_for("joined room:" + std::to_string(i)));
  // Crash profile 0's connection three times (its tree's intensity allows
  // three restarts), pushing through every other profile meanwhile.
  for (int round = 0; round < 3; ++round) {
    auto victim = c.connection_of("p0");
    caf::anon_send_exit(victim, caf::exit_reason::kill);
    std::vector<std::string> outcomes(profiles);
    size_t answered = 0;
    for (int i = 1; i < profiles; ++i) {
      auto topic = "room:" + std::to_string(i);
      auto payload = R"({"round":)" + std::to_string(round) + "}";
      (*c.self)
        ->request(endpoints[i], 40s, push_atom::value, topic, std::string{"echo"},
                  payload, caf::timespan{0})
        .receive([&](std::string& r) { outcomes[i] = r; ++answered; },
                 [&](caf::error& err) { outcomes[i] = c.sys->render(err); });
    }
    CHECK(answered == profiles - 1);
    for (int i = 1; i < profiles; ++i)
      CHECK(outcomes[i] == R"({"round":)" + std::to_string(round) + "}");
    REQUIRE(queues[0]->wait_for("joined room:0"));
  }
  for (int i = 1; i < profiles; ++i) {
    INFO("profile " << i);
    CHECK(queues[i]->count("disconnected") == 0);
    CHECK(queues[i]->count("reconnecting") == 0);
  }
  // and the crashed profile itself works again
  CHECK(c.push(endpoints[0], "room:0", "echo", "{}"));
}

TEST_CASE("1000 reconnect cycles leave no socket and no actor behind",
          "[integration][tree]") {
  hub_process hub;
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto endpoint = c.start("p", tree_client::config_for(hub), q);
  c.join(endpoint, "room:a");
  REQUIRE(q->wait_for("joined room:a"));
  REQUIRE(c.push(endpoint, "room:a", "echo", "{}"));
  auto actors = c.sys->registry().running();
  for (int i = 0; i < 1000; ++i) {
    (*c.self)->request(endpoint, 10s, disconnect_atom::value).receive([](caf::ok_atom) {},
                                                                     [](caf::error&) {});
    REQUIRE(q->wait_for("disconnected"));
    (*c.self)->request(endpoint, 10s, connect_atom::value).receive([](caf::ok_atom) {},
                                                                  [](caf::error&) {});
    REQUIRE(q->wait_for("joined room:a"));
  }
  REQUIRE(c.push(endpoint, "room:a", "echo", "{}"));
  CHECK(c.sockets() == 1);
  CHECK(c.sys->registry().running() == actors);
}
