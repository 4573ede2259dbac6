// One scenario suite, two servers: every case runs against tether-hub and
// against the reference Phoenix 1.7 peer ($TETHER_PEER, tests/CMakeLists.txt
// registers both). Phoenix is the reference: where the hub still differs,
// the case asserts each server's behaviour explicitly (docs/transport.md,
// "tether-hub and Phoenix 1.7").

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include "integration/socket_fixture.hpp"
#include "integration/tree_client.hpp"
#include "support/peer_server.hpp"
#include "support/raw_websocket.hpp"
#include "testing/connect_proxy.hpp"
#include "protocol/phoenix_v1.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

namespace {

connection_config config_for(const peer_server& peer) {
  auto c = tree_client::config_for(peer.socket_url());
  c.join_timeout = 2s; // a join left unanswered shows within the test
  return c;
}

std::string outcome_of(tree_client& c, const caf::expected<std::string>& r) {
  return r ? "ok " + *r : c.sys->render(r.error());
}

/// How a push ended, as the application saw it.
struct push_result {
  long id;
  std::optional<caf::expected<std::string>> outcome; ///< none yet
  std::chrono::steady_clock::time_point at;          ///< when it ended
};

/// Pushes sent without waiting, each through its own request, so that each
/// outcome is known by push: every push must get exactly one.
struct push_batch {
  tree_client& c;
  std::shared_ptr<std::mutex> mtx = std::make_shared<std::mutex>();
  std::shared_ptr<std::condition_variable> cv = std::make_shared<std::condition_variable>();
  std::shared_ptr<std::vector<push_result>> results
    = std::make_shared<std::vector<push_result>>();
  std::vector<caf::actor> pushers;
  std::chrono::steady_clock::time_point sent_at = std::chrono::steady_clock::now();

  /// One push with payload {"id":id, ...extra}.
  void add(const connection_actor& endpoint, const std::string& topic,
           const std::string& event, long id, caf::timespan timeout,
           const std::string& extra = "") {
    size_t slot;
    {
      std::lock_guard<std::mutex> guard{*mtx};
      slot = results->size();
      results->push_back(push_result{id, std::nullopt, {}});
    }
    auto payload = R"({"id":)" + std::to_string(id) + extra + "}";
    auto record = [mtx = mtx, cv = cv, results = results, slot](caf::expected<std::string> x) {
      std::lock_guard<std::mutex> guard{*mtx};
      auto& r = (*results)[slot];
      if (r.outcome) { // a second outcome for one push: the test fails on it
        r.id = -1000 - r.id;
        return;
      }
      r.outcome = std::move(x);
      r.at = std::chrono::steady_clock::now();
      cv->notify_all();
    };
    pushers.push_back(c.sys->spawn([=](caf::event_based_actor* self) {
      self->request(endpoint, caf::infinite, push_atom::value, topic, event, payload, timeout)
        .then([=](std::string& response) { record(std::move(response)); },
              [=](caf::error& err) { record(std::move(err)); });
    }));
  }

  void send(const connection_actor& endpoint, const std::string& topic,
            const std::string& event, int n, caf::timespan timeout, int first_id = 0) {
    for (int i = 0; i < n; ++i)
      add(endpoint, topic, event, first_id + i, timeout);
  }

  /// Waits until every push has its outcome, at most `limit`.
  void collect(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> guard{*mtx};
    auto done = [&] {
      for (auto& r : *results)
        if (!r.outcome)
          return false;
      return true;
    };
    cv->wait_until(guard, std::chrono::steady_clock::now() + limit, done);
    for (auto& r : *results) {
      INFO("push " << r.id);
      CHECK(r.id > -1000); // exactly one outcome
      REQUIRE(r.outcome.has_value());
    }
  }

  size_t count(const caf::error& err) const {
    size_t n = 0;
    for (auto& r : *results)
      n += r.outcome && !*r.outcome && r.outcome->error() == err;
    return n;
  }

