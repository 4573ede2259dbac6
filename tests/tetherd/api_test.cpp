// The control API's pure half: routes, request bodies, the bearer check, the
// account states folded from events, and the Prometheus text.

#include <catch2/catch.hpp>

#include <sstream>

#include "apps/tetherd/api_routes.hpp"
#include "apps/tetherd/metrics.hpp"

using namespace tether;
using namespace tether::daemon;
using namespace std::chrono_literals;

TEST_CASE("routes name the account and the action, and refuse the wrong method",
          "[tetherd]") {
  CHECK(match_route("POST", "/reload").kind == route_kind::reload);
  CHECK(match_route("GET", "/reload").kind == route_kind::bad_method);
  CHECK(match_route("GET", "/accounts").kind == route_kind::list_accounts);
  auto r = match_route("POST", "/accounts/alice/push");
  CHECK(r.kind == route_kind::push);
  CHECK(r.account == "alice");
  CHECK(match_route("GET", "/accounts/bob").kind == route_kind::get_account);
  CHECK(match_route("GET", "/accounts/alice/push").kind == route_kind::bad_method);
  CHECK(match_route("POST", "/metrics").kind == route_kind::bad_method);
  CHECK(match_route("GET", "/metrics").kind == route_kind::metrics);
  CHECK(match_route("POST", "/accounts/alice/explode").kind == route_kind::not_found);
  CHECK(match_route("GET", "/accounts//push").kind == route_kind::not_found);
  CHECK(match_route("GET", "/").kind == route_kind::not_found);
  // the topic is the rest of the path, '/' and ':' included
  auto p = match_route("GET", "/accounts/alice/presence/presence:a/b");
  CHECK(p.kind == route_kind::presence);
  CHECK(p.account == "alice");
  CHECK(p.topic == "presence:a/b");
  CHECK(match_route("POST", "/accounts/alice/presence/x").kind == route_kind::bad_method);
  CHECK(match_route("GET", "/accounts/alice/presence/").kind == route_kind::not_found);
}

TEST_CASE("a push body must name topic and event; payload is an object; "
          "unknown members are refused",
          "[tetherd]") {
  auto ok = parse_push_body(
    R"({"topic":"room:a","event":"echo","payload":{"n":1},"timeout_ms":500,"idempotency_key":"k1"})");
  REQUIRE(ok.index() == 0);
  auto& p = std::get<push_body>(ok);
  CHECK(p.topic == "room:a");
  CHECK(p.payload == R"({"n":1})");
  CHECK(p.timeout == 500ms);
  CHECK(p.idempotency_key == "k1");
  auto status = [](const std::string& body) {
    auto r = parse_push_body(body);
    REQUIRE(r.index() == 1);
    return std::get<api_response>(r);
  };
  CHECK(status("not json").status == 400);
  CHECK(status("[]").body == R"({"error":"bad_request","message":"the body must be a JSON object"})");
  CHECK(status(R"({"topic":"t"})").body.find("event") != std::string::npos);
  CHECK(status(R"({"topic":"t","event":"e","payload":[1]})").body.find("payload")
        != std::string::npos);
  CHECK(status(R"({"topic":"t","event":"e","timeout_ms":0})").status == 400);
  CHECK(status(R"({"topic":"t","event":"e","evnt":"x"})").body.find("evnt")
        != std::string::npos);
  auto join = parse_topic_body(R"({"topic":"room:b","params":{"since":1}})");
  REQUIRE(join.index() == 0);
  CHECK(std::get<topic_body>(join).params == R"({"since":1})");
  CHECK(parse_topic_body(R"({"params":{}})").index() == 1);
}

TEST_CASE("only the exact bearer token passes", "[tetherd]") {
  CHECK(bearer_matches("Bearer s3cret", "s3cret"));
  CHECK_FALSE(bearer_matches("Bearer s3cre", "s3cret"));
  CHECK_FALSE(bearer_matches("Bearer s3cretx", "s3cret"));
  CHECK_FALSE(bearer_matches("bearer s3cret", "s3cret"));
  CHECK_FALSE(bearer_matches("", "s3cret"));
  CHECK_FALSE(bearer_matches("Bearer ", "")); // no token configured: nothing passes
  CHECK(account_filter("account=alice&x=1") == "alice");
  CHECK(account_filter("x=1&account=bob") == "bob");
  CHECK(account_filter("") == "");
}

namespace {
const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours{1};
} // namespace

