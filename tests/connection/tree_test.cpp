// The profile's tree on virtual time: the runtime's rules (one tree per
// profile, restart-safe handle, stop), failure containment, senders, the
// sandbox, close order and leaks.

#include <filesystem>

#include "actors/connection_state.hpp"
#include "storage/file_store.hpp"
#include "connection/tree_fixture.hpp"

using namespace tether;
using namespace tether::testing;
using namespace std::chrono_literals;

namespace {

/// The connection actor of the newest socket (the scripted transport knows
/// its owner): tests crash it from outside, as a bug would from inside.
caf::actor current_connection(tree& f) {
  return caf::actor_cast<caf::actor>(f.peer.state().opened.back().owner);
}

void crash(tree& f, const caf::actor& whom) {
  caf::anon_send_exit(whom, caf::exit_reason::kill);
  f.t.run();
}

std::string error_text(tree& f, const caf::error& err) {
  return f.t.sys().render(err);
}

} // namespace

TEST_CASE("starting a running profile fails with already_running carrying its endpoint",
          "[tree]") {
  tree f;
  profile_config again;
  again.profile = "test";
  again.connection.url = "ws://hub.test/socket/websocket";
  auto second = f.t.request<connection_actor>(f.runtime, start_atom::value, again);
  REQUIRE(second);
  REQUIRE_FALSE(*second);
  auto err = second->error();
  CHECK(err.code() == static_cast<uint8_t>(runtime_errc::already_running));
  REQUIRE(err.context().match_elements<caf::actor>());
  CHECK(err.context().get_as<caf::actor>(0) == caf::actor_cast<caf::actor>(f.conn));
  // and only one socket was ever asked for
  CHECK(f.peer.state().opened.size() == 1);
}

TEST_CASE("whereis finds the endpoint, stop frees the profile and tells the consumer",
          "[tree]") {
  tree f;
  auto found = f.t.request<connection_actor>(f.runtime, whereis_atom::value,
                                             std::string{"test"});
  REQUIRE(found);
  REQUIRE(*found);
  CHECK(**found == f.conn);
  auto id = f.joined();
  REQUIRE(f.t.request<caf::ok_atom>(f.runtime, stop_atom::value, std::string{"test"}));
  CHECK(f.log->lines.back() == "stopped stopped");
  CHECK(f.peer.state().closed.back().first == id);
  auto gone = f.t.request<connection_actor>(f.runtime, whereis_atom::value,
                                            std::string{"test"});
  REQUIRE(gone);
  CHECK(gone->error().code() == static_cast<uint8_t>(runtime_errc::not_running));
  // the name is free again at once
  profile_config again;
  again.profile = "test";
  again.connection.url = "ws://hub.test/socket/websocket";
  auto restarted = f.t.request<connection_actor>(f.runtime, start_atom::value, again);
  REQUIRE(restarted);
  CHECK(*restarted);
}

TEST_CASE("a bad profile config is refused with invalid_config and starts nothing",
          "[tree]") {
  tree f;
  profile_config bad;
  bad.profile = "other";
  bad.connection.url = "http://not-a-socket";
  auto res = f.t.request<connection_actor>(f.runtime, start_atom::value, bad);
  REQUIRE(res);
  REQUIRE_FALSE(*res);
  CHECK(res->error().code() == static_cast<uint8_t>(runtime_errc::invalid_config));
  bad.profile = "";
  bad.connection.url = "ws://hub.test/socket/websocket";
  res = f.t.request<connection_actor>(f.runtime, start_atom::value, bad);
  CHECK(res->error().code() == static_cast<uint8_t>(runtime_errc::invalid_config));
  CHECK(f.peer.state().opened.size() == 1);
}