  size_t ok() const {
    size_t n = 0;
    for (auto& r : *results)
      n += r.outcome && static_cast<bool>(*r.outcome);
    return n;
  }
};

/// One profile against the scenario's server, joined to room:a.
struct joined_client {
  peer_server peer;
  tree_client c;
  std::shared_ptr<event_queue> q = std::make_shared<event_queue>();
  connection_actor endpoint;

  explicit joined_client(std::function<void(connection_config&)> adjust = {}) {
    auto cfg = config_for(peer);
    if (adjust)
      adjust(cfg);
    endpoint = c.start("p", cfg, q);
    c.join(endpoint, "room:a");
    REQUIRE(q->wait_for("joined room:a"));
  }
};

} // namespace

TEST_CASE("a refused join and a join with no route fail that topic only: the good "
          "topic stays joined on the same socket",
          "[scenario]") {
  peer_server peer;
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto endpoint = c.start("p", config_for(peer), q);
  c.join(endpoint, "room:a");
  c.join(endpoint, "room:reject");
  c.join(endpoint, "nope:x");
  REQUIRE(q->wait_for("joined room:a"));
  // The server's own reason reaches the consumer, for both refusals; the
  // no-route reply carries a null join_ref on Phoenix.
  for (auto limit = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < limit
       && (q->count("join_failed room:reject") == 0 || q->count("join_failed nope:x") == 0);)
    q->wait_for("join_failed", 1s);
  CHECK(q->count(R"(join_failed room:reject {"reason":"unauthorized"})") >= 1);
  CHECK(q->count(R"(join_failed nope:x {"reason":"unmatched topic"})") >= 1);
  // Past the join timeout (2 s): nothing tore the socket down.
  CHECK_FALSE(q->wait_for("disconnected", 3s));
  CHECK(q->count("connected") == 1);
  CHECK(c.sockets() == 1);
  auto r = c.push(endpoint, "room:a", "echo", R"({"still":"here"})");
  REQUIRE(r);
  CHECK(*r == R"({"still":"here"})");
  // A push to the refused topic says why it cannot go, and does not hang.
  auto refused_push = c.push(endpoint, "room:reject", "echo", "{}", 1s);
  CHECK_FALSE(refused_push);
}

TEST_CASE("a push resolves on the server's reply: echo ok, err rejected, noreply "
          "ack_timeout, slow ok after its delay",
          "[scenario]") {
  joined_client j;
  auto& [peer, c, q, endpoint] = j;
  auto echo = c.push(endpoint, "room:a", "echo", R"({"hello":"world","n":1})");
  REQUIRE(echo);
  CHECK(*echo == R"({"hello":"world","n":1})");
  auto err = c.push(endpoint, "room:a", "err", "{}");
  REQUIRE_FALSE(err);
  CHECK(err.error() == make_error(push_errc::rejected));
  CHECK(response_of(err.error()) == R"({"reason":"nope"})");
  auto before = std::chrono::steady_clock::now();
  auto silent = c.push(endpoint, "room:a", "noreply", "{}", 500ms);
  REQUIRE_FALSE(silent);
  CHECK(silent.error() == make_error(push_errc::ack_timeout));
  CHECK(std::chrono::steady_clock::now() - before >= 500ms);
  before = std::chrono::steady_clock::now();
  auto slow = c.push(endpoint, "room:a", "slow", R"({"ms":300})");
  REQUIRE(slow);
  CHECK(*slow == R"({"ms":300})");
  CHECK(std::chrono::steady_clock::now() - before >= 300ms);
}

