#pragma once
// A consumer that writes every event it gets as a short line, for assertions
// such as CHECK(log->lines == {"connected", "joined room:a"}).

#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/events.hpp"

namespace caf {
class actor_system;
}

namespace tether::testing {

struct event_log {
  std::vector<std::string> lines;
  std::vector<event> events; ///< the events themselves, for what a line leaves out

  /// The last event of type E, or null.
  template <class E>
  const E* last() const {
    for (auto i = events.rbegin(); i != events.rend(); ++i)
      if (auto* e = std::get_if<E>(&*i))
        return e;
    return nullptr;
  }
  size_t count(const std::string& prefix) const;
  /// The lines that begin with `prefix`, in order.
  std::vector<std::string> with_prefix(const std::string& prefix) const;
};

/// An event as one line ("joined room:a", "reconnecting 2 2000ms auth").
std::string describe(const event& e);

caf::actor spawn_recording_consumer(caf::actor_system& sys,
                                    std::shared_ptr<event_log> log);

} // namespace tether::testing
