// Leased profiles through the runtime's registry seam, on virtual time: two
// runtimes ("nodes") share one lease store. A profile runs on one node;
// renewals keep it; a store that cannot be reached closes the socket before
// the lease could pass to another node, and a store back in time gives it
// back; a lease another node took stops the profile; stop releases it.

#include "tree_fixture.hpp"

#include "actors/lease_registry.hpp"
#include "testing/memory_lease_store.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

namespace {

struct node {
  std::shared_ptr<event_log> log = std::make_shared<event_log>();
  transport_actor transport;
  std::unique_ptr<scripted_peer> peer;
  profile_registry_actor registry;
  runtime_actor runtime;

  node(deterministic_system& t, std::shared_ptr<lease_store> store, const std::string& name) {
    transport = t.own(spawn_scripted_transport(t.sys()));
    peer = std::make_unique<scripted_peer>(t, transport);
    lease_registry_config lc;
    lc.store = std::move(store);
    lc.node = name;
    lc.detached = false; // the deterministic scheduler runs it
    auto reg = spawn_lease_registry(t.sys(), lc);
    REQUIRE(reg);
    registry = t.own(*reg);
    runtime_config rc;
    rc.transport = transport;
    rc.watch_system = false;
    rc.registry = registry;
    runtime = t.own(spawn_runtime(t.sys(), rc));
  }

  caf::expected<connection_actor> start(deterministic_system& t, const std::string& profile) {
    profile_config pc;
    pc.profile = profile;
    pc.connection.url = "ws://hub.test/socket/websocket";
    pc.consumer = t.own(spawn_recording_consumer(t.sys(), log));
    auto r = t.request<connection_actor>(runtime, start_atom::value, pc);
    REQUIRE(r);
    t.run();
    return *r;
  }
};

struct cluster {
  deterministic_system t;
  std::shared_ptr<memory_lease_store> store
    = std::make_shared<memory_lease_store>([this] { return t.now(); });
  node a{t, store, "node-a"};
  node b{t, store, "node-b"};
};

} // namespace

TEST_CASE("a profile runs on the node that claimed it; another node is told who holds it",
          "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  CHECK(c.a.peer->state().opened.size() == 1);
  auto second = c.b.start(c.t, "alice");
  REQUIRE(!second);
  CHECK(second.error() == make_error(runtime_errc::already_running));
  CHECK(c.t.sys().render(second.error()).find("node-b") == std::string::npos);
  CHECK(c.t.sys().render(second.error()).find("node-a") != std::string::npos);
  CHECK(c.b.peer->state().opened.empty()); // nothing opened on the losing node
}

TEST_CASE("renewals keep a leased socket open for as long as the store answers", "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  auto id = c.a.peer->latest();
  c.a.peer->open(id);
  auto calls = c.store->calls();
  c.t.advance(10min);
  CHECK(c.a.log->count("disconnected") == 0);
  CHECK(c.a.peer->live_sockets() == 1);
  CHECK(c.store->calls() - calls == 120); // one renewal per 5 s (ttl / 3)
}

TEST_CASE("a store out of reach closes the socket at the lease's end, before the store "
          "could free it; a store back in time gives the socket back",
          "[lease]") {
  cluster c;
  auto t0 = c.t.now();
  REQUIRE(c.a.start(c.t, "alice")); // claimed at t0: usable until t0 + 12 s
  c.a.peer->open(c.a.peer->latest());
  c.t.advance(1s);
  c.store->set_reachable(false);
  c.t.advance(10s); // t0 + 11 s: renewals failed, the socket still within its lease
  CHECK(c.a.peer->live_sockets() == 1);
  c.t.advance(1s); // t0 + 12 s
  CHECK(c.a.log->count("disconnected lease_expired") == 1);
  c.store->set_reachable(true); // just long enough to be asked how renewals went
  auto survey = c.t.request<cluster_survey>(c.a.registry, survey_atom::value,
                                            std::vector<std::string>{"alice"}, std::string{});
  c.store->set_reachable(false);
  REQUIRE(survey);
  REQUIRE(*survey);
  CHECK((*survey)->renew_failures >= 7); // at t0+5 s, then every second to t0+12 s
  CHECK((*survey)->holders == std::vector<std::string>{"node-a"});
  CHECK(c.a.peer->live_sockets() == 0);
  // The store would free it at t0 + 15 s; back at t0 + 13 s, the next retry
  // (one a second) renews it and a socket opens again.
  c.t.advance(1s);
  c.store->set_reachable(true);
  c.t.advance(1s);
  CHECK(c.a.peer->state().opened.size() == 2);
  CHECK(c.a.log->count("stopped") == 0);
  CHECK(c.t.now() - t0 < 15s);
}

