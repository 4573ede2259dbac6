// The connection's rules on virtual time, against a scripted transport.

#include <catch2/catch.hpp>

#include <caf/send.hpp>

#include "connection/tree_fixture.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;


TEST_CASE("the connection connects with vsn=2.0.0 and the connect params",
          "[connection]") {
  connection_config cfg;
  cfg.url = "ws://hub.test/socket/websocket";
  cfg.connect_params = [] { return protocol::query_params{{"token", "s3cret"}}; };
  tree f{cfg};
  REQUIRE(f.peer.state().opened.size() == 1);
  CHECK(f.peer.state().opened[0].options.url
        == "ws://hub.test/socket/websocket?token=s3cret&vsn=2.0.0");
}

TEST_CASE("a join uses its own ref as join_ref and refs increase from 1",
          "[connection]") {
  tree f;
  f.join("room:a");
  f.join("room:b");
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent()
        == lines{R"(["1","1","room:a","phx_join",{}])",
                 R"(["2","2","room:b","phx_join",{}])"});
  f.peer.say(id, reply("1", "1", "room:a", "ok"));
  f.peer.say(id, reply("2", "2", "room:b", "error", R"({"reason":"unauthorized"})"));
  CHECK(f.log->lines
        == lines{"connected", "joined room:a",
                 R"(join_failed room:b {"reason":"unauthorized"})"});
}

TEST_CASE("a push resolves on its reply: ok with the response, error as "
          "rejected, the first reply wins",
          "[connection]") {
  tree f;
  auto id = f.joined();
  auto ok = f.push("room:a", "echo", R"({"n":1})");
  CHECK(f.peer.take_sent() == lines{R"(["1","2","room:a","echo",{"n":1}])"});
  CHECK_FALSE(ok->has_value());
  f.peer.say(id, reply("1", "2", "room:a", "ok", R"({"n":1})"));
  REQUIRE(ok->has_value());
  CHECK(**ok == std::string{R"({"n":1})"});
  auto bad = f.push("room:a", "err", "{}");
  f.peer.say(id, reply("1", "3", "room:a", "error", R"({"reason":"nope"})"));
  REQUIRE(bad->has_value());
  CHECK((*bad)->error() == make_error(push_errc::rejected, R"({"reason":"nope"})"));
  // a second reply for ref 3 is a no-op: nothing to resolve, nothing breaks
  f.peer.say(id, reply("1", "3", "room:a", "ok"));
}

TEST_CASE("a push without a reply resolves as ack_timeout at its deadline",
          "[connection]") {
  tree f;
  f.joined();
  auto slow = f.push("room:a", "noreply", "{}", 5s);
  f.t.advance(4999ms);
  CHECK_FALSE(slow->has_value());
  f.t.advance(1ms);
  REQUIRE(slow->has_value());
  CHECK((*slow)->error() == make_error(push_errc::ack_timeout));
}

TEST_CASE("pushes with different deadlines each time out at their own, under one "
          "sweep timer",
          "[connection]") {
  tree f;
  f.joined();
  auto timers_before = f.t.pending_timers();
  std::vector<std::shared_ptr<std::optional<caf::expected<std::string>>>> same;
  for (int i = 0; i < 50; ++i)
    same.push_back(f.push("room:a", "noreply", "{}", 5s));
  CHECK(f.t.pending_timers() <= timers_before + 2); // not one per push
  f.t.advance(2s);
  auto sooner = f.push("room:a", "noreply", "{}", 1s); // due before the others
  auto later = f.push("room:a", "noreply", "{}", 10s);
  f.t.advance(999ms);
  CHECK_FALSE(sooner->has_value());
  f.t.advance(1ms); // t = 3 s
  REQUIRE(sooner->has_value());
  CHECK((*sooner)->error() == make_error(push_errc::ack_timeout));
  f.t.advance(1999ms);
  CHECK_FALSE(same.back()->has_value());
  f.t.advance(1ms); // t = 5 s
  for (auto& p : same) {
    REQUIRE(p->has_value());
    CHECK((*p)->error() == make_error(push_errc::ack_timeout));
  }
  f.t.advance(6999ms);
  CHECK_FALSE(later->has_value());
  f.t.advance(1ms); // t = 12 s
  REQUIRE(later->has_value());
  CHECK((*later)->error() == make_error(push_errc::ack_timeout));
}

