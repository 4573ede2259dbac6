// The libwebsockets transport against a real tether-hub on loopback.

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/transport.hpp"
#include "protocol/phoenix_json.hpp"
#include "protocol/reply.hpp"
#include "integration/socket_fixture.hpp"
#include "support/hostile_ws_server.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;


TEST_CASE("a socket opens, carries frames both ways and closes",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  auto id = f.open({hub.url()});
  CHECK(f.next<socket_opened>().id == id);
  REQUIRE_FALSE(f.send(id, *f.codec.encode_join("1", "room:lobby")));
  auto joined = f.next_frame();
  CHECK(joined.ref == "1");
  CHECK(protocol::parse_reply(joined)->ok());
  REQUIRE_FALSE(f.send(id, *f.codec.encode_push("1", "2", "room:lobby", "echo",
                                                R"({"n":42})")));
  auto echoed = protocol::parse_reply(f.next_frame());
  REQUIRE(echoed.has_value());
  CHECK(echoed->response == R"({"n":42})");
  caf::anon_send(f.transport, close_atom::value, id, uint16_t{1000}, std::string{"bye"});
  auto closed = f.next<socket_closed>();
  CHECK(closed.id == id);
  CHECK(closed.code == 1000);
}

TEST_CASE("a frame sent after the socket's lease ended is refused, and the transport closes "
          "the socket with 1008",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  auto id = f.open({hub.url()});
  REQUIRE(f.next<socket_opened>().id == id);
  auto now = std::chrono::steady_clock::now();
  caf::anon_send(f.transport, lease_atom::value, id, now + 60s);
  REQUIRE_FALSE(f.send(id, *f.codec.encode_join("1", "room:lobby"))); // within the lease
  CHECK(protocol::parse_reply(f.next_frame())->ok());
  caf::anon_send(f.transport, lease_atom::value, id, now); // the lease's end is behind us
  auto refused = f.send(id, *f.codec.encode_push("1", "2", "room:lobby", "echo", "{}"));
  CHECK(refused == make_error(transport_errc::lease_expired));
  auto closed = f.next<socket_closed>();
  CHECK(closed.id == id);
  CHECK(closed.code == 1008);
  CHECK(closed.reason == lease_expired_reason);
  CHECK(closed.by_transport);
}

TEST_CASE("a refused upgrade is an auth failure with its HTTP status",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  auto id = f.open({hub.url("&token=bad")});
  auto failed = f.next<socket_failed>();
  CHECK(failed.id == id);
  CHECK(failed.why == transport_errc::auth_refused);
  CHECK(failed.http_status == 403);
}

TEST_CASE("connecting to nothing fails with connect_failed", "[integration]") {
  int port;
  {
    hub_process gone;
    port = gone.port();
  }
  socket_fixture f;
  f.open({"ws://127.0.0.1:" + std::to_string(port) + "/socket/websocket"});
  auto failed = f.next<socket_failed>();
  CHECK(failed.why == transport_errc::connect_failed);
}

// Hidden: needs a resolver that answers nothing, so that no query leaves
// the machine. tests/faults/dns_run.sh runs it in a network namespace whose
// resolv.conf points at 127.0.0.1, where nothing listens.
TEST_CASE("a host name that does not resolve fails with dns_failed", "[.dns]") {
  socket_fixture f;
  f.open({"ws://tether-dns-test.invalid:4000/socket/websocket"});
  auto failed = f.next<socket_failed>();
  CHECK(failed.why == transport_errc::dns_failed);
  CHECK_THAT(failed.detail, Catch::Contains("cannot resolve tether-dns-test.invalid"));
}

TEST_CASE("a bad URL is reported as an event, not a crash", "[integration]") {
  socket_fixture f;
  f.open({"http://nope"});
  CHECK(f.next<socket_failed>().why == transport_errc::bad_url);
}

TEST_CASE("a full outbound queue refuses the send with queue_full",
          "[integration]") {
  hub_process hub;
  hub.freeze(); // the socket cannot open: everything stays queued
  socket_fixture f;
  socket_options opts{hub.url()};
  opts.max_outbound_frames = 2;
  auto id = f.open(opts);
  CHECK_FALSE(f.send(id, "[null,\"1\",\"phoenix\",\"heartbeat\",{}]"));
  CHECK_FALSE(f.send(id, "[null,\"2\",\"phoenix\",\"heartbeat\",{}]"));
  auto err = f.send(id, "[null,\"3\",\"phoenix\",\"heartbeat\",{}]");
  CHECK(err == make_error(transport_errc::queue_full));
  CHECK(f.send(999999, "x") == make_error(transport_errc::unknown_socket));
  hub.thaw();
}

