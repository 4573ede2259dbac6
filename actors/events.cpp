#include "actors/events.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

namespace tether {

namespace {
constexpr caf::atom_value push_category = caf::atom("tether_psh");
}

const std::array<std::string_view, std::variant_size_v<event>> event_names = {
  "connected",       "topic_joined",   "join_failed",         "topic_left",
  "message_received",
  "channel_errored", "channel_closed", "disconnected",        "reconnect_scheduled",
  "reconnect_abandoned", "peer_dead",  "peer_status",         "heartbeat_answered",
  "stopped",         "storage_failed", "frame_dropped",       "supervisor_reported",
  "presence_synced",
};

std::optional<push_errc> push_error_code(const caf::error& err) {
  if (err.category() != push_category)
    return std::nullopt;
  return static_cast<push_errc>(err.code());
}

caf::error make_error(push_errc code, std::string response) {
  if (response.empty())
    return {static_cast<uint8_t>(code), push_category};
  return {static_cast<uint8_t>(code), push_category,
          caf::make_message(std::move(response))};
}

const char* to_string(push_errc code) {
  switch (code) {
    case push_errc::rejected:
      return "rejected";
    case push_errc::ack_timeout:
      return "ack_timeout";
    case push_errc::never_sent:
      return "never_sent";
    case push_errc::sender_crashed:
      return "sender_crashed";
    case push_errc::invalid_payload:
      return "invalid_payload";
    case push_errc::outbox_full:
      return "outbox_full";
  }
  return "unknown_push_error";
}

std::string response_of(const caf::error& err) {
  if (err.category() != push_category || !err.context().match_elements<std::string>())
    return {};
  return err.context().get_as<std::string>(0);
}

void add_push_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(push_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = to_string(static_cast<push_errc>(code));
                           if (!ctx.empty())
                             text += caf::deep_to_string(ctx);
                           return text;
                         });
}

} // namespace tether