TEST_CASE("a push made before the join waits and is sent once joined, one that "
          "never leaves resolves as never_sent",
          "[connection]") {
  tree f;
  f.join("room:a");
  auto early = f.push("room:a", "echo", "{}");
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent() == lines{R"(["1","1","room:a","phx_join",{}])"});
  f.peer.say(id, reply("1", "1", "room:a", "ok"));
  CHECK(f.peer.take_sent() == lines{R"(["1","2","room:a","echo",{}])"});
  SECTION("never joined: never_sent") {
    auto orphan = f.push("room:never", "echo", "{}", 2s);
    f.t.advance(2s);
    REQUIRE(orphan->has_value());
    CHECK((*orphan)->error() == make_error(push_errc::never_sent));
  }
}

TEST_CASE("invalid JSON payloads are refused at the door", "[connection]") {
  tree f;
  f.joined();
  auto r = f.push("room:a", "echo", "{not json");
  REQUIRE(r->has_value());
  CHECK((*r)->error() == make_error(push_errc::invalid_payload));
}

TEST_CASE("frames carrying a stale join_ref are dropped", "[connection]") {
  tree f;
  auto id = f.joined();
  auto p = f.push("room:a", "echo", "{}"); // ref 2, join_ref 1
  f.peer.say(id, reply("9", "2", "room:a", "ok")); // an earlier join's reply
  CHECK_FALSE(p->has_value());
  f.peer.say(id, R"(["9",null,"room:a","news",{}])");
  CHECK(f.log->count("message") == 0);
  f.peer.say(id, R"(["1",null,"room:a","news",{"x":1})" "]");
  CHECK(f.log->lines.back() == R"(message room:a news {"x":1})");
}

TEST_CASE("the heartbeat starts after the join reply, takes a fresh ref per "
          "tick, and its replies never reach the consumer",
          "[connection]") {
  tree f;
  f.join("room:a");
  auto id = f.peer.latest();
  f.peer.open(id);
  f.peer.take_sent();
  f.t.advance(5s); // no join reply yet (and not yet the join timeout): no heartbeat
  CHECK(f.peer.take_sent().empty());
  f.peer.say(id, reply("1", "1", "room:a", "ok"));
  f.t.advance(30s);
  CHECK(f.peer.take_sent() == lines{R"([null,"2","phoenix","heartbeat",{}])"});
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.t.advance(30s);
  CHECK(f.peer.take_sent() == lines{R"([null,"3","phoenix","heartbeat",{}])"});
  CHECK(f.log->lines == lines{"connected", "joined room:a"});
}

TEST_CASE("the dynamic heartbeat ticks fast while there is activity and decays to the "
          "slow interval after the window, on a live socket",
          "[connection]") {
  connection_config cfg;
  cfg.heartbeat.fast = 1s;
  cfg.heartbeat.window = 15min;
  tree f{cfg};
  auto id = f.joined(); // the join reply itself is activity
  // Answer every heartbeat (replies are not activity), second by second,
  // and note when each one left.
  std::vector<int> sent_at;
  for (int second = 1; second <= 17 * 60; ++second) {
    f.t.advance(1s);
    for (auto& frame : f.peer.take_sent()) {
      REQUIRE(frame.find(R"("phoenix","heartbeat")") != std::string::npos);
      sent_at.push_back(second);
      auto ref = frame.substr(8, frame.find('"', 8) - 8); // [null,"REF",...
      f.peer.say(id, reply("null", ref, "phoenix", "ok"));
    }
  }
  CHECK(f.log->count("peer_dead") == 0);
  CHECK(f.peer.live_sockets() == 1); // the socket is alive all along
  REQUIRE(sent_at.size() > 3);
  CHECK(sent_at[1] - sent_at[0] == 1); // fast while the join was recent
  auto last = sent_at.size() - 1;
  CHECK(sent_at[last] - sent_at[last - 1] == 30); // slow after the window
  CHECK(sent_at[last - 1] > 15 * 60);
}

TEST_CASE("a peer that stops answering heartbeats is declared dead after the "
          "tolerated misses, and the connection reconnects",
          "[connection]") {
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 1;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s); // heartbeat "2"
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.t.advance(30s); // heartbeat "3", no reply: miss 1 (tolerated)
  f.t.advance(10s);
  CHECK(f.log->count("peer_dead") == 0);
  f.t.advance(20s); // heartbeat "4", no reply: miss 2
  f.t.advance(10s);
  CHECK(f.log->count("peer_dead") == 1);
  CHECK(f.log->count("disconnected heartbeat_timeout") == 1);
  CHECK(f.peer.state().closed.back().first == id);
  f.t.advance(1s); // the floor after an established connection
  CHECK(f.peer.latest() == id + 1);
}