TEST_CASE("a connect that takes too long fails with connect_timeout",
          "[integration]") {
  hub_process hub;
  hub.freeze(); // TCP accepts (kernel backlog), the upgrade never answers
  socket_fixture f;
  socket_options opts{hub.url()};
  opts.connect_timeout = 300ms;
  f.open(opts);
  CHECK(f.next<socket_failed>().why == transport_errc::connect_timeout);
  hub.thaw();
}

TEST_CASE("a connect timeout longer than libwebsockets' own is honoured, and "
          "reported as connect_timeout",
          "[integration]") {
  // lws gives up on an unanswered upgrade after its own timeout_secs (5 s)
  // unless told otherwise; the socket's connect_timeout is what counts.
  hub_process hub;
  hub.freeze();
  socket_fixture f;
  socket_options opts{hub.url()};
  opts.connect_timeout = 7s;
  auto t0 = std::chrono::steady_clock::now();
  f.open(opts);
  // A wider bound than the usual 10 s: 7 s of it are the timeout itself,
  // and the suite runs beside the cluster test's five processes.
  auto failed = f.next<socket_failed>(30s);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(failed.why == transport_errc::connect_timeout);
  CHECK(took >= 7s);
  hub.thaw();
}

TEST_CASE("close codes from the server are surfaced", "[integration]") {
  SECTION("a frame the server cannot decode: 1011") {
    hub_process hub;
    socket_fixture f;
    auto id = f.open({hub.url()});
    f.next<socket_opened>();
    f.send(id, "not json");
    CHECK(f.next<socket_closed>().code == 1011);
  }
  SECTION("silence past the server's idle timeout: 1000") {
    hub_process hub{{"--idle-timeout-ms", "300"}};
    socket_fixture f;
    f.open({hub.url()});
    f.next<socket_opened>();
    CHECK(f.next<socket_closed>().code == 1000);
  }
}