TEST_CASE("a broadcast reaches both clients as a channel message", "[scenario]") {
  peer_server peer;
  tree_client c;
  auto qa = std::make_shared<event_queue>();
  auto qb = std::make_shared<event_queue>();
  auto a = c.start("a", config_for(peer), qa);
  auto b = c.start("b", config_for(peer), qb);
  c.join(a, "room:b");
  c.join(b, "room:b");
  REQUIRE(qa->wait_for("joined room:b"));
  REQUIRE(qb->wait_for("joined room:b"));
  // broadcast has no reply: its push ends as ack_timeout, the message arrives
  auto r = c.push(a, "room:b", "broadcast", R"({"msg":"hi"})", 500ms);
  CHECK_FALSE(r);
  CHECK(qa->wait_for(R"(message room:b bcast {"msg":"hi"})"));
  CHECK(qb->wait_for(R"(message room:b bcast {"msg":"hi"})"));
}

TEST_CASE("a crashed channel is rejoined, and every push sent right behind the crash "
          "gets exactly one outcome",
          "[scenario]") {
  joined_client j;
  auto& [peer, c, q, endpoint] = j;
  push_batch batch{c};
  batch.add(endpoint, "room:a", "crash", -1, 2s); // never answered
  batch.send(endpoint, "room:a", "echo", 20, 3s);
  REQUIRE(q->wait_for("errored room:a"));
  REQUIRE(q->wait_for("joined room:a", 10s));
  batch.collect(10s);
  // Each push: answered before the crash (ok), refused as "unmatched topic"
  // by a server that no longer has the channel, or lost with it (ack_timeout;
  // Phoenix drops what was in the dead channel's mailbox).
  auto rejected = batch.count(make_error(push_errc::rejected));
  auto lost = batch.count(make_error(push_errc::ack_timeout));
  CHECK(batch.ok() + rejected + lost == batch.results->size());
  if (peer.is_phoenix())
    CHECK(lost >= 1); // the crash push, and any that died in its mailbox
  else
    CHECK(lost == 1); // the hub answers every frame as it comes: only the crash push
  // and the rejoined channel works
  auto after = c.push(endpoint, "room:a", "echo", R"({"id":99})");
  REQUIRE(after);
  CHECK(q->count("disconnected") == 0);
}

TEST_CASE("a channel the server stops is closed and not rejoined", "[scenario]") {
  joined_client j;
  auto& [peer, c, q, endpoint] = j;
  auto r = c.push(endpoint, "room:a", "stop", "{}");
  REQUIRE(r);
  REQUIRE(q->wait_for("closed room:a"));
  // no rejoin follows (the rejoin delay is 1 s)
  CHECK_FALSE(q->wait_for("joined room:a", 2500ms));
  CHECK(q->count("disconnected") == 0);
}

TEST_CASE("a refused connect (token=bad) is an auth failure, retried slowly",
          "[scenario]") {
  peer_server peer;
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto cfg = config_for(peer);
  cfg.connect_params = [] { return protocol::query_params{{"token", "bad"}}; };
  cfg.backoff.auth_retry = 45s;
  auto endpoint = c.start("p", cfg, q);
  c.join(endpoint, "room:a");
  REQUIRE(q->wait_for("disconnected auth"));
  REQUIRE(q->wait_for("reconnecting 1 45000ms auth"));
  CHECK(q->count("connected") == 0);
}

TEST_CASE("heartbeats are answered, and their replies never reach the consumer as "
          "messages",
          "[scenario]") {
  joined_client j{[](connection_config& cfg) {
    cfg.heartbeat.slow = 200ms;
    cfg.liveness.timeout = 150ms; // each ping judged before the next leaves
    cfg.report_heartbeats = true;
  }};
  auto& [peer, c, q, endpoint] = j;
  REQUIRE(q->wait_for("rtt "));
  REQUIRE(q->wait_for("rtt "));
  CHECK(q->count("message") == 0);
  CHECK(q->count("peer_dead") == 0);
}

