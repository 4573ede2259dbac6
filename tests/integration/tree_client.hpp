#pragma once
// Profile trees in a real actor system (real threads, the libwebsockets
// transport) against tether-hub on loopback. Consumers write their events to
// a queue the test waits on, each wait bounded by a deadline.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/events.hpp"
#include "actors/runtime.hpp"
#include "testing/hub_process.hpp"
#include "testing/recording_consumer.hpp"

namespace tether::testing {

using namespace std::chrono_literals;

/// Events of one profile as lines ("joined room:a", "disconnected …").
class event_queue {
public:
  void push(std::string line) {
    std::lock_guard<std::mutex> guard{mtx_};
    lines_.push_back(std::move(line));
    all_.push_back(lines_.back());
    cv_.notify_all();
  }

  /// Consumes lines until one starts with `prefix`; false at the deadline.
  bool wait_for(const std::string& prefix, std::chrono::milliseconds limit = 10s) {
    return wait_for(prefix, "", limit);
  }

  /// Consumes lines until one starts with `prefix` and ends with `suffix`.
  bool wait_for(const std::string& prefix, const std::string& suffix,
                std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> guard{mtx_};
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      while (!lines_.empty()) {
        auto line = std::move(lines_.front());
        lines_.pop_front();
        if (line.rfind(prefix, 0) == 0 && line.size() >= suffix.size()
            && line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0)
          return true;
      }
      if (cv_.wait_until(guard, deadline) == std::cv_status::timeout && lines_.empty())
        return false;
    }
  }

  /// Every event seen so far that starts with `prefix`.
  size_t count(const std::string& prefix) {
    std::lock_guard<std::mutex> guard{mtx_};
    size_t n = 0;
    for (auto& line : all_)
      n += line.rfind(prefix, 0) == 0;
    return n;
  }

  /// Every event seen so far, one line each (for a failing test's report).
  std::string history() {
    std::lock_guard<std::mutex> guard{mtx_};
    std::string out;
    for (auto& line : all_)
      out += line + "\n";
    return out;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  std::deque<std::string> all_;
};

inline caf::actor spawn_queue_consumer(caf::actor_system& sys,
                                       std::shared_ptr<event_queue> q) {
  return sys.spawn([q]() -> caf::behavior {
    return {[q](event& e) { q->push(describe(e)); }};
  });
}

struct tree_client {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  transport_actor transport;
  runtime_actor runtime;

  explicit tree_client(transport_config tcfg = {}) {
    add_error_categories(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    transport = spawn_transport(*sys, std::move(tcfg));
    runtime_config rc;
    rc.transport = transport;
    runtime = spawn_runtime(*sys, rc);
  }

  ~tree_client() {
    (*self)->send_exit(runtime, caf::exit_reason::user_shutdown);
    (*self)->send_exit(transport, caf::exit_reason::user_shutdown);
    self.reset();
  }

  /// A config for the hub with a fast retry, so tests wait little.
  static connection_config config_for(const hub_process& hub) {
    return config_for("ws://127.0.0.1:" + std::to_string(hub.port()) + "/socket/websocket");
  }

  /// The same for any server's socket URL.
  static connection_config config_for(std::string url) {
    connection_config c;
    c.url = std::move(url);
    c.backoff.initial = 100ms;
    c.backoff.ceiling = 1s;
    c.socket.connect_timeout = 2s;
    return c;
  }

  connection_actor start(const std::string& profile, connection_config c,
                         std::shared_ptr<event_queue> q) {
    profile_config pc;
    pc.profile = profile;
    pc.connection = std::move(c);
    pc.consumer = spawn_queue_consumer(*sys, std::move(q));
    connection_actor out;
    (*self)->request(runtime, 10s, start_atom::value, pc)
      .receive([&](connection_actor& h) { out = std::move(h); },
               [&](caf::error& err) { FAIL("start failed: " << sys->render(err)); });
    return out;
  }

  void join(const connection_actor& endpoint, const std::string& topic,
            const std::string& params = "{}") {
    (*self)->request(endpoint, 10s, join_atom::value, topic, params)
      .receive([](caf::ok_atom) {},
               [&](caf::error& err) { FAIL("join refused: " << sys->render(err)); });
  }

  /// Pushes and waits for the outcome (the server's response or an error).
  caf::expected<std::string> push(const connection_actor& endpoint,
                                  const std::string& topic, const std::string& event,
                                  const std::string& payload = "{}",
                                  caf::timespan timeout = caf::timespan{0}) {
    caf::expected<std::string> out{caf::sec::request_timeout};
    (*self)->request(endpoint, 40s, push_atom::value, topic, event, payload, timeout)
      .receive([&](std::string& response) { out = std::move(response); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  /// `topic`'s presence list as the profile holds it now.
  std::vector<std::pair<std::string, protocol::presence>>
  presence(const connection_actor& endpoint, const std::string& topic) {
    std::vector<std::pair<std::string, protocol::presence>> out;
    (*self)->request(endpoint, 10s, presence_atom::value, topic)
      .receive([&](presence_list& l) { out = std::move(l.entries); },
               [&](caf::error& err) { FAIL("presence query failed: " << sys->render(err)); });
    return out;
  }

  /// The profile's current connection actor (through its tree's supervisor).
  caf::actor connection_of(const std::string& profile) {
    caf::actor tree;
    (*self)->request(caf::actor_cast<detail::runtime_impl>(runtime), 10s,
                     detail::tree_of_atom::value, profile)
      .receive([&](caf::actor& t) { tree = std::move(t); }, [](caf::error&) {});
    REQUIRE(tree);
    caf::actor conn;
    (*self)->request(caf::actor_cast<sup::supervisor_actor>(tree), 10s,
                     sup::which_atom::value)
      .receive(
        [&](std::vector<sup::child_info>& children) {
          for (auto& c : children)
            if (c.id == "connection")
              conn = c.handle;
        },
        [](caf::error&) {});
    REQUIRE(conn);
    return conn;
  }

  size_t sockets() {
    size_t n = 0;
    (*self)->request(transport, 10s, count_atom::value)
      .receive([&](size_t x) { n = x; }, [](caf::error&) {});
    return n;
  }
};

} // namespace tether::testing