TEST_CASE("with a 1 s heartbeat and a 10 s timeout, a server that freezes is "
          "found dead 13 s after its last answer, not after a timeout per miss",
          "[connection]") {
  // docs/architecture.md, "A heartbeat": every ping is judged on its own
  // timeout, so detection takes about timeout + max_missed x interval.
  connection_config cfg;
  cfg.heartbeat.slow = 1s;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 2;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(1s); // heartbeat "2"
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  auto answered = f.t.now();
  int waited = 0;
  while (f.log->count("peer_dead") == 0 && waited < 60) {
    f.t.advance(1s);
    ++waited;
  }
  REQUIRE(f.log->count("peer_dead") == 1);
  // heartbeat "3" leaves 1 s after the answer and is judged 10 s later,
  // then "4" and "5" one second apart: the third miss is the fatal one.
  CHECK(f.t.now() - answered == 13s);
  (void) id;
}

TEST_CASE("a heartbeat reply that overtakes the transport's confirmation of "
          "the heartbeat still counts as the peer's answer",
          "[connection]") {
  // On loopback the hub's reply can reach the connection before the
  // transport confirms the send. Were that reply ignored, the peer would
  // count as never having answered and would never be found dead.
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 0;
  tree f{cfg};
  auto id = f.joined();
  f.peer.state().hold_sends = true;
  f.t.advance(30s); // heartbeat "2" is with the transport, not yet confirmed
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.peer.state().hold_sends = false;
  f.peer.release_held();
  f.t.advance(30s); // heartbeat "3": the hub has gone silent
  f.t.advance(10s);
  CHECK(f.log->count("peer_dead") == 1);
}

TEST_CASE("with report_heartbeats the consumer learns each heartbeat's round "
          "trip, measured on the actor clock",
          "[connection]") {
  connection_config cfg;
  cfg.report_heartbeats = true;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s); // heartbeat "2"
  f.t.advance(250ms);
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.peer.say(id, reply("null", "2", "phoenix", "ok")); // a duplicate: no second sample
  CHECK(f.log->count("rtt") == 1);
  CHECK(f.log->lines.back() == "rtt 250ms");
}

TEST_CASE("a heartbeat's round trip runs from when it was handed to the socket to when "
          "its reply came off the wire",
          "[connection]") {
  connection_config cfg;
  cfg.report_heartbeats = true;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s); // heartbeat "2" leaves now
  auto sent = f.t.now();
  f.t.advance(250ms);
  // the reply arrived 200 ms after the heartbeat left; the connection only
  // gets to it 50 ms later
  f.peer.say_arrived(id, reply("null", "2", "phoenix", "ok"), sent + 200ms);
  CHECK(f.log->lines.back() == "rtt 200ms");
}

TEST_CASE("a heartbeat the transport refuses is not held against the peer",
          "[connection]") {
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 0;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s);
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.peer.state().refuse_sends = true;
  f.t.advance(30s); // heartbeat "3" refused: the heartbeat stops quietly
  f.t.advance(10s);
  CHECK(f.log->count("peer_dead") == 0);
  CHECK(f.peer.state().closed.empty());
  f.t.advance(5min);
  CHECK(f.log->count("peer_dead") == 0);
}

TEST_CASE("a peer that never answers heartbeats is never torn down for silence",
          "[connection]") {
  connection_config cfg;
  cfg.liveness.max_missed = 0;
  tree f{cfg};
  f.joined();
  f.t.advance(30min);
  CHECK(f.log->count("peer_dead") == 0);
  CHECK(f.peer.state().opened.size() == 1);
}

TEST_CASE("reconnects back off 1 s, 2 s, 4 s … and reset after a stable "
          "connection",
          "[connection]") {
  tree f;
  for (int i = 0; i < 4; ++i) {
    f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
    f.t.advance(f.log->lines.empty() ? 0s : 30s);
  }
  std::vector<std::string> delays;
  for (auto& line : f.log->lines)
    if (line.rfind("reconnecting", 0) == 0)
      delays.push_back(line);
  CHECK(delays
        == lines{"reconnecting 1 1000ms connect_error", "reconnecting 2 2000ms connect_error",
                 "reconnecting 3 4000ms connect_error", "reconnecting 4 8000ms connect_error"});
  // up, joined, stable for 10 s: the next drop starts over
  f.log->lines.clear();
  auto id = f.peer.latest();
  f.peer.open(id);
  f.t.advance(11s);
  f.peer.close(id);
  CHECK(f.log->lines.back() == "reconnecting 1 1000ms closed_by_peer");
}

