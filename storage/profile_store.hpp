#pragma once
// The storage seam (seed 003): what a profile keeps across restarts of the
// process: its connect params (credentials) and the topics it had joined,
// with their join params. A plain interface, so an embedder can put it in
// their own database; tether ships a file adapter (file_store.hpp).
//
// Stores are called from the profile's endpoint actor, one call at a time
// per profile; an adapter must not block for long (local files, a local DB).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace caf {
class actor_system_config;
}

namespace tether {

struct stored_profile {
  /// Query parameters sent on connect (tokens and the like). Secret.
  std::vector<std::pair<std::string, std::string>> connect_params;
  /// Joined topics and their join params (JSON text).
  std::map<std::string, std::string> topics;

  friend bool operator==(const stored_profile&, const stored_profile&) = default;
};

enum class storage_errc : uint8_t {
  io_failed = 1, ///< the medium refused (the context names the path and errno)
  corrupt,       ///< what was stored cannot be read back
  bad_name,      ///< a profile name the adapter cannot store
};

caf::error make_error(storage_errc code, std::string detail);
const char* to_string(storage_errc code);
void add_storage_error_category(caf::actor_system_config& cfg);

class profile_store {
public:
  virtual ~profile_store() = default;

  /// What is stored for `profile`; nothing if it was never saved.
  virtual caf::expected<std::optional<stored_profile>> load(const std::string& profile) = 0;

  /// Replaces what is stored for `profile`, atomically: a crash leaves the
  /// old or the new record, never a mix.
  virtual caf::error save(const std::string& profile, const stored_profile& record) = 0;

  /// Forgets `profile`; fine if nothing was stored.
  virtual caf::error erase(const std::string& profile) = 0;

  /// Every profile with a stored record, sorted: what an owner checks against
  /// its own list, to forget the records (credentials among them) of
  /// profiles it no longer has.
  virtual caf::expected<std::vector<std::string>> profiles() = 0;
};

using profile_store_ptr = std::shared_ptr<profile_store>;

} // namespace tether