TEST_CASE("a crashed connection restarts, rejoins with fresh refs and the handle "
          "keeps working",
          "[tree]") {
  tree f;
  auto first = f.joined("room:a"); // join ref "1"
  auto ok = f.push("room:a", "echo", "{}");
  f.peer.say(first, reply("1", "2", "room:a", "ok"));
  REQUIRE(ok->has_value());
  f.peer.take_sent();
  crash(f, current_connection(f));
  CHECK(f.log->count("disconnected connection ended") == 1);
  // the tree's supervisor reported the crash, as OTP's does
  CHECK(f.log->with_prefix("supervisor ")
        == lines{"supervisor profile:test child_terminated connection exit_reason(kill)"});
  // the dead connection's socket is closed; the new connection opens another
  CHECK(f.peer.state().closed.back().first == first);
  REQUIRE(f.peer.state().opened.size() == 2);
  auto second = f.peer.latest();
  f.peer.open(second);
  // the endpoint replayed the join; the ref counter survived: no ref reused
  CHECK(f.peer.take_sent() == lines{R"(["3","3","room:a","phx_join",{}])"});
  f.peer.say(second, reply("3", "3", "room:a", "ok"));
  auto again = f.push("room:a", "echo", "{}");
  CHECK(f.peer.take_sent() == lines{R"(["3","4","room:a","echo",{}])"});
  f.peer.say(second, reply("3", "4", "room:a", "ok"));
  REQUIRE(again->has_value());
  CHECK(again->value());
}

TEST_CASE("a push pending when the connection crashes resolves at once, never hangs",
          "[tree]") {
  tree f;
  auto id = f.joined();
  auto sent = f.push("room:a", "echo", "{}");
  f.peer.take_sent();
  f.peer.close(id); // the socket drops: the next push waits for a join
  auto queued = f.push("room:a", "later", "{}");
  crash(f, current_connection(f));
  REQUIRE(sent->has_value());
  CHECK((*sent)->error() == make_error(push_errc::ack_timeout)); // sent: outcome unknown
  REQUIRE(queued->has_value());
  CHECK((*queued)->error() == make_error(push_errc::never_sent));
}

TEST_CASE("crashes beyond the restart intensity stop the profile, and no other",
          "[tree]") {
  tree f;
  f.joined();
  // a second profile in the same runtime, joined on its own socket
  auto other_log = std::make_shared<event_log>();
  profile_config other;
  other.profile = "other";
  other.connection.url = "ws://hub.test/socket/websocket";
  other.consumer = f.t.own(spawn_recording_consumer(f.t.sys(), other_log));
  auto other_conn = f.t.request<connection_actor>(f.runtime, start_atom::value, other);
  REQUIRE(other_conn);
  REQUIRE(*other_conn);
  auto other_socket = f.peer.latest();
  f.peer.open(other_socket);
  auto test_connection = caf::actor_cast<caf::actor>(f.peer.state().opened[0].owner);
  // Elixir's default intensity: 3 restarts in 5 s; the 4th crash ends it.
  for (int i = 0; i < 4; ++i) {
    crash(f, test_connection);
    test_connection = current_connection(f);
    if (f.peer.state().opened.back().id == other_socket)
      break;
  }
  REQUIRE(f.log->lines.back().rfind("stopped ", 0) == 0);
  CHECK(f.log->lines.back().find("reached_max_restart_intensity") != std::string::npos);
  // every crash was reported, then the tree giving up
  auto reports = f.log->with_prefix("supervisor ");
  REQUIRE(reports.size() == 5);
  CHECK(reports.back()
        == "supervisor profile:test shutdown connection reached_max_restart_intensity");
  auto gone = f.t.request<connection_actor>(f.runtime, whereis_atom::value,
                                            std::string{"test"});
  CHECK(gone->error().code() == static_cast<uint8_t>(runtime_errc::not_running));
  // the other profile saw nothing but its own connect
  CHECK(other_log->lines == lines{"connected"});
  CHECK(**f.t.request<bool>(**other_conn, alive_atom::value));
}