TEST_CASE("a connect that timed out, failed its TLS check or its name lookup is "
          "told by its own cause, and retried on the same curve",
          "[connection]") {
  tree f;
  f.peer.fail(f.peer.latest(), transport_errc::connect_timeout);
  CHECK(f.log->lines.back() == "reconnecting 1 1000ms connect_timeout");
  f.t.advance(1s);
  f.peer.fail(f.peer.latest(), transport_errc::tls_failed);
  CHECK(f.log->lines.back() == "reconnecting 2 2000ms tls_failed");
  f.t.advance(2s);
  f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
  CHECK(f.log->lines.back() == "reconnecting 3 4000ms connect_error");
  f.t.advance(4s);
  f.peer.fail(f.peer.latest(), transport_errc::dns_failed);
  CHECK(f.log->lines.back() == "reconnecting 4 8000ms dns_failed");
}

TEST_CASE("a socket the transport closed for an oversized or stalled frame is told "
          "by that cause, not as the peer's close",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.peer.refuse_inbound(id, 1009);
  CHECK(f.log->count("disconnected frame_too_large") == 1);
  f.t.advance(1s);
  auto second = f.peer.latest();
  f.peer.open(second);
  f.peer.refuse_inbound(second, 1008);
  CHECK(f.log->count("disconnected frame_stalled") == 1);
  f.t.advance(2s);
  f.peer.open(f.peer.latest());
  f.peer.close(f.peer.latest(), 1009); // the server's own 1009
  CHECK(f.log->count("disconnected closed_by_peer") == 1);
  REQUIRE(f.log->last<disconnected>() != nullptr);
  CHECK(f.log->last<disconnected>()->detail.rfind("close code 1009", 0) == 0);
}

TEST_CASE("a refused upgrade retries slowly, Retry-After is honoured",
          "[connection]") {
  tree f;
  f.peer.fail(f.peer.latest(), transport_errc::auth_refused, 403);
  CHECK(f.log->lines.back() == "reconnecting 1 60000ms auth");
  auto* refused = f.log->last<disconnected>();
  REQUIRE(refused != nullptr);
  CHECK(refused->http_status == 403); // the consumer can tell 401 from 403
  CHECK(refused->detail.rfind("HTTP 403", 0) == 0);
  f.t.advance(60s);
  f.peer.fail(f.peer.latest(), transport_errc::rate_limited, 429, 90);
  CHECK(f.log->lines.back() == "reconnecting 2 90000ms rate_limited");
}

TEST_CASE("a socket that opens but never joins counts as a failed attempt",
          "[connection]") {
  connection_config cfg;
  cfg.join_timeout = 5s;
  tree f{cfg};
  f.join("room:a");
  f.peer.open(f.peer.latest());
  f.t.advance(5s);
  CHECK(f.log->lines.back() == "reconnecting 1 1000ms join_timeout");
}

TEST_CASE("nothing from a superseded socket changes the current state",
          "[connection]") {
  tree f;
  auto old = f.joined();
  f.peer.close(old);
  f.t.advance(1s);
  auto fresh = f.peer.latest();
  REQUIRE(fresh != old);
  f.log->lines.clear();
  f.peer.say(old, R"([null,null,"room:a","news",{}])");
  f.peer.close(old);
  f.peer.open(old);
  CHECK(f.log->lines.empty());
  CHECK_FALSE(**f.t.request<bool>(f.conn, alive_atom::value));
  f.peer.open(fresh);
  CHECK(**f.t.request<bool>(f.conn, alive_atom::value));
}

TEST_CASE("after reconnecting every topic is rejoined with a new join_ref",
          "[connection]") {
  tree f;
  auto old = f.joined();
  f.peer.close(old);
  f.t.advance(1s);
  auto fresh = f.peer.latest();
  f.peer.open(fresh);
  CHECK(f.peer.sent_on(fresh) == lines{R"(["2","2","room:a","phx_join",{}])"});
}

TEST_CASE("disconnect closes the socket and stops retrying, connect resumes",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.t.request<caf::ok_atom>(f.conn, disconnect_atom::value);
  CHECK(f.peer.state().closed.back().first == id);
  f.t.advance(10min);
  CHECK(f.peer.state().opened.size() == 1);
  CHECK_FALSE(**f.t.request<bool>(f.conn, alive_atom::value));
  f.t.request<caf::ok_atom>(f.conn, connect_atom::value);
  CHECK(f.peer.state().opened.size() == 2);
}