TEST_CASE("presence: the joiner gets presence_state, others get presence_diff, as "
          "channel messages",
          "[scenario]") {
  peer_server peer;
  tree_client c;
  auto qa = std::make_shared<event_queue>();
  auto qb = std::make_shared<event_queue>();
  auto a = c.start("a", config_for(peer), qa);
  c.join(a, "presence:lobby", R"({"user":"alice","meta":{"mood":"ok"}})");
  REQUIRE(qa->wait_for("joined presence:lobby"));
  REQUIRE(qa->wait_for("message presence:lobby presence_state"));
  auto b = c.start("b", config_for(peer), qb);
  c.join(b, "presence:lobby", R"({"user":"bob"})");
  REQUIRE(qb->wait_for("joined presence:lobby"));
  REQUIRE(qb->wait_for("message presence:lobby presence_state"));
  CHECK(qa->wait_for("message presence:lobby presence_diff"));
}

namespace {

/// Runs the restart scenario: 200 pushes in flight when the server goes
/// (`how`), then it comes back on the same port.
template <class GoDown>
void restart_with_pushes_in_flight(GoDown go_down, bool log_complete) {
  joined_client j;
  auto& [peer, c, q, endpoint] = j;
  constexpr auto deadline = 4s;
  push_batch batch{c};
  // a slow push first: the server holds it, the echoes queue behind it
  batch.add(endpoint, "room:a", "slow", 0, deadline, R"(,"ms":50)");
  batch.send(endpoint, "room:a", "echo", 199, deadline, 1);
  go_down(peer);
  peer.start();
  batch.collect(deadline + 6s);
  // Every push ended: ok, never sent, or unknown (ack_timeout); none that
  // tether reports as never sent was handled by the server.
  auto never = batch.count(make_error(push_errc::never_sent));
  auto unknown = batch.count(make_error(push_errc::ack_timeout));
  CHECK(batch.ok() + never + unknown == batch.results->size());
  auto handled = peer.handled_ids();
  for (auto& r : *batch.results) {
    INFO("push " << r.id << ": " << outcome_of(c, *r.outcome));
    CHECK(r.at - batch.sent_at < deadline + 2s); // none hangs past its deadline
    if (*r.outcome && log_complete)
      CHECK(handled.count(r.id) == 1);
    else if (*r.outcome) // a killed server may not have written its last lines
      CHECK(handled.count(r.id) <= 1);
    else if (r.outcome->error() == make_error(push_errc::never_sent))
      CHECK(handled.count(r.id) == 0);
  }
  // and the client is back
  REQUIRE(q->wait_for("joined room:a", 10s));
  CHECK(c.push(endpoint, "room:a", "echo", R"({"id":1000})"));
}

} // namespace

TEST_CASE("a server stopped by SIGTERM with 200 pushes in flight: every push gets "
          "one outcome by its deadline, none reported unsent was handled",
          "[scenario]") {
  restart_with_pushes_in_flight([](peer_server& peer) { peer.stop(); }, true);
}

TEST_CASE("a server killed (SIGKILL) with 200 pushes in flight: every push gets one "
          "outcome by its deadline, none reported unsent was handled",
          "[scenario]") {
  restart_with_pushes_in_flight([](peer_server& peer) { peer.kill_hard(); }, false);
}

// -- the wire, frame by frame --------------------------------------------------------

namespace {

/// A raw socket to the scenario's server.
wire_session open_wire(socket_fixture& f, const peer_server& peer) {
  return wire_session{f, peer.socket_url() + "?vsn=2.0.0"};
}

} // namespace

TEST_CASE("a duplicate join closes the old one, a stale join_ref is routed by topic",
          "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto s = open_wire(f, peer);
  s.send(f.codec.encode_join("15", "room:dup"));
  CHECK(s.next().ref == "15");
  s.send(f.codec.encode_join("16", "room:dup"));
  auto second = s.next();
  CHECK(second.join_ref == "16");
  CHECK(status_of(second) == "ok");
  auto closed = s.next();
  CHECK(closed.event == "phx_close");
  CHECK(closed.join_ref == "15");
  CHECK(closed.ref == "15");
  s.send(f.codec.encode_push("15", "17", "room:dup", "echo", "{}"));
  auto routed = s.next();
  CHECK(routed.ref == "17");
  CHECK(routed.join_ref == "16"); // the reply carries the current join_ref
}

