#pragma once
// Ack-on-send bookkeeping (seed 003) as a pure value: every push the
// application made, until it resolves. A push resolves exactly once:
// - ok / rejected on the server's first reply to its ref (later replies
//   for that ref are no-ops; nothing is ever re-sent),
// - ack_timeout when its deadline passes after it was sent,
// - never_sent when its deadline passes (or the tree stops) before it left,
// - sender_crashed when the sender of its topic died mid-send.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/backoff.hpp"

namespace tether::protocol {

enum class push_outcome : uint8_t {
  ok,             ///< the server replied "ok"
  rejected,       ///< the server replied with another status
  ack_timeout,    ///< sent; no reply in time: the outcome is unknown
  never_sent,     ///< never left this process
  sender_crashed, ///< its topic's sender died before it was sent
};

std::string_view to_string(push_outcome x) noexcept;

struct resolved_push {
  uint64_t ticket;
  push_outcome outcome;
  std::string response; ///< the server's response (ok / rejected)
  std::string topic;    ///< the push's topic
};

class ack_table {
public:
  /// A push accepted from the application; `ticket` is the caller's handle.
  void add(uint64_t ticket, std::string topic, time_point deadline);

  /// The push will leave with `ref`: its reply is matched by that ref from
  /// now on. Bound before the frame is handed on, so that a fast reply can
  /// never overtake the bookkeeping.
  void assign_ref(uint64_t ticket, std::string ref);

  /// The push did not leave with its ref after all (the socket went): its
  /// next attempt binds a new one.
  void unassign_ref(uint64_t ticket);

  /// The push left (the transport took its frame).
  void mark_sent(uint64_t ticket);

  /// Both at once.
  void mark_sent(uint64_t ticket, std::string ref);

  /// A reply arrived. Resolves the push that carried `ref`, if it is still
  /// pending; otherwise nothing happens.
  std::optional<resolved_push> on_reply(std::string_view ref, bool ok,
                                        std::string response);

  /// Resolves every push whose deadline is at or before `now`.
  std::vector<resolved_push> expire(time_point now);

  /// Resolves one pending push with `why` (it could not be sent).
  std::optional<resolved_push> fail(uint64_t ticket, push_outcome why);

  /// Resolves every pending push of `topic` that has not been sent with
  /// `why`; sent ones keep waiting for their reply.
  std::vector<resolved_push> fail_unsent(std::string_view topic, push_outcome why);

  /// Resolves everything: unsent pushes as never_sent, sent ones as
  /// ack_timeout (sent, outcome unknown).
  std::vector<resolved_push> drain();

  std::optional<time_point> next_deadline() const;
  size_t size() const noexcept {
    return entries_.size();
  }
  bool has_unsent(std::string_view topic) const;
  bool contains(uint64_t ticket) const {
    return entries_.count(ticket) > 0;
  }

private:
  struct entry {
    std::string topic;
    time_point deadline;
    std::optional<std::string> ref; ///< set once assigned
    bool sent = false;
  };

  resolved_push resolve(uint64_t ticket, push_outcome outcome,
                        std::string response = {});

  std::unordered_map<uint64_t, entry> entries_;
  std::unordered_map<std::string, uint64_t> by_ref_;
  std::multimap<time_point, uint64_t> by_deadline_;
};

} // namespace tether::protocol
