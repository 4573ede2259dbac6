#pragma once
// The demo channel's decisions, as a pure function: what the hub does with a
// join or a push on a `room:*` topic. The same script runs unchanged against
// tether-hub and against a Phoenix server with this channel.

#include <string>
#include <string_view>

namespace tether::hub {

/// A join: accepted, or refused with a reason.
struct join_decision {
  bool ok = true;
  std::string response = "{}"; ///< JSON
};

join_decision decide_join(std::string_view topic);

/// What a push makes the channel do.
struct push_decision {
  enum class action {
    reply,     ///< reply with `status` and `response`
    no_reply,  ///< say nothing
    broadcast, ///< send `bcast` with the payload to every subscriber
    crash,     ///< the channel fails: phx_error, the topic is no longer joined
    slow,      ///< reply ok with the payload after `delay_ms`
    stop,      ///< reply ok, then phx_close
  };
  action what = action::reply;
  std::string status = "ok";
  std::string response = "{}";
  long delay_ms = 0;
};

push_decision decide_push(std::string_view event, std::string_view payload_json);

/// True for topics the demo channel serves (`room:*`).
bool is_demo_topic(std::string_view topic);

} // namespace tether::hub
