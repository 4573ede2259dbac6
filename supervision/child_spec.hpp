#pragma once
// What a supervisor needs to know about one child (OTP's child specification).

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

namespace caf {
class actor_system;
}

namespace tether::sup {

/// When a terminated child is restarted (OTP `restart`).
enum class restart_type {
  permanent, ///< always
  transient, ///< only after an abnormal exit (not normal, not shutdown)
  temporary, ///< never; its spec is forgotten once it terminates
};

/// How a child is stopped (OTP `shutdown`).
struct shutdown_policy {
  enum class kind { brutal_kill, timeout, infinity };
  kind how = kind::timeout;
  caf::timespan grace{std::chrono::seconds{5}};

  /// Killed at once with the untrappable `exit_reason::kill`.
  static shutdown_policy brutal_kill() { return {kind::brutal_kill, {}}; }
  /// Asked to stop (`user_shutdown`), killed if still alive after `grace`.
  static shutdown_policy timeout(caf::timespan grace) {
    return {kind::timeout, grace};
  }
  /// Asked to stop, waited for without limit (the default for supervisors).
  static shutdown_policy infinity() { return {kind::infinity, {}}; }
};

enum class child_type { worker, supervisor };

/// Spawns the child and returns its handle. The supervisor monitors the
/// result; the function must not link it to anything that should not die
/// with it. A default-constructed (invalid) actor means "ignore": the spec is
/// kept but nothing runs (OTP's `ignore`). Returning an error fails the start.
using start_fn = std::function<caf::expected<caf::actor>(caf::actor_system&)>;

struct child_spec {
  std::string id;
  start_fn start;
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown = shutdown_policy::timeout(std::chrono::seconds{5});
  child_type type = child_type::worker;
};

/// A worker spec with OTP's worker defaults (permanent, 5 s shutdown).
inline child_spec worker(std::string id, start_fn start,
                         restart_type restart = restart_type::permanent) {
  return {std::move(id), std::move(start), restart,
          shutdown_policy::timeout(std::chrono::seconds{5}),
          child_type::worker};
}

} // namespace tether::sup

// Child specs hold std::function and never cross a process boundary.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(tether::sup::child_spec)
