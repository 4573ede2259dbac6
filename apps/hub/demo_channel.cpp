#include "apps/hub/demo_channel.hpp"

#include <simdjson.h>

namespace tether::hub {

bool is_demo_topic(std::string_view topic) {
  return topic.rfind("room:", 0) == 0;
}

join_decision decide_join(std::string_view topic) {
  if (topic == "room:reject")
    return {false, R"({"reason":"unauthorized"})"};
  return {};
}

namespace {

/// The "ms" field of a `slow` payload; 0 when absent or not a number.
long slow_delay_ms(std::string_view payload) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded{payload};
  simdjson::ondemand::document doc;
  int64_t ms = 0;
  if (parser.iterate(padded).get(doc) || doc["ms"].get_int64().get(ms) || ms < 0)
    return 0;
  return static_cast<long>(ms);
}

} // namespace

push_decision decide_push(std::string_view event, std::string_view payload) {
  using act = push_decision::action;
  if (event == "echo")
    return {act::reply, "ok", std::string{payload}, 0};
  if (event == "err")
    return {act::reply, "error", R"({"reason":"nope"})", 0};
  if (event == "noreply")
    return {act::no_reply, {}, {}, 0};
  if (event == "broadcast")
    return {act::broadcast, {}, std::string{payload}, 0};
  if (event == "slow")
    return {act::slow, "ok", std::string{payload}, slow_delay_ms(payload)};
  if (event == "stop")
    return {act::stop, "ok", "{}", 0};
  // "crash", and any event the channel has no clause for: a Phoenix channel
  // process raises and the client sees phx_error.
  return {act::crash, {}, {}, 0};
}

} // namespace tether::hub
