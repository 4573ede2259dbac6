#pragma once
// The SQLite adapter of the storage seam: one row per profile in one
// database file, in WAL mode (readers never block the writer, and a crash
// mid-write rolls back to the last committed record). The record is the
// same JSON the file adapter writes. The database file is created mode 0600.

#include <filesystem>
#include <mutex>

#include "storage/profile_store.hpp"

struct sqlite3;

namespace tether {

class sqlite_store final : public profile_store {
public:
  /// Opens (or creates) the database; fails with io_failed if it cannot.
  static caf::expected<std::shared_ptr<sqlite_store>> open(const std::filesystem::path& file);

  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  caf::expected<std::optional<stored_profile>> load(const std::string& profile) override;
  caf::error save(const std::string& profile, const stored_profile& record) override;
  caf::error erase(const std::string& profile) override;
  caf::expected<std::vector<std::string>> profiles() override;

  /// The journal mode SQLite reports ("wal" once open).
  std::string journal_mode();

private:
  explicit sqlite_store(sqlite3* db) : db_(db) {
  }
  caf::error fail(const char* what);

  // Profiles' endpoints are separate actors that may call at the same time.
  std::mutex mutex_;
  sqlite3* db_;
};

} // namespace tether
