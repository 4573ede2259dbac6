#include "supervision/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>

namespace tether::sup {

caf::error make_error(supervision_errc code) {
  return {static_cast<uint8_t>(code), supervision_category};
}

caf::error make_error(supervision_errc code, caf::message context) {
  return {static_cast<uint8_t>(code), supervision_category, std::move(context)};
}

const char* to_string(supervision_errc code) {
  switch (code) {
    case supervision_errc::reached_max_restart_intensity:
      return "reached_max_restart_intensity";
    case supervision_errc::child_start_failed:
      return "child_start_failed";
    case supervision_errc::child_not_found:
      return "child_not_found";
    case supervision_errc::child_running:
      return "child_running";
    case supervision_errc::child_restarting:
      return "child_restarting";
    case supervision_errc::already_present:
      return "already_present";
    case supervision_errc::already_started:
      return "already_started";
    case supervision_errc::max_children:
      return "max_children";
    case supervision_errc::already_registered:
      return "already_registered";
    case supervision_errc::shutting_down:
      return "shutting_down";
    case supervision_errc::missing_start:
      return "missing_start";
    case supervision_errc::clean_shutdown:
      return "clean_shutdown";
  }
  return "unknown_supervision_error";
}

void add_supervision_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(
    supervision_category,
    [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
      std::string text = to_string(static_cast<supervision_errc>(code));
      if (!ctx.empty())
        text += caf::deep_to_string(ctx);
      return text;
    });
}

caf::actor holder_of(const caf::error& err) {
  if (err.category() != supervision_category)
    return {};
  const auto& ctx = err.context();
  if (ctx.match_elements<caf::actor>())
    return ctx.get_as<caf::actor>(0);
  return {};
}

caf::error clean_shutdown(caf::message detail) {
  return make_error(supervision_errc::clean_shutdown, std::move(detail));
}

bool is_clean_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal
         || reason == caf::exit_reason::user_shutdown
         || (reason.category() == supervision_category
             && reason.code() == static_cast<uint8_t>(supervision_errc::clean_shutdown));
}

} // namespace tether::sup