TEST_CASE("a sender crash fails its topic's parked pushes promptly, other topics go on",
          "[tree]") {
  tree f;
  auto id = f.joined("room:a");
  f.join("room:b");
  f.peer.say(id, reply("2", "2", "room:b", "ok"));
  f.peer.take_sent();
  f.peer.state().hold_sends = true;
  auto a1 = f.push("room:a", "one", "{}");
  auto a2 = f.push("room:a", "two", "{}"); // parked behind a1 in a's sender
  auto b1 = f.push("room:b", "one", "{}");
  REQUIRE(f.peer.state().held.size() == 2); // a1 and b1: each topic's head
  auto sender_a = f.peer.state().held[0].from;
  crash(f, sender_a);
  // no time passed: sender_crashed now, not ack_timeout in 30 s
  REQUIRE(a1->has_value());
  CHECK((*a1)->error() == make_error(push_errc::sender_crashed));
  REQUIRE(a2->has_value());
  CHECK((*a2)->error() == make_error(push_errc::sender_crashed));
  CHECK_FALSE(b1->has_value());
  f.peer.state().hold_sends = false;
  f.peer.release_held(); // a1's frame is answered by nobody: it was failed
  auto sent = f.peer.take_sent();
  REQUIRE(sent.size() == 2);
  f.peer.say(id, reply("2", "5", "room:b", "ok")); // refs 3, 4, 5: a1, a2, b1
  REQUIRE(b1->has_value());
  CHECK(b1->value());
  // the next push to room:a starts a fresh sender and goes through
  auto a3 = f.push("room:a", "three", "{}");
  CHECK(f.peer.take_sent() == lines{R"(["1","6","room:a","three",{}])"});
  f.peer.say(id, reply("1", "6", "room:a", "ok"));
  REQUIRE(a3->has_value());
  CHECK(a3->value());
}

namespace {

/// Pushes once to room:a (ref 2) and has it answered; returns a watch on the
/// sender that carried it, caught while its send was held.
std::shared_ptr<std::optional<caf::error>> watch_sender_of_first_push(tree& f, socket_id id) {
  f.peer.take_sent();
  f.peer.state().hold_sends = true;
  auto p = f.push("room:a", "one", "{}");
  auto sender = f.peer.state().held.at(0).from;
  auto end = f.t.watch(sender);
  f.peer.state().hold_sends = false;
  f.peer.release_held();
  f.peer.say(id, reply("1", "2", "room:a", "ok"));
  REQUIRE(p->has_value());
  CHECK(p->value());
  return end;
}

} // namespace

TEST_CASE("an idle sender stops normally, fails nothing, and leaves no monitor",
          "[tree]") {
  connection_config cfg;
  cfg.sender_idle = 10s;
  tree f{cfg};
  auto id = f.joined();
  auto end = watch_sender_of_first_push(f, id);
  auto& conn = f.t.state_of<detail::connection_state>(
    caf::actor_cast<detail::connection_impl>(current_connection(f)));
  CHECK(conn.sender_topics.size() == 1);
  f.t.advance(10s);
  REQUIRE(end->has_value());
  CHECK_FALSE(**end); // a normal exit
  CHECK(conn.sender_topics.empty());
  CHECK(conn.senders.empty());
  auto q = f.push("room:a", "two", "{}");
  f.peer.say(id, reply("1", "3", "room:a", "ok"));
  REQUIRE(q->has_value());
  CHECK(q->value());
}

TEST_CASE("a sender's idle period starts over with each push", "[tree]") {
  connection_config cfg;
  cfg.sender_idle = 10s;
  tree f{cfg};
  auto id = f.joined();
  auto end = watch_sender_of_first_push(f, id);
  f.t.advance(6s);
  auto second = f.push("room:a", "two", "{}");
  f.peer.say(id, reply("1", "3", "room:a", "ok"));
  REQUIRE(second->has_value());
  f.t.advance(6s); // 12 s after the first push, 6 s after the second
  CHECK_FALSE(end->has_value());
  f.t.advance(3999ms);
  CHECK_FALSE(end->has_value());
  f.t.advance(1ms); // 10 s after the second
  REQUIRE(end->has_value());
  CHECK_FALSE(**end);
}

TEST_CASE("offline mode opens no socket, joins at once and confirms pushes with minted ids",
          "[tree]") {
  connection_config cfg;
  cfg.offline = true;
  tree f{cfg};
  f.join("room:a");
  auto first = f.push("room:a", "echo", "{}");
  auto second = f.push("room:a", "echo", "{}");
  REQUIRE(first->has_value());
  CHECK(**first == std::string{R"({"id":"offline-1"})"});
  CHECK(**second == std::string{R"({"id":"offline-2"})"});
  CHECK(f.log->lines == lines{"joined room:a"});
  CHECK(f.peer.state().opened.empty());
  CHECK(f.peer.state().sent.empty());
  auto bad = f.push("room:a", "echo", "{not json");
  CHECK((*bad)->error() == make_error(push_errc::invalid_payload));
}