TEST_CASE("a reconnect window ends in giving up", "[connection]") {
  connection_config cfg;
  cfg.backoff.window = 10s;
  tree f{cfg};
  for (int i = 0; i < 5 && f.log->count("gave_up") == 0; ++i) {
    f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
    f.t.advance(30s);
  }
  CHECK(f.log->count("gave_up") == 1);
  auto attempts = f.peer.state().opened.size();
  f.t.advance(10min);
  CHECK(f.peer.state().opened.size() == attempts);
}

TEST_CASE("phx_error is reported and the topic is rejoined, phx_close ends it",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.peer.say(id, R"(["1","1","room:a","phx_error",{}])");
  CHECK(f.log->lines.back() == "errored room:a");
  f.t.advance(1s);
  CHECK(f.peer.take_sent() == lines{R"(["2","2","room:a","phx_join",{}])"});
  f.peer.say(id, reply("2", "2", "room:a", "ok"));
  f.peer.say(id, R"(["2","2","room:a","phx_close",{}])");
  CHECK(f.log->lines.back() == "closed room:a");
}

TEST_CASE("a join reply is matched by its ref, join_ref null or not: a topic with no "
          "route fails alone and the socket stays",
          "[connection]") {
  // Phoenix answers a join of a topic it has no route for itself, with a
  // null join_ref (docs/protocol.md, "Replies").
  connection_config cfg;
  cfg.join_timeout = 10s;
  tree f{cfg};
  f.join("room:a");
  f.join("nope:x");
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent()
        == lines{R"(["1","1","nope:x","phx_join",{}])",
                 R"(["2","2","room:a","phx_join",{}])"});
  f.peer.say(id, reply("2", "2", "room:a", "ok"));
  f.peer.say(id, R"([null,"1","nope:x","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}])");
  CHECK(f.log->lines
        == lines{"connected", "joined room:a",
                 R"(join_failed nope:x {"reason":"unmatched topic"})"});
  f.t.advance(10s); // the join timeout has nothing left to judge
  CHECK(f.log->count("disconnected") == 0);
  CHECK(f.peer.state().opened.size() == 1);
}

TEST_CASE("a refused join is retried on the rejoin schedule (1 s, 2 s, 5 s, then 10 s, "
          "with jitter), which a successful join resets",
          "[connection]") {
  // phoenix.js retries a join refused with an error on its rejoin timer
  // (docs/protocol.md, "Rejoining").
  tree f;
  f.join("room:x");
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent() == lines{R"(["1","1","room:x","phx_join",{}])"});
  auto refuse = [&](const std::string& ref) {
    f.peer.say(id, reply(ref, ref, "room:x", "error", R"({"reason":"not yet"})"));
  };
  // Each retry comes within [step/2, step] after the refusal.
  auto next_join_within = [&](caf::timespan step) {
    f.t.advance(step / 2 - 1ms);
    CHECK(f.peer.take_sent().empty());
    f.t.advance(step / 2 + 1ms);
    auto sent = f.peer.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find("phx_join") != std::string::npos);
    return sent[0];
  };
  refuse("1");
  CHECK(f.log->lines.back() == R"(join_failed room:x {"reason":"not yet"})");
  next_join_within(1s);
  refuse("2");
  next_join_within(2s);
  refuse("3");
  next_join_within(5s);
  refuse("4");
  next_join_within(10s);
  refuse("5");
  next_join_within(10s);
  f.peer.say(id, reply("6", "6", "room:x", "ok"));
  CHECK(f.log->lines.back() == "joined room:x");
  // after a successful join, a channel error starts the schedule over
  f.peer.say(id, R"(["6","6","room:x","phx_error",{}])");
  next_join_within(1s);
  CHECK(f.log->count("disconnected") == 0);
}

TEST_CASE("a join left unanswered while another topic is joined fails that topic "
          "alone: it is withdrawn and rejoined, and the socket stays",
          "[connection]") {
  connection_config cfg;
  cfg.join_timeout = 5s;
  tree f{cfg};
  f.join("room:a");
  f.join("room:slow");
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent()
        == lines{R"(["1","1","room:a","phx_join",{}])",
                 R"(["2","2","room:slow","phx_join",{}])"});
  f.peer.say(id, reply("1", "1", "room:a", "ok"));
  f.t.advance(5s);
  CHECK(f.log->lines.back() == R"(join_failed room:slow {"reason":"timeout"})");
  CHECK(f.log->count("disconnected") == 0);
  auto sent = f.peer.take_sent();
  REQUIRE_FALSE(sent.empty());
  CHECK(sent[0] == R"(["2","3","room:slow","phx_leave",{}])"); // phoenix.js withdraws it
  f.t.advance(1s); // the first rejoin step
  sent = f.peer.take_sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].find(R"("room:slow","phx_join")") != std::string::npos);
  // a late reply to the withdrawn join changes nothing
  f.peer.say(id, reply("2", "2", "room:slow", "ok"));
  CHECK(f.log->count("joined room:slow") == 0);
}