TEST_CASE("a join with no route is answered with a null join_ref", "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto s = open_wire(f, peer);
  s.send(f.codec.encode_join("18", "nope:x"));
  auto r = s.next();
  CHECK(r.ref == "18");
  CHECK_FALSE(r.join_ref.has_value());
  CHECK(protocol::parse_reply(r)->response == R"({"reason":"unmatched topic"})");
}

TEST_CASE("leave: a joined topic replies ok then closes, a never joined one replies "
          "ok, a stale join_ref is ignored",
          "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto s = open_wire(f, peer);
  s.send(f.codec.encode_join("1", "room:a"));
  CHECK(status_of(s.next()) == "ok");
  SECTION("never joined") {
    s.send(f.codec.encode_leave("3", "3", "room:never"));
    auto r = s.next();
    CHECK(r.ref == "3");
    CHECK(r.join_ref == "3");
    CHECK(status_of(r) == "ok");
    CHECK_FALSE(s.maybe_next(300ms)); // no phx_close for a channel that never was
  }
  SECTION("stale join_ref") {
    s.send(f.codec.encode_leave("9", "5", "room:a"));
    s.send(f.codec.encode_push("1", "6", "room:a", "echo", R"({"b":1})"));
    auto r = s.next(); // nothing for the leave: the echo's reply comes first
    CHECK(r.ref == "6");
    CHECK(r.join_ref == "1");
    CHECK(status_of(r) == "ok");
  }
  SECTION("joined") {
    s.send(f.codec.encode_leave("1", "2", "room:a"));
    auto r = s.next();
    CHECK(r.ref == "2");
    CHECK(status_of(r) == "ok");
    auto closed = s.next();
    CHECK(closed.event == "phx_close");
    CHECK(closed.ref == "1");
    s.send(f.codec.encode_push("1", "4", "room:a", "echo", "{}"));
    auto unmatched = s.next();
    CHECK_FALSE(unmatched.join_ref.has_value());
    CHECK(protocol::parse_reply(unmatched)->response == R"({"reason":"unmatched topic"})");
  }
}

TEST_CASE("a push right behind a crash is refused as unmatched topic until the rejoin",
          "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto s = open_wire(f, peer);
  s.send(f.codec.encode_join("1", "room:a"));
  s.next();
  s.send(f.codec.encode_push("1", "2", "room:a", "crash", "{}"));
  auto err = s.next();
  CHECK(err.event == "phx_error");
  CHECK(err.ref == "1"); // the join_ref, as its ref too
  CHECK(err.join_ref == "1");
  s.send(f.codec.encode_push("1", "3", "room:a", "echo", "{}"));
  auto r = s.next();
  CHECK(r.ref == "3");
  CHECK_FALSE(r.join_ref.has_value());
  CHECK(protocol::parse_reply(r)->response == R"({"reason":"unmatched topic"})");
}

TEST_CASE("a graceful server stop closes every socket with 1012", "[scenario][wire]") {
  // Read with a bare client: libwebsockets 4.1 reports a received 1012 as
  // 1002 (docs/transport.md), so tether's transport cannot see it.
  peer_server peer;
  raw_websocket ws{peer.port(), "/socket/websocket?vsn=2.0.0"};
  CHECK(ws.status_line().find(" 101 ") != std::string::npos);
  ws.send_text(R"(["1","1","room:a","phx_join",{}])");
  auto joined = ws.read_text();
  REQUIRE(joined);
  CHECK(joined->find(R"("status":"ok")") != std::string::npos);
  // read while the server stops: once it has exited, a reset could discard
  // the close frame still unread
  auto stopping = std::async(std::launch::async, [&] { peer.stop(); });
  auto code = ws.read_until_close();
  stopping.get();
  REQUIRE(code.has_value());
  CHECK(*code == 1012);
}