/// A started tree, before any push: its supervisor, registry, ref counter,
/// connection, liveness, heartbeat, sender supervisor and the endpoint
/// (docs/architecture.md, the tree). A sender started later goes too.
constexpr size_t tree_actors = 8;

TEST_CASE("stopping a tree stops the heartbeat before the socket closes and leaves "
          "nothing behind",
          "[tree]") {
  auto baseline = [](tree& f) { return f.t.sys().registry().running(); };
  tree f;
  auto before_running = baseline(f);
  auto id = f.joined();
  f.t.advance(30s); // one heartbeat out
  CHECK(f.peer.take_sent() == lines{R"([null,"2","phoenix","heartbeat",{}])"});
  f.peer.say(id, reply("null", "2", "phoenix", "ok"));
  auto pending = f.push("room:a", "echo", "{}");
  f.t.advance(29999ms); // the next tick is 1 ms away
  REQUIRE(f.t.request<caf::ok_atom>(f.runtime, stop_atom::value, std::string{"test"}));
  auto sent_at_close = f.peer.state().sent.size();
  f.t.advance(1h);
  CHECK(f.peer.state().sent.size() == sent_at_close); // no tick after the close
  CHECK(f.peer.live_sockets() == 0);
  REQUIRE(pending->has_value());
  CHECK((*pending)->error() == make_error(push_errc::ack_timeout));
  CHECK(f.t.sched().clock().schedule().empty()); // no timer left
  // the tree's actors are all gone; the runtime and the test's own remain
  INFO("before " << before_running << ", after " << baseline(f));
  CHECK(baseline(f) == before_running - tree_actors);
}

TEST_CASE("1000 start and stop cycles leave no actor, timer, socket or reply behind",
          "[tree]") {
  tree f;
  REQUIRE(f.t.request<caf::ok_atom>(f.runtime, stop_atom::value, std::string{"test"}));
  f.t.advance(1h);
  auto running = f.t.sys().registry().running();
  for (int i = 0; i < 1000; ++i) {
    profile_config pc;
    pc.profile = "cycle";
    pc.connection.url = "ws://hub.test/socket/websocket";
    auto endpoint = f.t.request<connection_actor>(f.runtime, start_atom::value, pc);
    REQUIRE(endpoint);
    REQUIRE(*endpoint);
    auto id = f.peer.latest();
    f.peer.open(id);
    f.t.request<caf::ok_atom>(**endpoint, join_atom::value, std::string{"room:a"},
                              std::string{"{}"});
    auto push = f.t.request_async<std::string>(**endpoint, push_atom::value,
                                               std::string{"room:a"}, std::string{"e"},
                                               std::string{"{}"}, caf::timespan{0});
    f.t.run();
    REQUIRE(f.t.request<caf::ok_atom>(f.runtime, stop_atom::value, std::string{"cycle"}));
    REQUIRE(push->has_value()); // answered, not dropped
    CHECK_FALSE(**push);
  }
  f.t.advance(1h);
  CHECK(f.t.sys().registry().running() == running);
  CHECK(f.peer.live_sockets() == 0);
  CHECK(f.t.sched().clock().schedule().empty());
}

TEST_CASE("a reply that overtakes the sender's confirmation still resolves its push",
          "[tree]") {
  tree f;
  auto id = f.joined();
  f.peer.take_sent();
  f.peer.state().hold_sends = true; // the frame is out, the transport's ok is not
  auto p = f.push("room:a", "echo", "{}");
  REQUIRE(f.peer.state().held.size() == 1);
  f.peer.say(id, reply("1", "2", "room:a", "ok", R"({"fast":true})"));
  REQUIRE(p->has_value());
  CHECK(**p == std::string{R"({"fast":true})"});
  f.peer.state().hold_sends = false;
  f.peer.release_held(); // the late confirmation changes nothing
}