TEST_CASE("a new socket starts the rejoin schedule over", "[connection]") {
  tree f;
  f.join("room:x");
  auto id = f.peer.latest();
  f.peer.open(id);
  f.peer.take_sent();
  for (const char* ref : {"1", "2", "3"}) { // three refusals: the next step is 10 s
    f.peer.say(id, reply(ref, ref, "room:x", "error", R"({"reason":"no"})"));
    f.t.advance(5s);
    f.peer.take_sent();
  }
  f.peer.close(id);
  f.t.advance(1s); // reconnect
  auto next = f.peer.latest();
  REQUIRE(next != id);
  f.peer.open(next);
  auto join = f.peer.take_sent();
  REQUIRE(join.size() == 1);
  auto ref = join[0].substr(2, join[0].find('"', 2) - 2);
  f.peer.say(next, reply(ref, ref, "room:x", "error", R"({"reason":"no"})"));
  f.t.advance(1s); // the first step again, not 10 s
  CHECK(f.peer.take_sent().size() == 1);
}

TEST_CASE("a server that has answered heartbeats is judged on every later socket: "
          "silence right after a reconnect is found dead",
          "[connection]") {
  // The never-answered grace belongs to the peer, not to the socket
  // (docs/architecture.md, "A heartbeat").
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 0;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s); // heartbeat "2", answered
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.peer.close(id); // the server drops the socket
  f.t.advance(1s);
  auto next = f.peer.latest();
  REQUIRE(next != id);
  f.peer.open(next);
  auto join = f.peer.take_sent().back();
  auto ref = join.substr(2, join.find('"', 2) - 2);
  f.peer.say(next, reply(ref, ref, "room:a", "ok"));
  f.t.advance(30s); // the first heartbeat on the new socket: never answered
  f.t.advance(10s);
  CHECK(f.log->count("peer_dead") == 1);
}

TEST_CASE("frames for a topic the client has not joined are dropped: a server cannot "
          "make the client join it",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.peer.take_sent();
  f.peer.say(id, R"([null,null,"evil:x","phx_error",{}])");
  f.peer.say(id, R"(["77","77","evil:y","phx_error",{}])");
  f.peer.say(id, R"([null,null,"evil:z","phx_close",{}])");
  f.peer.say(id, R"([null,null,"evil:w","bcast",{"a":1}])");
  f.t.advance(1min); // past every rejoin step
  for (auto& frame : f.peer.take_sent())
    CHECK(frame.find("evil:") == std::string::npos);
  // told, not acted on: the first at once, the rest of that second together
  CHECK(f.log->lines
        == lines{"connected", "joined room:a", "dropped foreign_topic evil:x x1",
                 "dropped foreign_topic evil:w x3"});
}

TEST_CASE("undecodable and unhandled frames are told to the consumer, at most once a "
          "second per reason, with how many",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.peer.say(id, "not json");
  f.peer.say(id, R"(["1",null,"room:a"])");
  f.peer.say(id, R"(["1",null,"room:a","phx_mystery",{}])");
  CHECK(f.log->lines
        == lines{"connected", "joined room:a", "dropped undecodable malformed_json x1",
                 "dropped unhandled room:a phx_mystery x1"});
  f.t.advance(1s); // the second undecodable frame is told when its window ends
  CHECK(f.log->lines.back() == "dropped undecodable wrong_arity x1");
  f.t.advance(1s);
  f.peer.say(id, "still not json"); // a new window: told at once
  CHECK(f.log->lines.back() == "dropped undecodable malformed_json x1");
  CHECK(f.log->count("dropped") == 4);
}

TEST_CASE("one refused heartbeat does not stop the heartbeat: the next tick goes out "
          "and a silent peer is still found dead",
          "[connection]") {
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  cfg.liveness.max_missed = 0;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s);
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.peer.take_sent();
  f.peer.state().refuse_sends = true;
  f.t.advance(30s); // heartbeat "3": queue_full, a passing backlog
  f.peer.state().refuse_sends = false;
  f.t.advance(30s); // heartbeat "4" goes out
  auto sent = f.peer.take_sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].find(R"("phoenix","heartbeat")") != std::string::npos);
  f.t.advance(10s); // and is never answered
  CHECK(f.log->count("peer_dead") == 1);
}