TEST_CASE("a frame whose header claims more than the limit closes the socket at "
          "once with 1009, not when the heartbeat gives up",
          "[integration]") {
  // FIN + text, 127: a 64-bit length follows: 2^63 - 1 bytes; then 3 of them
  std::string frame{"\x81\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", 10};
  frame += "abc";
  testing::hostile_ws_server server{frame};
  socket_fixture f;
  auto t0 = std::chrono::steady_clock::now();
  f.open({server.url()});
  f.next<socket_opened>();
  auto closed = f.next<socket_closed>();
  CHECK(closed.code == 1009);
  CHECK(closed.by_transport);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("a frame that stops arriving halfway closes the socket with 1008 after "
          "frame_timeout",
          "[integration]") {
  // FIN + text, 126: a 16-bit length follows: 100 bytes; only 10 of them come
  std::string frame{"\x81\x7e\x00\x64", 4};
  frame += "0123456789";
  testing::hostile_ws_server server{frame};
  socket_fixture f;
  socket_options opts{server.url()};
  opts.frame_timeout = 2s;
  auto t0 = std::chrono::steady_clock::now();
  f.open(opts);
  f.next<socket_opened>();
  auto closed = f.next<socket_closed>();
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(closed.code == 1008);
  CHECK(closed.by_transport);
  CHECK(took >= 2s);
  CHECK(took < 6s);
}

TEST_CASE("the frame watch keeps reading a socket that was idle for seconds, among "
          "other open sockets",
          "[integration]") {
  // One sweep reads every open socket once a second. This socket is silent
  // through the first sweeps (nothing in progress) before its frame starts
  // and stalls; the idle sockets beside it stay open.
  std::string frame{"\x81\x7e\x00\x64", 4};
  frame += "0123456789";
  testing::hostile_ws_server server{frame, 2500ms};
  hub_process hub;
  socket_fixture f;
  auto idle_a = f.open({hub.url()});
  f.next<socket_opened>();
  socket_options opts{server.url()};
  opts.frame_timeout = 2s;
  auto stalling = f.open(opts);
  f.next<socket_opened>();
  auto idle_b = f.open({hub.url()});
  f.next<socket_opened>();
  auto closed = f.next<socket_closed>();
  CHECK(closed.id == stalling);
  CHECK(closed.code == 1008);
  CHECK(closed.by_transport);
  for (auto idle : {idle_a, idle_b}) {
    REQUIRE_FALSE(f.send(idle, *f.codec.encode_heartbeat("7")));
    CHECK(f.next<socket_received>().id == idle);
  }
}

TEST_CASE("a frame of which only the header came is seen by the idle socket's slower "
          "check, and closes the socket with 1008 after frame_timeout",
          "[integration]") {
  // FIN + text, 126: a 16-bit length follows: 100 bytes; none of them come.
  // lws reports nothing for a header alone: only the socket's periodic check
  // sees it. frame_timeout 8 s: an idle socket is read every 2 s
  // (protocol::idle_check_period), so it is closed 8 to 8 + 2 + 1 s after
  // the header came.
  std::string header{"\x81\x7e\x00\x64", 4};
  testing::hostile_ws_server server{header, 2500ms};
  socket_fixture f;
  socket_options opts{server.url()};
  opts.frame_timeout = 8s;
  f.open(opts);
  f.next<socket_opened>();
  auto t0 = std::chrono::steady_clock::now();
  auto closed = f.next<socket_closed>(30s);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(closed.code == 1008);
  CHECK(closed.by_transport);
  CHECK(took >= 2500ms + 8s);
  CHECK(took < 2500ms + 8s + 3s + 2s); // the last 2 s: scheduling slack
}

TEST_CASE("sockets beyond max_handshakes wait for a handshake to end before they dial",
          "[integration]") {
  // A frozen hub: the TCP handshake completes in its backlog, the upgrade is
  // never answered, and the socket's connect timeout ends it. With one handshake at a time, the socket opened after
  // it dials only then.
  hub_process frozen;
  frozen.freeze(); // TCP accepts (kernel backlog), the upgrade never answers
  hub_process hub;
  transport_config tc;
  tc.max_handshakes = 1;
  socket_fixture f{tc};
  socket_options stuck{frozen.url()};
  stuck.connect_timeout = 1s;
  auto first = f.open(stuck);
  auto second = f.open({hub.url()});
  // What happened, in the order it happened.
  std::vector<std::string> events;
  for (int i = 0; i < 2; ++i)
    (*f.self)->receive(
      [&](socket_failed& e) {
        events.push_back(std::string{e.id == first ? "first " : "second "} + to_string(e.why));
      },
      [&](socket_opened& e) { events.push_back(e.id == second ? "second open" : "first open"); },
      caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(events == std::vector<std::string>{"first connect_timeout", "second open"});
  frozen.thaw();
}

TEST_CASE("a socket closed while it waits its turn to dial ends at once, undialed",
          "[integration]") {
  hub_process frozen;
  frozen.freeze(); // TCP accepts (kernel backlog), the upgrade never answers
  hub_process hub;
  transport_config tc;
  tc.max_handshakes = 1;
  socket_fixture f{tc};
  socket_options stuck{frozen.url()};
  stuck.connect_timeout = 3s;
  auto first = f.open(stuck);
  auto second = f.open({hub.url()});
  (*f.self)->send(f.transport, close_atom::value, second, uint16_t{1000}, std::string{"bye"});
  std::vector<std::string> events;
  for (int i = 0; i < 2; ++i)
    (*f.self)->receive(
      [&](socket_failed& e) {
        events.push_back(std::string{e.id == first ? "first " : "second "} + to_string(e.why));
      },
      [&](socket_closed& e) { events.push_back(e.id == second ? "second closed" : "first closed"); },
      [&](socket_opened& e) { events.push_back(e.id == second ? "second open" : "first open"); },
      caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(events == std::vector<std::string>{"second closed", "first connect_timeout"});
  frozen.thaw();
}

TEST_CASE("an inbound message over the limit closes the socket with 1009",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  socket_options opts{hub.url()};
  opts.max_inbound_bytes = 4000; // crossed a few receive chunks into the message
  auto id = f.open(opts);
  f.next<socket_opened>();
  f.send(id, *f.codec.encode_join("1", "room:big"));
  f.next<socket_received>();
  f.send(id, *f.codec.encode_push("1", "2", "room:big", "echo",
                                  "{\"pad\":\"" + std::string(50000, 'x') + "\"}"));
  CHECK(f.next<socket_closed>().code == 1009);
}

TEST_CASE("a frame many times the receive buffer arrives whole, both ways",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  auto id = f.open({hub.url()});
  f.next<socket_opened>();
  f.send(id, *f.codec.encode_join("1", "room:big"));
  f.next<socket_received>();
  // Distinct bytes at every position, so a lost or reordered piece shows.
  std::string pad;
  for (int i = 0; i < 200000; ++i)
    pad += static_cast<char>('a' + i % 26);
  auto payload = "{\"pad\":\"" + pad + "\"}";
  REQUIRE_FALSE(f.send(id, *f.codec.encode_push("1", "2", "room:big", "echo", payload)));
  auto echoed = protocol::parse_reply(f.next_frame());
  REQUIRE(echoed.has_value());
  CHECK(echoed->response == payload);
}

TEST_CASE("every socket has its own never-reused id", "[integration]") {
  hub_process hub;
  socket_fixture f;
  auto first = f.open({hub.url()});
  auto second = f.open({hub.url()});
  CHECK(first != second);
  std::set<socket_id> opened{f.next<socket_opened>().id, f.next<socket_opened>().id};
  CHECK(opened == std::set<socket_id>{first, second});
  caf::anon_send(f.transport, close_atom::value, first, uint16_t{1000}, std::string{});
  CHECK(f.next<socket_closed>().id == first);
  // the second socket still works
  REQUIRE_FALSE(f.send(second, *f.codec.encode_heartbeat("9")));
  CHECK(f.next_frame().ref == "9");
}