TEST_CASE("a tree started again rejoins its stored topics with the stored credentials",
          "[tree][storage]") {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tether-tree-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  auto store = std::make_shared<file_store>(tmpl);
  stored_profile creds;
  creds.connect_params = {{"token", "from-store"}};
  REQUIRE_FALSE(store->save("test", creds));
  {
    tree f{{}, store};
    CHECK(f.peer.state().opened.back().options.url
          == "ws://hub.test/socket/websocket?token=from-store&vsn=2.0.0");
    f.joined("room:a");
    f.join("room:b");
    f.join("room:c");
    REQUIRE(f.t.request<caf::ok_atom>(f.conn, leave_atom::value, std::string{"room:c"}));
  }
  auto saved = store->load("test");
  REQUIRE(saved);
  REQUIRE(*saved);
  CHECK((*saved)->connect_params == creds.connect_params); // untouched by the tree
  CHECK((*saved)->topics.size() == 2);
  {
    // a new process: a new runtime, the same store
    tree f{{}, store};
    auto id = f.peer.latest();
    f.peer.open(id);
    CHECK(f.peer.take_sent()
          == lines{R"(["1","1","room:a","phx_join",{}])", R"(["2","2","room:b","phx_join",{}])"});
  }
  std::filesystem::remove_all(tmpl);
}

namespace {

/// A store whose medium refuses every write.
struct full_disk_store final : profile_store {
  caf::expected<std::optional<stored_profile>> load(const std::string&) override {
    return std::optional<stored_profile>{};
  }
  caf::error save(const std::string&, const stored_profile&) override {
    return make_error(storage_errc::io_failed, "no space left on device");
  }
  caf::error erase(const std::string&) override {
    return {};
  }
  caf::expected<std::vector<std::string>> profiles() override {
    return std::vector<std::string>{};
  }
};

} // namespace

TEST_CASE("a store that refuses a write is reported to the consumer, the join goes on",
          "[tree][storage]") {
  tree f{{}, std::make_shared<full_disk_store>()};
  f.joined("room:a");
  CHECK(f.log->count("storage_failed io_failed") == 1);
  CHECK(f.log->count("joined room:a") == 1);
}

TEST_CASE("a network change sends a waiting reconnect at once and restarts the curve",
          "[tree][network]") {
  tree f;
  f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
  f.t.advance(1s);
  f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
  f.t.advance(2s);
  f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
  CHECK(f.log->lines.back() == "reconnecting 3 4000ms connect_error");
  auto attempts = f.peer.state().opened.size();
  caf::anon_send(f.runtime, net_event_atom::value, false);
  f.t.run();
  CHECK(f.peer.state().opened.size() == attempts + 1); // no virtual time passed
  // the pending 4 s retry was cancelled: nothing more opens when it is due
  f.t.advance(4s);
  CHECK(f.peer.state().opened.size() == attempts + 1);
  // the curve starts over: the next failure waits 1 s
  f.peer.fail(f.peer.latest(), transport_errc::connect_failed);
  CHECK(f.log->lines.back() == "reconnecting 1 1000ms connect_error");
}

TEST_CASE("a network change or a wake never cuts short the slow retry after refused "
          "credentials",
          "[tree][network]") {
  tree f;
  f.peer.fail(f.peer.latest(), transport_errc::auth_refused, 403);
  CHECK(f.log->lines.back() == "reconnecting 1 60000ms auth");
  auto attempts = f.peer.state().opened.size();
  caf::anon_send(f.runtime, net_event_atom::value, false);
  caf::anon_send(f.runtime, net_event_atom::value, true);
  f.t.run();
  CHECK(f.peer.state().opened.size() == attempts); // new credentials take a minute, not a route
  f.t.advance(60s);
  CHECK(f.peer.state().opened.size() == attempts + 1);
}

TEST_CASE("after a wake-up an open socket is replaced at once, after a network change "
          "it is kept",
          "[tree][network]") {
  tree f;
  auto id = f.joined();
  caf::anon_send(f.runtime, net_event_atom::value, false);
  f.t.run();
  CHECK(f.peer.latest() == id); // a working socket survives an address change
  CHECK(f.peer.live_sockets() == 1);
  caf::anon_send(f.runtime, net_event_atom::value, true);
  f.t.run();
  CHECK(f.log->lines.back() == "reconnecting 1 0ms wake");
  CHECK(f.peer.state().closed.back().first == id);
  f.t.advance(0s);
  CHECK(f.peer.latest() != id); // a new socket, with no wait
}

