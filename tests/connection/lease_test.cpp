// A leased profile (docs/architecture.md, "One connection per profile,
// cluster-wide") on virtual time: no socket without a lease; the socket
// closes at the lease's end unless a renewal moved it, and nothing opens
// again until a lease comes back; the transport is told each socket's end.

#include "tree_fixture.hpp"

#include "actors/tree_interfaces.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

namespace {

connection_config leased() {
  connection_config cfg;
  cfg.leased = true;
  return cfg;
}

void lease_until(tree& f, caf::actor_clock::time_point until) {
  caf::anon_send(caf::actor_cast<detail::endpoint_actor>(f.conn), lease_atom::value, until);
  f.t.run();
}

} // namespace

TEST_CASE("a leased profile opens no socket until it holds its lease", "[lease]") {
  tree f{leased()};
  f.join("room:a");
  f.t.advance(60s);
  CHECK(f.peer.state().opened.empty()); // no lease, no socket, no retries
  CHECK(f.log->lines.empty());
  lease_until(f, f.t.now() + 12s);
  REQUIRE(f.peer.state().opened.size() == 1);
  auto id = f.peer.latest();
  CHECK(f.peer.state().send_until.at(id) == f.t.now() + 12s); // told before any frame
  f.peer.open(id);
  CHECK(f.log->lines == lines{"connected"});
}

TEST_CASE("a lease nobody renews closes the socket at its end, and nothing opens until "
          "a lease comes back",
          "[lease]") {
  tree f{leased()};
  lease_until(f, f.t.now() + 12s);
  auto id = f.joined();
  f.t.advance(11s);
  CHECK(f.peer.live_sockets() == 1);
  f.t.advance(1s); // the lease's end
  CHECK(f.peer.live_sockets() == 0);
  CHECK(f.log->count("disconnected lease_expired") == 1);
  CHECK(f.peer.state().close_reasons.back() == "lease_expired");
  f.peer.close(id, 1000);
  f.t.advance(5min);
  CHECK(f.peer.state().opened.size() == 1); // no retry without a lease
  CHECK(f.log->count("reconnecting") == 0);
  lease_until(f, f.t.now() + 12s); // claimed again
  CHECK(f.peer.state().opened.size() == 2);
}

TEST_CASE("a renewal moves the lease's end, and the transport learns it for the socket "
          "in use",
          "[lease]") {
  tree f{leased()};
  auto t0 = f.t.now();
  lease_until(f, t0 + 12s);
  auto id = f.joined();
  f.t.advance(5s);
  lease_until(f, t0 + 17s); // renewed at t0 + 5 s
  CHECK(f.peer.state().send_until.at(id) == t0 + 17s);
  f.t.advance(10s); // past the first end (t0 + 12 s), before the second
  CHECK(f.peer.live_sockets() == 1);
  CHECK(f.log->count("disconnected") == 0);
  f.t.advance(2s); // t0 + 17 s
  CHECK(f.log->count("disconnected lease_expired") == 1);
}

TEST_CASE("a lease whose end has passed when it arrives closes at once", "[lease]") {
  tree f{leased()};
  lease_until(f, f.t.now() + 12s);
  f.joined();
  lease_until(f, f.t.now() - 1s); // e.g. the renewal was sent before a long pause
  CHECK(f.peer.live_sockets() == 0);
  CHECK(f.log->count("disconnected lease_expired") == 1);
}

TEST_CASE("the transport refuses a frame sent after the socket's lease ended, and closes "
          "the socket",
          "[lease]") {
  tree f{leased()};
  lease_until(f, f.t.now() + 12s);
  auto id = f.joined();
  // As after a pause of the process: the transport's deadline passed before
  // the connection's own timer could act.
  caf::anon_send(f.transport, lease_atom::value, id, f.t.now());
  f.t.run();
  auto pushed = f.push("room:a", "ev", "{}");
  CHECK(f.peer.state().refused_for_lease == std::vector<socket_id>{id});
  CHECK(f.peer.sent_on(id).empty());
  CHECK(f.log->count("disconnected lease_expired") == 1);
}

TEST_CASE("an unleased profile is not held by leases (the default)", "[lease]") {
  tree f;
  f.t.run();
  CHECK(f.peer.state().opened.size() == 1);
}