TEST_CASE("an account's uptime is the age of its current socket, on the clock it is given",
          "[tetherd]") {
  auto s = starting_status(false, {});
  auto json = [&](auto now) { return to_json("a", "node-1", s, now); };
  CHECK(json(t0).find(R"("node":"node-1")") != std::string::npos);
  CHECK(json(t0).find(R"("uptime_ms":null)") != std::string::npos); // no socket yet
  fold_event(s, connected{1}, t0);
  CHECK(json(t0 + 1500ms).find(R"("uptime_ms":1500)") != std::string::npos);
  fold_event(s, disconnected{"closed_by_peer"}, t0 + 2s);
  CHECK(json(t0 + 3s).find(R"("uptime_ms":null)") != std::string::npos);
  fold_event(s, connected{2}, t0 + 4s); // a new socket starts from zero
  CHECK(json(t0 + 4s + 250ms).find(R"("uptime_ms":250)") != std::string::npos);
  fold_event(s, stopped{"shutdown"}, t0 + 5s);
  CHECK(json(t0 + 6s).find(R"("uptime_ms":null)") != std::string::npos);
}

TEST_CASE("an account's topics are truthful from start to stop", "[tetherd]") {
  auto s = starting_status(false, {{"room:a", "{}"}, {"room:reject", "{}"}});
  CHECK(s.state == account_state::connecting);
  CHECK(s.topics == std::map<std::string, std::string>{{"room:a", "joining"},
                                                       {"room:reject", "joining"}});
  fold_event(s, connected{1}, t0);
  fold_event(s, topic_joined{"room:a", "{}"}, t0);
  fold_event(s, join_failed{"room:reject", R"({"reason":"unauthorized"})"}, t0);
  CHECK(s.topics.at("room:reject") == "failed");
  fold_event(s, topic_joined{"room:b", "{}"}, t0);
  fold_event(s, topic_left{"room:b"}, t0); // left through the API: gone, not "joined"
  CHECK(s.topics.count("room:b") == 0);
  close_topics(s); // the account is stopped: nothing is joined any more
  CHECK(s.topics == std::map<std::string, std::string>{{"room:a", "closed"},
                                                       {"room:reject", "closed"}});
  fold_event(s, stopped{"shutdown"}, t0);
  CHECK(s.topics.at("room:a") == "closed");
  CHECK(event_json("a", topic_left{"room:b"})
        == R"({"account":"a","type":"topic_left","topic":"room:b"})");
}

TEST_CASE("an offline account says so, joined topics or not", "[tetherd]") {
  auto s = starting_status(true, {{"room:a", "{}"}});
  CHECK(s.state == account_state::offline);
  fold_event(s, topic_joined{"room:a", "{}"}, t0); // the sandbox joins at once
  CHECK(s.state == account_state::offline);
  CHECK(s.topics.at("room:a") == "joined");
  CHECK(to_json("d", "n1", s, t0).find(R"("state":"offline")") != std::string::npos);
}

TEST_CASE("an account's state follows its tree's events", "[tetherd]") {
  account_status s;
  CHECK(s.state == account_state::connecting);
  fold_event(s, connected{7}, t0);
  CHECK(s.state == account_state::connected);
  CHECK(s.socket == 7);
  fold_event(s, topic_joined{"room:a", "{}"}, t0);
  CHECK(s.state == account_state::joined);
  fold_event(s, heartbeat_answered{caf::timespan{1500us}}, t0);
  CHECK(s.rtt_us == 1500);
  fold_event(s, disconnected{"closed_by_peer"}, t0);
  CHECK(s.topics.at("room:a") == "joining");
  fold_event(s, reconnect_scheduled{2, caf::timespan{2s}, "closed_by_peer", caf::timespan{3s}}, t0);
  CHECK(s.state == account_state::reconnecting);
  CHECK(s.attempt == 2);
  CHECK(s.delay_ms == 2000);
  CHECK(s.reconnects == 1);
  fold_event(s, connected{8}, t0);
  CHECK(s.socket == 8);
  CHECK(s.attempt == 0);
  fold_event(s, channel_closed{"room:a"}, t0);
  CHECK(s.topics.empty());
  fold_event(s, stopped{"shutdown"}, t0);
  CHECK(s.state == account_state::stopped);
  CHECK(to_json("a", "n1", s, t0).find(R"("state":"stopped")") != std::string::npos);
  CHECK(event_json("a", message_received{"room:a", "news", R"({"x":1})"})
        == R"({"account":"a","type":"message_received","topic":"room:a","event":"news","payload":{"x":1}})");
}