TEST_CASE("a disconnect the user asked for is reported as requested, to the consumer "
          "and to the server",
          "[connection]") {
  tree f;
  auto id = f.joined();
  f.t.request<caf::ok_atom>(f.conn, disconnect_atom::value);
  CHECK(f.log->lines.back() == "disconnected requested");
  REQUIRE(f.peer.state().closed.back().first == id);
  CHECK(f.peer.state().close_reasons.back() == "requested");
}

TEST_CASE("connect while a reconnect waits out its backoff connects now", "[connection]") {
  tree f;
  auto id = f.joined();
  f.peer.close(id);
  REQUIRE(f.log->lines.back() == "reconnecting 1 1000ms closed_by_peer");
  auto opened = f.peer.state().opened.size();
  f.t.request<caf::ok_atom>(f.conn, connect_atom::value); // no time passes
  CHECK(f.peer.state().opened.size() == opened + 1);
  f.t.advance(1s); // the retry timer it replaced opens nothing more
  CHECK(f.peer.state().opened.size() == opened + 1);
}

TEST_CASE("max_queued_pushes bounds the pushes waiting for a joined topic, not those "
          "in flight",
          "[connection]") {
  connection_config cfg;
  cfg.max_queued_pushes = 2;
  tree f{cfg};
  auto id = f.joined();
  // three in flight at once on a joined topic: none waits, all are taken
  auto a = f.push("room:a", "noreply", "{}");
  auto b = f.push("room:a", "noreply", "{}");
  auto c = f.push("room:a", "noreply", "{}");
  CHECK(f.peer.take_sent().size() == 3);
  CHECK_FALSE(c->has_value());
  // two waiting for a topic not joined yet fill the bound; a third is refused
  f.join("room:later");
  auto w1 = f.push("room:later", "echo", "{}");
  auto w2 = f.push("room:later", "echo", "{}");
  auto w3 = f.push("room:later", "echo", "{}");
  REQUIRE(w3->has_value());
  CHECK((*w3)->error() == make_error(push_errc::outbox_full));
  CHECK_FALSE(w1->has_value());
  CHECK_FALSE(w2->has_value());
  (void) id;
}

TEST_CASE("a push that never left says why: not joined, join refused, not connected, "
          "stopped",
          "[connection]") {
  auto reason_of = [](const std::shared_ptr<std::optional<caf::expected<std::string>>>& r) {
    REQUIRE(r->has_value());
    REQUIRE_FALSE(**r);
    CHECK((*r)->error() == make_error(push_errc::never_sent));
    return response_of((*r)->error());
  };
  SECTION("not joined") {
    tree f;
    f.joined();
    auto p = f.push("room:never", "echo", "{}", 1s);
    f.t.advance(1s);
    CHECK(reason_of(p) == R"({"reason":"not_joined"})");
  }
  SECTION("join refused") {
    tree f;
    f.join("room:x");
    auto id = f.peer.latest();
    f.peer.open(id);
    f.peer.say(id, reply("1", "1", "room:x", "error", R"({"reason":"unauthorized"})"));
    auto p = f.push("room:x", "echo", "{}", 300ms); // before the first rejoin try
    f.t.advance(300ms);
    CHECK(reason_of(p) == R"({"reason":"join_refused"})");
  }
  SECTION("not connected") {
    tree f;
    f.join("room:a"); // the socket never opens
    auto p = f.push("room:a", "echo", "{}", 1s);
    f.t.advance(1s);
    CHECK(reason_of(p) == R"({"reason":"not_connected"})");
  }
}

TEST_CASE("heartbeats keep a steady cadence counted from each emit, however late the "
          "replies come",
          "[connection]") {
  connection_config cfg;
  cfg.liveness.timeout = 10s;
  tree f{cfg};
  auto id = f.joined();
  f.t.advance(30s); // heartbeat "2" at 30 s
  CHECK(f.peer.take_sent().size() == 1);
  f.t.advance(8s);
  f.peer.say(id, reply("null", "2", "phoenix", "ok")); // answered 8 s late
  f.t.advance(22s - 1ms);
  CHECK(f.peer.take_sent().empty());
  f.t.advance(1ms); // 60 s: 30 s after the emit, not after the reply
  CHECK(f.peer.take_sent() == lines{R"([null,"3","phoenix","heartbeat",{}])"});
}

