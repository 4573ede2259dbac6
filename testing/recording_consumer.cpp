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

caf::actor spawn_recording_consumer(caf::actor_system& sys,
                                    std::shared_ptr<event_log> log) {
  auto secs = [](caf::timespan d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count())
           + "ms";
  };
  return sys.spawn([log, secs]() -> caf::behavior {
    return {
      [log](connected&) { log->lines.push_back("connected"); },
      [log](topic_joined& e) { log->lines.push_back("joined " + e.topic); },
      [log](join_failed& e) { log->lines.push_back("join_failed " + e.topic + " " + e.response); },
      [log](message_received& e) {
        log->lines.push_back("message " + e.topic + " " + e.event + " " + e.payload);
      },
      [log](channel_errored& e) { log->lines.push_back("errored " + e.topic); },
      [log](channel_closed& e) { log->lines.push_back("closed " + e.topic); },
      [log](disconnected& e) { log->lines.push_back("disconnected " + e.cause); },
      [log, secs](reconnect_scheduled& e) {
        log->lines.push_back("reconnecting " + std::to_string(e.attempt) + " " + secs(e.delay)
                    + " " + e.cause);
      },
      [log](reconnect_abandoned&) { log->lines.push_back("gave_up"); },
      [log](peer_dead&) { log->lines.push_back("peer_dead"); },
      [log](peer_status& e) { log->lines.push_back("peer_status " + e.response); },
      [log, secs](heartbeat_answered& e) { log->lines.push_back("rtt " + secs(e.rtt)); },
      [log](stopped& e) { log->lines.push_back("stopped " + e.reason); },
      [log](storage_failed& e) { log->lines.push_back("storage_failed " + e.detail); },
    };
  });
}

} // namespace tether::testing
