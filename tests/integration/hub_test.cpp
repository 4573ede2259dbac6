// tether-hub's own behaviour, frame by frame: stop, broadcast framing,
// heartbeat switches, relay mode and the idle timeout. What it shares with
// Phoenix 1.7 runs against both servers in tests/scenario/.

#include <filesystem>
#include <fstream>
#include <optional>

#include <unistd.h>

#include "integration/socket_fixture.hpp"

using namespace tether;
using namespace tether::testing;
using protocol::frame;


TEST_CASE("leave and stop reply, then close the channel with phx_close",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  wire_session s{f, hub.url()};
  s.send(f.codec.encode_join("11", "room:lobby"));
  s.next();
  s.send(f.codec.encode_leave("11", "12", "room:lobby"));
  auto left = s.next();
  CHECK(left.ref == "12");
  CHECK(status_of(left) == "ok");
  auto closed = s.next();
  CHECK(closed.event == "phx_close");
  CHECK(closed.ref == "11");
  s.send(f.codec.encode_join("13", "room:lobby"));
  s.next();
  s.send(f.codec.encode_push("13", "14", "room:lobby", "stop", "{}"));
  CHECK(status_of(s.next()) == "ok");
  CHECK(s.next().event == "phx_close");
}

TEST_CASE("broadcast reaches every subscriber, the sender included",
          "[integration]") {
  hub_process hub;
  socket_fixture f;
  wire_session a{f, hub.url()};
  a.send(f.codec.encode_join("1", "room:b"));
  a.next();
  wire_session b{f, hub.url()};
  b.send(f.codec.encode_join("1", "room:b"));
  b.next();
  a.send(f.codec.encode_push("1", "2", "room:b", "broadcast", R"({"msg":"hi"})"));
  for (int i = 0; i < 2; ++i) {
    auto msg = f.next<socket_received>();
    auto frame = f.codec.decode(msg.bytes, msg.kind);
    REQUIRE(frame.has_value());
    CHECK(frame->event == "bcast");
    CHECK_FALSE(frame->join_ref.has_value());
    CHECK(frame->payload == R"({"msg":"hi"})");
  }
}

TEST_CASE("heartbeats are answered on topic phoenix, or not at all when asked",
          "[integration]") {
  SECTION("answered") {
    hub_process hub;
    socket_fixture f;
    wire_session s{f, hub.url()};
    s.send(f.codec.encode_heartbeat("6"));
    auto r = s.next();
    CHECK(r.topic == "phoenix");
    CHECK(r.ref == "6");
    CHECK_FALSE(r.join_ref.has_value());
  }
  SECTION("--no-heartbeat-replies") {
    hub_process hub{{"--no-heartbeat-replies"}};
    socket_fixture f;
    wire_session s{f, hub.url()};
    s.send(f.codec.encode_heartbeat("6"));
    s.send(f.codec.encode_join("7", "room:x")); // the next frame is the join reply
    CHECK(s.next().ref == "7");
  }
}

TEST_CASE("relay mode: heartbeat replies carry peer status, a silent peer is "
          "dropped and its partner told",
          "[integration]") {
  // 1.5 x 200 ms of silence kills a peer.
  hub_process hub{{"--relay", "--heartbeat-interval-ms", "200"}};
  socket_fixture f;
  wire_session a{f, hub.url()};
  a.send(f.codec.encode_join("1", "room:pair"));
  a.next();
  a.send(f.codec.encode_heartbeat("2"));
  CHECK(protocol::parse_reply(a.next())->response == R"({"peer_connected":false})");
  wire_session b{f, hub.url()};
  b.send(f.codec.encode_join("1", "room:pair"));
  b.next();
  a.send(f.codec.encode_heartbeat("3"));
  CHECK(protocol::parse_reply(a.next())->response == R"({"peer_connected":true})");
  SECTION("a third peer does not fit") {
    wire_session c{f, hub.url()};
    c.send(f.codec.encode_join("1", "room:pair"));
    CHECK(protocol::parse_reply(c.next())->response == R"({"reason":"room full"})");
  }
  SECTION("both fall silent: each is closed with 4000 and the other is told") {
    std::vector<uint16_t> codes;
    bool told = false;
    // Collect events until both sockets have closed.
    for (int i = 0; i < 4 && codes.size() < 2; ++i) {
      (*f.self)->receive(
        [&](socket_closed& c) { codes.push_back(c.code); },
        [&](socket_received& m) {
          auto fr = f.codec.decode(m.bytes, m.kind);
          if (fr && fr->event == "peer_disconnected")
            told = true;
        },
        caf::after(std::chrono::seconds{5}) >> [] {});
    }
    CHECK(codes == std::vector<uint16_t>{4000, 4000});
    CHECK(told);
  }
}

