#include "testing/recording_consumer.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/events.hpp"

namespace tether::testing {

size_t event_log::count(const std::string& prefix) const {
  size_t n = 0;
  for (auto& line : lines)
    n += line.rfind(prefix, 0) == 0;
  return n;
}

std::vector<std::string> event_log::with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto& line : lines)
    if (line.rfind(prefix, 0) == 0)
      out.push_back(line);
  return out;
}

std::string describe(const event& e) {
  auto ms = [](caf::timespan d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count())
           + "ms";
  };
  // One line per event, no catch-all: an event added to `event` and not
  // described here does not compile.
  return std::visit(
    overloaded{
      [](const connected& e) {
        return std::string{e.compressed ? "connected compressed" : "connected"};
      },
      [](const topic_joined& e) { return "joined " + e.topic; },
      [](const join_failed& e) { return "join_failed " + e.topic + " " + e.response; },
      [](const topic_left& e) { return "left " + e.topic; },
      [](const message_received& e) {
        return "message " + e.topic + " " + e.event + " " + e.payload;
      },
      [](const channel_errored& e) { return "errored " + e.topic; },
      [](const channel_closed& e) { return "closed " + e.topic; },
      [](const disconnected& e) { return "disconnected " + e.cause; },
      [ms](const reconnect_scheduled& e) {
        return "reconnecting " + std::to_string(e.attempt) + " " + ms(e.delay) + " " + e.cause;
      },
      [](const reconnect_abandoned&) { return std::string{"gave_up"}; },
      [](const peer_dead&) { return std::string{"peer_dead"}; },
      [](const peer_status& e) { return "peer_status " + e.response; },
      [ms](const heartbeat_answered& e) { return "rtt " + ms(e.rtt); },
      [](const stopped& e) { return "stopped " + e.reason; },
      [](const storage_failed& e) { return "storage_failed " + e.detail; },
      [](const supervisor_reported& e) {
        return "supervisor " + e.supervisor + " " + e.context + " " + e.child + " " + e.reason;
      },
      [](const frame_dropped& e) {
        return "dropped " + e.reason + " " + e.detail + " x" + std::to_string(e.count);
      },
      [](const presence_synced& e) { // "presence room:1 +alice -bob [alice,carol]"
        std::string out = "presence " + e.topic;
        for (auto& j : e.joins)
          out += " +" + j.key;
        for (auto& l : e.leaves)
          out += " -" + l.key;
        out += " [";
        for (size_t i = 0; i < e.list.size(); ++i)
          out += (i ? "," : "") + e.list[i].first;
        return out + "]";
      },
    },
    e);
}

caf::actor spawn_recording_consumer(caf::actor_system& sys,
                                    std::shared_ptr<event_log> log) {
  return sys.spawn([log]() -> caf::behavior {
    return {[log](event& e) {
      log->lines.push_back(describe(e));
      log->events.push_back(std::move(e));
    }};
  });
}

} // namespace tether::testing