TEST_CASE("a refused upgrade is answered 403 with no body", "[scenario][wire]") {
  peer_server peer;
  raw_websocket ws{peer.port(), "/socket/websocket?vsn=2.0.0&token=bad"};
  CHECK(ws.status_line().find(" 403 ") != std::string::npos);
  CHECK(ws.headers().find("content-length: 0\r\n") != std::string::npos);
  CHECK(ws.headers().find("content-type") == std::string::npos);
  // Phoenix answers HTTP/1.1; libwebsockets answers an upgrade request with
  // HTTP/1.0 (docs/transport.md, "tether-hub and Phoenix 1.7")
  CHECK(ws.status_line().rfind(peer.is_phoenix() ? "HTTP/1.1" : "HTTP/1.0", 0) == 0);
}

TEST_CASE("V1 object frames (vsn=1.0.0) are served: join, echo, no join_ref in replies",
          "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto id = f.open({peer.socket_url() + "?vsn=1.0.0"});
  REQUIRE(f.next<socket_opened>().id == id);
  protocol::phoenix_v1_codec v1;
  auto next = [&] {
    auto m = f.next<socket_received>();
    auto fr = v1.decode(m.bytes, m.kind);
    REQUIRE(fr.has_value());
    return *fr;
  };
  REQUIRE_FALSE(f.send(id, R"({"topic":"room:v1","event":"phx_join","payload":{},"ref":"1"})"));
  auto joined = next();
  CHECK(joined.ref == "1");
  CHECK_FALSE(joined.join_ref.has_value());
  CHECK(protocol::parse_reply(joined)->status == "ok");
  REQUIRE_FALSE(f.send(id, R"({"topic":"room:v1","event":"echo","payload":{"a":1},"ref":"2"})"));
  auto echoed = next();
  CHECK(echoed.ref == "2");
  CHECK(protocol::parse_reply(echoed)->response == R"({"a":1})");
}

TEST_CASE("binary pushes get binary replies", "[scenario][wire]") {
  peer_server peer;
  socket_fixture f;
  auto s = open_wire(f, peer);
  s.send(f.codec.encode_join("1", "room:bin"));
  s.next();
  protocol::frame push{std::string{"1"}, std::string{"2"}, "room:bin", "echo",
                       std::string{"\x00\x01\xff", 3}, protocol::payload_format::binary, {}};
  s.send(f.codec.encode(push), true);
  auto r = s.next();
  CHECK(r.format == protocol::payload_format::binary);
  CHECK(r.reply_status == "ok");
  CHECK(r.payload == std::string("\x00\x01\xff", 3));
}

