#pragma once
// The file adapter of the storage seam: one JSON file per profile in a
// directory. Writes go to a temporary file (mode 0600) that is flushed to
// disk and renamed over the old one, so a reader or a crash sees the old
// record or the new one, whole. Profile names are escaped into file names
// (no path can be smuggled in through a name).

#include <filesystem>

#include "storage/profile_store.hpp"

namespace tether {

class file_store final : public profile_store {
public:
  /// Creates `dir` (mode 0700) if it does not exist.
  explicit file_store(std::filesystem::path dir);

  caf::expected<std::optional<stored_profile>> load(const std::string& profile) override;
  caf::error save(const std::string& profile, const stored_profile& record) override;
  caf::error erase(const std::string& profile) override;
  caf::expected<std::vector<std::string>> profiles() override;

  /// The file that holds `profile`.
  std::filesystem::path path_of(const std::string& profile) const;

private:
  std::filesystem::path dir_;
};

/// The record as the file adapter writes it (exposed for tests and tools).
std::string to_json(const stored_profile& record);
caf::expected<stored_profile> stored_profile_from_json(const std::string& text);

} // namespace tether
