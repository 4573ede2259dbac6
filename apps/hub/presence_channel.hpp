#pragma once
// The hub's `presence:*` channel, as the Phoenix peer's PresenceChannel
// behaves (Phoenix.Presence underneath), so that presence tests run on the
// hub too: a join names `user` (and optionally `meta`, an object); the
// joiner gets `presence_state`; every member gets a `presence_diff` on each
// join, leave and `update_meta`. Pure: payloads in, payloads out.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::hub {

bool is_presence_topic(std::string_view topic);

/// The join params' user and meta, or why the join is refused (Phoenix's
/// peer: {"reason":"user required"}).
struct presence_join_params {
  std::string user;
  std::string meta = "{}"; ///< JSON object
};
std::optional<presence_join_params> read_presence_join(std::string_view params_json);

/// Who is tracked on each presence topic, one meta per joined session.
class presence_rooms {
public:
  /// Tracks `session` as `user` on `topic`; answers the diff to broadcast.
  std::string track(const std::string& topic, uint64_t session, const std::string& user,
                    const std::string& meta);
  /// Replaces the session's meta (a new phx_ref, the old as phx_ref_prev);
  /// answers the diff, or nothing when the session is not tracked there.
  std::optional<std::string> update(const std::string& topic, uint64_t session,
                                    const std::string& meta);
  /// Stops tracking; answers the diff, or nothing when it was not tracked.
  std::optional<std::string> untrack(const std::string& topic, uint64_t session);
  /// The `presence_state` payload: every user with their metas.
  std::string state(const std::string& topic) const;

private:
  struct tracked {
    std::string user;
    std::string meta; ///< with its phx_ref
    std::string ref;
  };
  std::string next_ref();
  uint64_t refs_ = 0;
  std::map<std::string, std::map<uint64_t, tracked>> topics_;
};

} // namespace tether::hub