TEST_CASE("with timer slack a heartbeat fires on the slack's grid: never before it is "
          "due, less than one step after, and the cadence stays the interval",
          "[connection]") {
  // docs/architecture.md, "Timers": ticks of many trees due within one step
  // fire together, one wake-up for them all.
  connection_config cfg;
  cfg.heartbeat.slack = 100ms;
  tree f{cfg};
  f.t.advance(30ms); // the join lands 30 ms past a multiple of the step
  auto id = f.joined();
  f.t.advance(30s); // due now
  CHECK(f.peer.take_sent().empty());
  auto to_grid = 100ms - f.t.now().time_since_epoch() % 100ms;
  REQUIRE(to_grid < 100ms);
  f.t.advance(to_grid - 1ns);
  CHECK(f.peer.take_sent().empty());
  f.t.advance(1ns);
  CHECK(f.peer.take_sent() == lines{R"([null,"2","phoenix","heartbeat",{}])"});
  CHECK(f.t.now().time_since_epoch() % 100ms == 0ns);
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  f.t.advance(30s - 1ns);
  CHECK(f.peer.take_sent().empty());
  f.t.advance(1ns); // 30 s after the last emit: the slack added nothing
  CHECK(f.peer.take_sent() == lines{R"([null,"3","phoenix","heartbeat",{}])"});
}

TEST_CASE("a requested leave is told as topic_left, apart from a channel the server "
          "closed or lost",
          "[connection]") {
  tree f;
  f.joined("room:a");
  REQUIRE(f.t.request<caf::ok_atom>(f.conn, leave_atom::value, std::string{"room:a"}));
  CHECK(f.log->count("left room:a") == 1);
  CHECK(f.log->count("closed room:a") == 0);
  // leaving a topic never joined tells nothing: there was no channel
  REQUIRE(f.t.request<caf::ok_atom>(f.conn, leave_atom::value, std::string{"room:zz"}));
  CHECK(f.log->count("left room:zz") == 0);
}

TEST_CASE("join params given as a reader are read before every join and rejoin, and a "
          "read that is not an object fails that attempt only", "[connection]") {
  // phoenix.js evaluates a channel's params function at each join; so does
  // tether with join_params_reader (a rotated token reaches the rejoin).
  tree f;
  auto reads = std::make_shared<int>(0);
  auto answer = std::make_shared<std::string>(R"({"token":"t1"})");
  auto reader = join_params_reader{[reads, answer] {
    ++*reads;
    return *answer;
  }};
  REQUIRE(f.t.request<caf::ok_atom>(f.conn, join_atom::value, std::string{"room:a"}, reader));
  auto id = f.peer.latest();
  f.peer.open(id);
  CHECK(f.peer.take_sent() == lines{R"(["1","1","room:a","phx_join",{"token":"t1"}])"});
  f.peer.say(id, reply("1", "1", "room:a", "ok"));
  // The channel crashes; by the rejoin the token has rotated.
  *answer = R"({"token":"t2"})";
  f.peer.say(id, R"(["1","1","room:a","phx_error",{}])");
  f.t.advance(1s);
  CHECK(f.peer.take_sent() == lines{R"(["2","2","room:a","phx_join",{"token":"t2"}])"});
  f.peer.say(id, reply("2", "2", "room:a", "ok"));
  // A new socket: read again.
  *answer = R"({"token":"t3"})";
  f.peer.close(id, 1000);
  f.t.advance(10s);
  auto fresh = f.peer.latest();
  REQUIRE(fresh != id);
  f.peer.open(fresh);
  CHECK(f.peer.sent_on(fresh) == lines{R"(["3","3","room:a","phx_join",{"token":"t3"}])"});
  f.peer.say(fresh, reply("3", "3", "room:a", "ok"));
  CHECK(*reads == 3);
  // A bad read fails that attempt (told, not sent); the next rejoin reads again.
  *answer = "not json";
  f.peer.say(fresh, R"(["3","3","room:a","phx_error",{}])");
  f.t.advance(1s);
  CHECK(f.log->lines.back() == R"(join_failed room:a {"reason":"invalid_params"})");
  *answer = R"({"token":"t4"})";
  f.t.advance(2s);
  auto sent = f.peer.sent_on(fresh);
  REQUIRE(!sent.empty());
  CHECK(sent.back() == R"(["4","4","room:a","phx_join",{"token":"t4"}])");
}
