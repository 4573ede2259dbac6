#pragma once
// One profile's tree on virtual time: a runtime with a scripted transport,
// a recording consumer, and helpers to play the server.

#include <catch2/catch.hpp>

#include <caf/send.hpp>

#include "actors/runtime.hpp"
#include "testing/deterministic_system.hpp"
#include "testing/recording_consumer.hpp"
#include "testing/scripted_transport.hpp"

namespace tether::testing {

using lines = std::vector<std::string>;

inline std::string reply(const std::string& join_ref, const std::string& ref,
                  const std::string& topic, const std::string& status,
                  const std::string& response = "{}") {
  return "[" + (join_ref == "null" ? join_ref : "\"" + join_ref + "\"") + ",\"" + ref
         + "\",\"" + topic + "\",\"phx_reply\",{\"response\":" + response
         + ",\"status\":\"" + status + "\"}]";
}

struct tree {
  deterministic_system t;
  std::shared_ptr<event_log> log = std::make_shared<event_log>();
  transport_actor transport = t.own(spawn_scripted_transport(t.sys()));
  scripted_peer peer{t, transport};
  runtime_actor runtime;
  connection_actor conn;

  explicit tree(connection_config cfg = {}, profile_store_ptr store = nullptr) {
    if (cfg.url.empty())
      cfg.url = "ws://hub.test/socket/websocket";
    runtime_config rc;
    rc.transport = transport;
    rc.watch_system = false; // no threads on the deterministic scheduler
    runtime = t.own(spawn_runtime(t.sys(), rc));
    profile_config pc;
    pc.profile = "test";
    pc.connection = std::move(cfg);
    pc.store = std::move(store);
    pc.consumer = t.own(spawn_recording_consumer(t.sys(), log));
    auto started = t.request<connection_actor>(runtime, start_atom::value, pc);
    REQUIRE(started);
    REQUIRE(*started);
    conn = **started;
    t.run();
  }

  void join(const std::string& topic) {
    REQUIRE(t.request<caf::ok_atom>(conn, join_atom::value, topic, std::string{"{}"})
              .has_value());
  }

  /// Opens the first socket and completes the join of `topic` ("1").
  socket_id joined(const std::string& topic = "room:a") {
    join(topic);
    auto id = peer.latest();
    peer.open(id);
    peer.take_sent();
    peer.say(id, reply("1", "1", topic, "ok"));
    return id;
  }

  std::shared_ptr<std::optional<caf::expected<std::string>>>
  push(const std::string& topic, const std::string& event, const std::string& payload,
       caf::timespan timeout = caf::timespan{0}) {
    auto slot = t.request_async<std::string>(conn, push_atom::value, topic, event,
                                             payload, timeout);
    t.run();
    return slot;
  }
};

} // namespace tether::testing