TEST_CASE("a push with an idempotency key carries it, and a retry while it is in flight "
          "shares its outcome",
          "[tree][idempotency]") {
  tree f;
  auto id = f.joined();
  f.peer.take_sent();
  auto keyed = [&](const std::string& key) {
    auto slot = f.t.request_async<std::string>(f.conn, push_atom::value, std::string{"room:a"},
                                               std::string{"pay"}, std::string{R"({"n":1})"},
                                               caf::timespan{0}, idempotency_key{key});
    f.t.run();
    return slot;
  };
  auto first = keyed("order-7");
  auto retry = keyed("order-7"); // the caller retried before an answer came
  CHECK(f.peer.take_sent()
        == lines{R"(["1","2","room:a","pay",{"n":1,"idempotency_key":"order-7"}])"});
  f.peer.say(id, reply("1", "2", "room:a", "ok", R"({"paid":true})"));
  REQUIRE(first->has_value());
  REQUIRE(retry->has_value());
  CHECK(**first == std::string{R"({"paid":true})"});
  CHECK(**retry == std::string{R"({"paid":true})"});
  // resolved: the key is free, a later push with it is sent again (the
  // server decides what a repeated key means)
  auto later = keyed("order-7");
  auto resent = f.peer.take_sent();
  REQUIRE(resent.size() == 1);
  CHECK(resent[0] == R"(["1","3","room:a","pay",{"n":1,"idempotency_key":"order-7"}])");
  f.peer.say(id, reply("1", "3", "room:a", "error", R"({"reason":"already paid"})"));
  REQUIRE(later->has_value()); // its own outcome, not the first push's
  CHECK((*later)->error() == make_error(push_errc::rejected));
  CHECK(response_of((*later)->error()) == R"({"reason":"already paid"})");
  auto not_object = f.t.request<std::string>(f.conn, push_atom::value, std::string{"room:a"},
                                             std::string{"pay"}, std::string{"[1]"},
                                             caf::timespan{0}, idempotency_key{"k"});
  CHECK(not_object->error() == make_error(push_errc::invalid_payload));
}

TEST_CASE("inside a real tree, a stop ends the heartbeat, then liveness, then the "
          "socket and the connection, then the ref counter",
          "[tree]") {
  // The close order of seed 000, as docs/architecture.md states it: nothing
  // ticks on a socket being closed, and refs outlive every user of them.
  tree f;
  f.joined();
  auto tree_sup = f.t.request<caf::actor>(caf::actor_cast<detail::runtime_impl>(f.runtime),
                                          detail::tree_of_atom::value, std::string{"test"});
  REQUIRE(tree_sup);
  REQUIRE(*tree_sup);
  auto children = f.t.request<std::vector<sup::child_info>>(
    caf::actor_cast<sup::supervisor_actor>(**tree_sup), sup::which_atom::value);
  REQUIRE(children);
  REQUIRE(*children);
  // each child's end, with how many sockets the transport had closed by then
  auto ends = std::make_shared<std::vector<std::pair<std::string, size_t>>>();
  for (auto& c : **children)
    if (c.handle)
      c.handle->attach_functor([ends, id = c.id, &peer = f.peer](const caf::error&) {
        ends->emplace_back(id, peer.state().closed.size());
      });
  REQUIRE(f.t.request<caf::ok_atom>(f.runtime, stop_atom::value, std::string{"test"}));
  f.t.run();
  auto position = [&](const std::string& id) {
    for (size_t i = 0; i < ends->size(); ++i)
      if ((*ends)[i].first == id)
        return i;
    FAIL("no end recorded for " << id);
    return size_t{0};
  };
  auto hb = position("heartbeat"), lv = position("liveness");
  auto conn = position("connection"), refs = position("ref_counter");
  CHECK(hb < lv);
  CHECK(lv < conn);
  CHECK(conn < refs);
  CHECK((*ends)[hb].second == 0); // the socket was still open when the heartbeat ended
  CHECK((*ends)[lv].second == 0);
  CHECK((*ends)[refs].second == 1); // and closed before the ref counter went
}