TEST_CASE("metrics render as Prometheus text: states, counters, a cumulative "
          "histogram",
          "[tetherd]") {
  metrics m;
  m.count("a", heartbeat_answered{caf::timespan{800us}});
  m.count("a", heartbeat_answered{caf::timespan{30ms}});
  m.count("a", reconnect_scheduled{1, caf::timespan{1s}, "x", caf::timespan{0}});
  for (int i = 0; i < 2; ++i)
    m.count("b", supervisor_reported{"profile:b", "child_terminated", "connection", "boom"});
  m.pushes["ok"] = 3;
  m.pushes["ack_timeout"] = 1;
  std::map<std::string, account_status> accounts;
  accounts["a"].state = account_state::joined;
  accounts["b"].state = account_state::reconnecting;
  auto text = render_prometheus(m, accounts, 42);
  auto has = [&](const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
  };
  CHECK(has(R"(tether_connections{state="joined"} 1)"));
  CHECK(has(R"(tether_connections{state="reconnecting"} 1)"));
  CHECK(has(R"(tether_connections{state="stopped"} 0)"));
  CHECK(has("tether_reconnects_total 1"));
  CHECK(has(R"(tether_reconnects_by_cause_total{cause="x"} 1)"));
  CHECK(has(R"(tether_heartbeat_rtt_seconds_bucket{le="0.0005"} 0)"));
  CHECK(has(R"(tether_heartbeat_rtt_seconds_bucket{le="0.001"} 1)"));
  CHECK(has(R"(tether_heartbeat_rtt_seconds_bucket{le="0.05"} 2)"));
  CHECK(has(R"(tether_heartbeat_rtt_seconds_bucket{le="+Inf"} 2)"));
  CHECK(has("tether_heartbeat_rtt_seconds_count 2"));
  CHECK(has(R"(tether_pushes_total{outcome="ok"} 3)"));
  CHECK(has(R"(tether_supervisor_reports_total{account="b",context="child_terminated",child="connection"} 2)"));
  CHECK(has("tether_actors_alive 42"));
  // every sample line is "name{labels} value" or "name value"
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0)
      continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    CHECK_NOTHROW(std::stod(line.substr(space + 1)));
  }
}

TEST_CASE("metrics per account: up, topics, reconnects, drops, last RTT, pushes by "
          "outcome; a removed account's series go with it",
          "[tetherd]") {
  metrics m;
  m.count_push("a", "ok");
  m.count_push("a", "ok");
  m.count_push("b", "ack_timeout");
  m.count_push("gone", "ok");
  std::map<std::string, account_status> accounts;
  auto& a = accounts["a"];
  fold_event(a, connected{1}, t0);
  fold_event(a, topic_joined{"room:x", "{}"}, t0);
  fold_event(a, heartbeat_answered{caf::timespan{2500us}}, t0);
  fold_event(a, frame_dropped{"foreign_topic", "room:zz", 3}, t0);
  auto& b = accounts["b"];
  fold_event(b, disconnected{"closed_by_peer"}, t0);
  fold_event(b, reconnect_scheduled{1, caf::timespan{1s}, "closed_by_peer", caf::timespan{0}}, t0);
  auto text = render_prometheus(m, accounts, 1);
  auto has = [&](const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
  };
  CHECK(has(R"(tether_account_up{account="a"} 1)"));
  CHECK(has(R"(tether_account_up{account="b"} 0)"));
  CHECK(has(R"(tether_account_topics_joined{account="a"} 1)"));
  CHECK(has(R"(tether_account_reconnects_total{account="b"} 1)"));
  CHECK(has(R"(tether_account_frames_dropped_total{account="a"} 3)"));
  CHECK(has(R"(tether_account_heartbeat_rtt_seconds{account="a"} 0.0025)"));
  CHECK(text.find(R"(tether_account_heartbeat_rtt_seconds{account="b"})") == std::string::npos);
  CHECK(has(R"(tether_account_pushes_total{account="a",outcome="ok"} 2)"));
  CHECK(has(R"(tether_account_pushes_total{account="b",outcome="ack_timeout"} 1)"));
  CHECK(text.find(R"(account="gone")") == std::string::npos);
  CHECK(has(R"(tether_pushes_total{outcome="ok"} 3)")); // the totals keep every push
}
