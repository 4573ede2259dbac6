#pragma once
// Typed errors of the supervision layer, rendered to text in one place
// (errors.cpp). Errors that concern a particular actor carry it in their
// context; `holder_of` extracts it.

#include <cstdint>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace caf {
class actor_system_config;
}

namespace tether::sup {

enum class supervision_errc : uint8_t {
  /// More restarts than `max_restarts` within `max_period`: the supervisor
  /// stopped all of its children and exited with this reason.
  reached_max_restart_intensity = 1,
  /// A child's start function failed; context: (child id, the child's error).
  child_start_failed,
  /// No child spec with that id / no such child actor.
  child_not_found,
  /// The operation needs a stopped child, but it runs.
  child_running,
  /// The child awaits a retried restart.
  child_restarting,
  /// A spec with that id exists already (not running); use restart.
  already_present,
  /// A spec with that id exists and runs; context: the running actor.
  already_started,
  /// A dynamic supervisor refused a child: its `max_children` is reached.
  max_children,
  /// Registry: the key is taken; context: the holder.
  already_registered,
  /// A deferred request was dropped because the supervisor is going down.
  shutting_down,
  /// A child spec without a start function (OTP's missing_start).
  missing_start,
  /// A clean stop that carries a detail, OTP's {shutdown, Term}: a transient
  /// child that exits with it is not restarted. Build it with
  /// `clean_shutdown(detail)`.
  clean_shutdown,
};

/// The category atom under which these errors travel (at most 10 chars).
constexpr caf::atom_value supervision_category = caf::atom("tether_sup");

caf::error make_error(supervision_errc code);
caf::error make_error(supervision_errc code, caf::message context);

/// Text of a supervision_errc value, e.g. "max_children".
const char* to_string(supervision_errc code);

/// Registers the renderer so that `sys.render(err)` prints these errors by
/// name. Call on the config before constructing the actor_system.
void add_supervision_error_category(caf::actor_system_config& cfg);

/// The actor carried by an `already_started` / `already_registered` error,
/// or an invalid handle when the error carries none.
caf::actor holder_of(const caf::error& err);

/// An exit reason that stops cleanly and says why (OTP's {shutdown, Term}).
caf::error clean_shutdown(caf::message detail);

/// True for the exit reasons OTP treats as a clean stop: normal,
/// user_shutdown (OTP's shutdown) and clean_shutdown (OTP's {shutdown, _}).
/// A transient child that exits with one of them is not restarted.
bool is_clean_exit(const caf::error& reason);

} // namespace tether::sup
