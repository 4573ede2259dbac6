#include "protocol/router.hpp"

#include "protocol/limits.hpp"

namespace tether::protocol {

namespace {

bool on_phoenix(const frame& f) {
  return f.topic == phoenix_topic;
}

bool is(const frame& f, std::string_view event) {
  return f.event == event;
}

bool reserved(const frame& f) {
  return f.event.rfind("phx_", 0) == 0;
}

template <class Route>
struct rule {
  bool (*matches)(const frame&);
  Route route;
};

// Frames from the server, first match wins.
constexpr rule<server_route> server_rules[] = {
  {[](const frame& f) { return on_phoenix(f) && is(f, reply_event); },
   server_route::heartbeat_reply},
  {[](const frame& f) { return on_phoenix(f); }, server_route::unhandled},
  {[](const frame& f) { return is(f, reply_event) && f.ref.has_value(); },
   server_route::reply},
  {[](const frame& f) { return is(f, error_event); }, server_route::channel_error},
  {[](const frame& f) { return is(f, close_event); }, server_route::channel_close},
  {[](const frame& f) { return reserved(f) || f.topic.empty(); },
   server_route::unhandled},
  {[](const frame&) { return true; }, server_route::channel_message},
};

// Frames from a client, first match wins.
constexpr rule<client_route> client_rules[] = {
  {[](const frame& f) { return on_phoenix(f) && is(f, heartbeat_event); },
   client_route::heartbeat},
  {[](const frame& f) { return on_phoenix(f); }, client_route::unhandled},
  {[](const frame& f) { return is(f, join_event); }, client_route::join},
  {[](const frame& f) { return is(f, leave_event); }, client_route::leave},
  {[](const frame& f) { return reserved(f) || f.topic.empty(); },
   client_route::unhandled},
  {[](const frame&) { return true; }, client_route::push},
};

template <class Route, size_t N>
Route first_match(const rule<Route> (&rules)[N], const frame& f) {
  for (auto& r : rules)
    if (r.matches(f))
      return r.route;
  return Route::unhandled;
}

} // namespace

server_route route_from_server(const frame& f) noexcept {
  return first_match(server_rules, f);
}

client_route route_from_client(const frame& f) noexcept {
  return first_match(client_rules, f);
}

std::string_view to_string(server_route r) noexcept {
  switch (r) {
    case server_route::heartbeat_reply:
      return "heartbeat_reply";
    case server_route::reply:
      return "reply";
    case server_route::channel_error:
      return "channel_error";
    case server_route::channel_close:
      return "channel_close";
    case server_route::channel_message:
      return "channel_message";
    case server_route::unhandled:
      return "unhandled";
  }
  return "unhandled";
}

std::string_view to_string(client_route r) noexcept {
  switch (r) {
    case client_route::heartbeat:
      return "heartbeat";
    case client_route::join:
      return "join";
    case client_route::leave:
      return "leave";
    case client_route::push:
      return "push";
    case client_route::unhandled:
      return "unhandled";
  }
  return "unhandled";
}

} // namespace tether::protocol