TEST_CASE("presence: every client's list converges through joins, a meta update, a second "
          "connection of one user, a leave and a stopped client", "[scenario][presence]") {
  // The peer's presence:* channel (Phoenix.Presence): join params name the
  // user and its meta; the joiner gets presence_state, every member gets
  // presence_diff. The tether-hub channel follows it.
  peer_server peer;
  tree_client c;
  const std::string topic = "presence:lobby";
  auto qa = std::make_shared<event_queue>();
  auto qb = std::make_shared<event_queue>();
  auto qx = std::make_shared<event_queue>();
  auto a = c.start("a", config_for(peer), qa);
  auto b = c.start("b", config_for(peer), qb);
  auto metas_of = [&](const connection_actor& who, const std::string& key) {
    for (auto& [k, p] : c.presence(who, topic))
      if (k == key)
        return p.metas;
    return std::vector<protocol::presence_meta>{};
  };

  // Without a user the channel refuses the join.
  c.join(b, "presence:nobody", R"({"meta":{}})");
  CHECK(qb->wait_for(R"(join_failed presence:nobody {"reason":"user required"})"));

  c.join(a, topic, R"({"user":"alice","meta":{"status":"here"}})");
  REQUIRE(qa->wait_for("presence " + topic + " +alice", "[alice]"));
  c.join(b, topic, R"({"user":"bob"})");
  REQUIRE(qb->wait_for("presence " + topic, "[alice,bob]"));
  REQUIRE(qa->wait_for("presence " + topic + " +bob", "[alice,bob]"));
  REQUIRE(metas_of(b, "alice").size() == 1);
  CHECK_THAT(metas_of(b, "alice")[0].json, Catch::Contains(R"("status":"here")"));

  // A meta update is a leave of the old meta and a join of the new one.
  CHECK(c.push(a, topic, "update_meta", R"({"status":"away"})"));
  REQUIRE(qb->wait_for("presence " + topic + " +alice -alice", "[alice,bob]"));
  auto metas = metas_of(b, "alice");
  REQUIRE(metas.size() == 1);
  CHECK_THAT(metas[0].json, Catch::Contains(R"("status":"away")"));
  CHECK_THAT(metas[0].json, Catch::Contains("phx_ref_prev"));

  // A second connection of alice: one key, two metas.
  auto x = c.start("x", config_for(peer), qx);
  c.join(x, topic, R"({"user":"alice","meta":{"status":"phone"}})");
  REQUIRE(qx->wait_for("presence " + topic, "[alice,bob]"));
  REQUIRE(qb->wait_for("presence " + topic + " +alice", "[alice,bob]"));
  CHECK(metas_of(b, "alice").size() == 2);
  CHECK(metas_of(x, "alice").size() == 2);

  // bob leaves: the others see him go; his own list is gone with the topic.
  (*c.self)->request(b, 10s, leave_atom::value, topic).receive([](caf::ok_atom) {}, [](caf::error&) {});
  REQUIRE(qa->wait_for("presence " + topic + " -bob", "[alice]"));
  REQUIRE(qx->wait_for("presence " + topic + " -bob", "[alice]"));
  CHECK(c.presence(b, topic).empty());

  // x's tree stops: its socket closes, and alice keeps one meta.
  (*c.self)->request(c.runtime, 10s, stop_atom::value, std::string{"x"})
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  REQUIRE(qa->wait_for("presence " + topic + " -alice", "[alice]"));
  REQUIRE(metas_of(a, "alice").size() == 1);
  CHECK_THAT(metas_of(a, "alice")[0].json, Catch::Contains(R"("status":"away")"));
}

TEST_CASE("join params from a reader are read again for the rejoin after a channel crash",
          "[scenario][presence]") {
  // The server sees the params: the presence channel tracks the join's
  // user, so the rejoin's key shows what was read for it.
  peer_server peer;
  tree_client c;
  const std::string topic = "presence:params";
  auto q = std::make_shared<event_queue>();
  auto a = c.start("a", config_for(peer), q);
  auto user = std::make_shared<std::string>("first");
  auto reader = join_params_reader{[user] { return R"({"user":")" + *user + R"("})"; }};
  (*c.self)->request(a, 10s, join_atom::value, topic, reader)
    .receive([](caf::ok_atom) {}, [&](caf::error& err) { FAIL(c.sys->render(err)); });
  REQUIRE(q->wait_for("presence " + topic, "[first]"));
  *user = "second";
  // The presence channel has no clause for "boom": it raises, phx_error.
  CHECK_FALSE(c.push(a, topic, "boom", "{}", 300ms));
  REQUIRE(q->wait_for("errored " + topic));
  REQUIRE(q->wait_for("presence " + topic, "[second]"));
}