TEST_CASE("a client silent past the idle timeout is closed and its room is told",
          "[integration]") {
  hub_process hub{{"--idle-timeout-ms", "400"}};
  socket_fixture f;
  wire_session silent{f, hub.url()};
  silent.send(f.codec.encode_join("1", "room:idle"));
  silent.next();
  wire_session other{f, hub.url()};
  other.send(f.codec.encode_join("1", "room:idle"));
  other.next();
  other.send(f.codec.encode_heartbeat("2")); // `other` was heard from last
  other.next();
  bool closed = false, told = false;
  for (int i = 0; i < 3 && !(closed && told); ++i)
    (*f.self)->receive(
      [&](socket_closed& c) { closed = c.id == silent.id && c.code == 1000; },
      [&](socket_received& m) {
        auto fr = f.codec.decode(m.bytes, m.kind);
        told = told || (m.id == other.id && fr && fr->event == "peer_disconnected");
      },
      caf::after(std::chrono::seconds{5}) >> [] {});
  CHECK(closed);
  CHECK(told);
}

TEST_CASE("the idle check follows who was heard from last: a client that keeps "
          "talking stays, the silent one beside it is closed",
          "[integration]") {
  // The talker opened first, so only its frames keep it from being the first
  // one checked; it speaks every 100 ms against a 1 s limit.
  hub_process hub{{"--idle-timeout-ms", "1000"}};
  socket_fixture f;
  wire_session talker{f, hub.url()};
  wire_session silent{f, hub.url()};
  bool silent_closed = false, talker_closed = false;
  int ref = 1;
  for (int i = 0; i < 20; ++i) {
    talker.send(f.codec.encode_heartbeat(std::to_string(++ref)));
    // Until 100 ms pass without an event: the talker's pace.
    for (bool quiet = false; !quiet;)
      (*f.self)->receive(
        [&](socket_closed& c) {
          silent_closed = silent_closed || (c.id == silent.id && c.code == 1000);
          talker_closed = talker_closed || c.id == talker.id;
        },
        [](socket_received&) {}, // the talker's heartbeat replies
        caf::after(std::chrono::milliseconds{100}) >> [&] { quiet = true; });
  }
  CHECK(silent_closed);
  CHECK_FALSE(talker_closed);
  talker.send(f.codec.encode_join(std::to_string(++ref), "room:still"));
  std::optional<protocol::frame> reply;
  for (int i = 0; i < 5 && !(reply && reply->ref == std::to_string(ref)); ++i)
    reply = talker.maybe_next(std::chrono::seconds{2});
  REQUIRE(reply);
  CHECK(status_of(*reply) == "ok");
}

TEST_CASE("tether-hub --threads serves each connection on one of its service threads",
          "[integration]") {
  hub_process hub{{"--threads", "3"}};
  socket_fixture f;
  std::vector<std::unique_ptr<wire_session>> sessions;
  for (int i = 0; i < 6; ++i)
    sessions.push_back(std::make_unique<wire_session>(f, hub.url()));
  for (auto& s : sessions) {
    s->send(f.codec.encode_join("1", "room:threads"));
    CHECK(status_of(s->next()) == "ok");
    s->send(f.codec.encode_push("1", "2", "room:threads", "echo", R"({"n":1})"));
    auto echoed = protocol::parse_reply(s->next());
    REQUIRE(echoed);
    CHECK(echoed->response == R"({"n":1})");
  }
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

TEST_CASE("tether-hub with --overlap-param counts open sockets per param value and logs the most at once",
          "[integration]") {
  auto log = std::filesystem::temp_directory_path()
             / ("tether-overlap-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  SECTION("two sockets of one account at once: 2") {
    hub_process hub{{"--overlap-param", "account"}, 0, log.string()};
    {
      socket_fixture f;
      wire_session a1{f, hub.url("&account=a")};
      wire_session b{f, hub.url("&account=b")};
      wire_session a2{f, hub.url("&account=a")};
    }
    hub.stop();
    auto text = read_file(log.string());
    CHECK_THAT(text, Catch::Contains("overlap max account=a 2\n"));
    CHECK_THAT(text, Catch::Contains("overlap max 2\n"));
  }
  SECTION("one after the other: 1") {
    hub_process hub{{"--overlap-param", "account"}, 0, log.string()};
    for (int i = 0; i < 3; ++i) {
      socket_fixture f;
      wire_session a{f, hub.url("&account=a")};
      caf::anon_send(f.transport, close_atom::value, a.id, uint16_t{1000}, std::string{"bye"});
      f.next<socket_closed>();
    }
    hub.stop();
    auto text = read_file(log.string());
    CHECK_THAT(text, Catch::Contains("overlap max 1\n"));
    CHECK_THAT(text, !Catch::Contains("overlap max account=a 2"));
  }
  std::filesystem::remove(log);
}
