#pragma once
// Phoenix Presence on the client (docs/protocol.md, "Presence"): the list of
// who is on a topic, kept from the server's `presence_state` (the whole
// list, sent after each join) and `presence_diff` (joins and leaves as they
// happen), with the results of phoenix.js's Presence, which every Phoenix
// client follows:
//
// - a presence is one key (a user, say) with its metas, one per connection
//   of that key, told apart by their `phx_ref`;
// - a state is diffed against what the client already had, so a rejoin
//   reports only what changed while it was away;
// - diffs that come after a rejoin and before its state are held, and
//   applied after that state;
// - keys are listed in the order phoenix.js lists them: keys that are array
//   indices ("0", "42") ascending, then the others in the order they came.
//
// Pure: payloads in, values out. The channel feeds its tracker; the
// consumer hears the changes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tether::protocol {

struct presence_meta {
  /// The meta's `phx_ref`, as a value to compare (a string unescaped, a
  /// number as a number); empty when the meta has none.
  std::string ref;
  std::string json; ///< the meta object as the server sent it

  friend bool operator==(const presence_meta&, const presence_meta&) = default;
};

/// One key's presence: its metas, oldest first, and any other members the
/// server put beside them (a `fetch/2` that adds user data), kept as sent.
struct presence {
  std::vector<presence_meta> metas;
  std::string extra; ///< `"name":value` members, comma-separated; may be empty

  /// The presence as a JSON object: {"metas":[...], ...extra}.
  std::string to_json() const;

  friend bool operator==(const presence&, const presence&) = default;
};

/// Presences by key, listed in phoenix.js's order (see above).
class presence_map {
public:
  const presence* find(const std::string& key) const;
  /// Replaces `key`'s presence in place, or adds it last.
  void set(const std::string& key, presence p);
  void erase(const std::string& key);
  size_t size() const noexcept {
    return by_key_.size();
  }
  bool empty() const noexcept {
    return by_key_.empty();
  }
  /// The keys in listing order.
  std::vector<std::string> keys() const;
  /// Every presence, in listing order.
  std::vector<std::pair<std::string, presence>> list() const;

private:
  uint64_t added_ = 0;                   ///< keys ever added: the next one's place
  std::map<uint64_t, std::string> order_; ///< place -> key: insertion order
  std::unordered_map<std::string, std::pair<presence, uint64_t>> by_key_;
};

struct presence_diff {
  presence_map joins;
  presence_map leaves;
};

/// A key that joined: what it had before (none if it is new) and the metas
/// that joined.
struct presence_joined {
  std::string key;
  std::optional<presence> before;
  presence joined;
};

/// A key that left: what it still has (no metas: it is gone) and the metas
/// that left.
struct presence_left {
  std::string key;
  presence remaining;
  presence left;
};

/// What one state or diff (or a state and the diffs held for it) changed,
/// in the order phoenix.js calls onJoin and onLeave.
struct presence_changes {
  std::vector<presence_joined> joins;
  std::vector<presence_left> leaves;
};

/// Decodes a `presence_state` payload: an object of presences, each an
/// object with a `metas` array of objects. Nothing when it is not one.
std::optional<presence_map> decode_presence_state(std::string_view payload);

/// Decodes a `presence_diff` payload: {"joins": {...}, "leaves": {...}},
/// each as a state. Nothing when it is not one.
std::optional<presence_diff> decode_presence_diff(std::string_view payload);

/// Brings `state` to the server's `incoming` list and says what changed.
presence_changes sync_state(presence_map& state, const presence_map& incoming);

/// Applies one diff to `state` and says what changed.
presence_changes sync_diff(presence_map& state, const presence_diff& diff);

/// The presence of one channel across its joins.
class presence_tracker {
public:
  enum class outcome {
    synced,  ///< the list changed (possibly by nothing); tell the consumer
    held,    ///< a diff before this join's state: kept for it
    invalid, ///< not a presence payload: dropped, the list is unchanged
  };

  struct result {
    outcome what = outcome::invalid;
    presence_changes changes;
  };

  /// A `presence_state` on the join named `join_ref`.
  result on_state(std::string_view payload, const std::string& join_ref);

  /// A `presence_diff` while the channel's current join is `join_ref`.
  result on_diff(std::string_view payload, const std::string& join_ref);

  const presence_map& current() const noexcept {
    return state_;
  }

  /// Diffs held for the next state.
  size_t held() const noexcept {
    return pending_.size();
  }

private:
  presence_map state_;
  std::optional<std::string> synced_join_;
  std::vector<presence_diff> pending_;
};

} // namespace tether::protocol
