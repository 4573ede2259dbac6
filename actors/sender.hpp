#pragma once
// Internal: a topic's sender (seed 003's per-recipient sender). Started
// lazily under the tree's sender supervisor and registered by topic in the
// per-instance registry; temporary (never restarted). It serialises its
// topic's sends: one push at a time is encoded and handed to the transport,
// and only then does the next one start. It holds nothing durable:
// the caller's reply is parked in the connection, so losing a sender loses
// no push silently (the connection fails its parked pushes with
// sender_crashed). After `idle_after` without work it stops normally.

#include "actors/tree_interfaces.hpp"
#include "protocol/wire_version.hpp"
#include "supervision/child_spec.hpp"

namespace tether::detail {

struct sender_config {
  transport_actor transport;
  caf::timespan idle_after{std::chrono::seconds{60}};
  protocol::wire_version version = protocol::wire_version::v2;
};

/// The child spec the connection hands to find-or-start for `topic`.
sup::child_spec sender_spec(const std::string& topic, sender_config cfg);

} // namespace tether::detail