TEST_CASE("a socket URL with vsn=1.0.0 speaks V1 (objects): join, push, a crash and its "
          "rejoin, presence", "[scenario]") {
  peer_server peer;
  tree_client c;
  auto q = std::make_shared<event_queue>();
  auto cfg = config_for(peer);
  cfg.url += "?vsn=1.0.0";
  auto a = c.start("v1", cfg, q);
  c.join(a, "room:v1");
  REQUIRE(q->wait_for("joined room:v1"));
  auto echo = c.push(a, "room:v1", "echo", R"({"n":1})");
  REQUIRE(echo);
  CHECK(*echo == R"({"n":1})");
  auto err = c.push(a, "room:v1", "err");
  REQUIRE_FALSE(err);
  CHECK(err.error() == make_error(push_errc::rejected));
  CHECK_FALSE(c.push(a, "room:v1", "crash", "{}", 300ms));
  REQUIRE(q->wait_for("errored room:v1"));
  REQUIRE(q->wait_for("joined room:v1"));
  CHECK(c.push(a, "room:v1", "echo", "{}"));
  c.join(a, "presence:v1", R"({"user":"old"})");
  REQUIRE(q->wait_for("presence presence:v1", "[old]"));
  CHECK(q->count("dropped") == 0); // every V1 frame was understood
}

TEST_CASE("a vsn tether does not speak is refused before any socket opens", "[scenario]") {
  peer_server peer;
  tree_client c;
  profile_config pc;
  pc.profile = "v3";
  pc.connection = config_for(peer);
  pc.connection.url += "?vsn=3.0.0";
  (*c.self)->request(c.runtime, 10s, start_atom::value, pc)
    .receive([](connection_actor&) { FAIL("started"); },
             [&](caf::error& e) { CHECK_THAT(c.sys->render(e), Catch::Contains("vsn")); });
  CHECK(c.sockets() == 0);
}

TEST_CASE("permessage-deflate: used when the server enables it, large frames cross it "
          "intact both ways, and a client may decline it",
          "[scenario]") {
  std::string big = R"({"text":")";
  while (big.size() < 100 * 1024)
    big += "the same words again and again ";
  big += R"("})";
  auto run = [&](const peer_options& server, bool offer) {
    peer_server peer{server};
    tree_client c;
    auto q = std::make_shared<event_queue>();
    auto cfg = config_for(peer);
    cfg.socket.compress = offer;
    auto a = c.start("z", cfg, q);
    c.join(a, "room:z");
    REQUIRE(q->wait_for("joined room:z"));
    auto echo = c.push(a, "room:z", "echo", big);
    REQUIRE(echo);
    CHECK(*echo == big);
    CHECK(q->count("dropped") == 0);
    return q->count("connected compressed") == 1;
  };
  SECTION("the server enables it (Phoenix: websocket: [compress: true])") {
    CHECK(run(peer_options{true}, true));
  }
  SECTION("the server does not (Phoenix's default)") {
    CHECK_FALSE(run(peer_options{false}, true));
  }
  SECTION("the client declines it (socket_options::compress = false)") {
    CHECK_FALSE(run(peer_options{true}, false));
  }
}

TEST_CASE("through an HTTP CONNECT proxy: the tree joins, pushes and rejoins after the "
          "server drops the socket, every socket through the proxy",
          "[scenario]") {
  peer_server peer;
  testing::connect_proxy proxy;
  transport_config tc;
  tc.proxy = protocol::proxy_settings::through(*protocol::parse_proxy_url(proxy.url()));
  tree_client c{tc};
  auto q = std::make_shared<event_queue>();
  auto a = c.start("via", config_for(peer), q);
  c.join(a, "room:via");
  REQUIRE(q->wait_for("joined room:via"));
  auto echo = c.push(a, "room:via", "echo", R"({"n":1})");
  REQUIRE(echo);
  CHECK(*echo == R"({"n":1})");
  peer.kill_hard();
  peer.start();
  if (!q->wait_for("disconnected"))
    FAIL("the restart was never noticed; events:\n" << q->history() << "tunnels "
                                                      << proxy.tunnels());
  REQUIRE(q->wait_for("joined room:via"));
  CHECK(c.push(a, "room:via", "echo", "{}"));
  CHECK(proxy.tunnels() >= 2); // the first socket and the one after the restart
  for (auto& target : proxy.requests())
    CHECK(target == "127.0.0.1:" + std::to_string(peer.port()));
}