TEST_CASE("a store out of reach past the lease's time to live: the profile stops, and "
          "may be claimed anew",
          "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  c.a.peer->open(c.a.peer->latest());
  c.store->set_reachable(false);
  c.t.advance(20s);
  c.store->set_reachable(true);
  c.t.advance(2s);
  CHECK(c.a.log->count("stopped lease_lost: held by nobody") == 1);
  REQUIRE(c.b.start(c.t, "alice")); // free for any node now
  CHECK(c.b.peer->state().opened.size() == 1);
}

TEST_CASE("a lease another node took stops the profile at the next renewal", "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  c.a.peer->open(c.a.peer->latest());
  c.store->give_to("alice", "node-b");
  c.t.advance(5s);
  CHECK(c.a.log->count("stopped lease_lost: held by node-b") == 1);
  CHECK(c.a.peer->live_sockets() == 0);
}

TEST_CASE("stop answers only once the lease is back in the store, though the registry "
          "is slow", "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  // What the store says at the moment the answer to stop comes (a daemon
  // that stops an account to hand it over tells the other node then).
  auto at_answer = std::make_shared<std::optional<std::optional<std::string>>>();
  c.t.sys().spawn([&c, at_answer](caf::event_based_actor* self) {
    self->request(c.a.runtime, caf::infinite, stop_atom::value, std::string{"alice"})
      .then([&c, at_answer](caf::ok_atom) {
        auto holder = c.store->holder("alice");
        REQUIRE(holder);
        *at_answer = holder->has_value() ? std::optional<std::string>{(*holder)->node}
                                         : std::nullopt;
      });
  });
  // The registry stands for one on its own thread, busy with the store:
  // the answer must wait for it.
  c.t.run_all_but(c.a.registry);
  CHECK(!at_answer->has_value());
  c.t.run();
  REQUIRE(at_answer->has_value());
  CHECK(**at_answer == std::nullopt);
}

TEST_CASE("a second process with the same node name does not take the first one's leases "
          "for its own", "[lease]") {
  // A node killed and restarted at once, or two nodes configured with one
  // name: the second must wait for the first's lease like any other node.
  cluster c;
  node twin{c.t, c.store, "node-a"};
  REQUIRE(c.a.start(c.t, "alice"));
  auto refused = twin.start(c.t, "alice");
  REQUIRE(!refused);
  // Shown whole: another instance of this node's own name holds it.
  CHECK_THAT(c.t.sys().render(refused.error()), Catch::Matches(".*node-a@[0-9a-f]{16}.*"));
  CHECK(twin.peer->live_sockets() == 0);
  // Any other node is shown the name alone.
  auto elsewhere = c.b.start(c.t, "alice");
  REQUIRE(!elsewhere);
  CHECK_THAT(c.t.sys().render(elsewhere.error()), Catch::EndsWith("(\"node-a\")"));
}

TEST_CASE("stop releases the lease at once: another node can start the profile", "[lease]") {
  cluster c;
  REQUIRE(c.a.start(c.t, "alice"));
  REQUIRE(c.t.request<caf::ok_atom>(c.a.runtime, stop_atom::value, std::string{"alice"}));
  c.t.run();
  CHECK(!c.store->holder("alice")->has_value());
  REQUIRE(c.b.start(c.t, "alice"));
}
