#include "storage/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <caf/message.hpp>

#include "storage/file_store.hpp"

namespace tether {

namespace {

/// Finalizes a statement on every path out of a call.
struct statement {
  sqlite3_stmt* stmt = nullptr;
  ~statement() {
    sqlite3_finalize(stmt);
  }
};

bool bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT)
         == SQLITE_OK;
}

} // namespace

caf::expected<std::shared_ptr<sqlite_store>>
sqlite_store::open(const std::filesystem::path& file) {
  // Its folder must exist: a typo in a path is an error, not a new tree of
  // folders. The file itself is created 0600 here: SQLite would use the umask.
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error(storage_errc::io_failed, "cannot create " + file.string());
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr)
      != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(storage_errc::io_failed, "cannot open " + file.string() + ": " + why);
  }
  std::shared_ptr<sqlite_store> store{new sqlite_store(db)};
  sqlite3_busy_timeout(db, 2000);
  const char* setup = "PRAGMA journal_mode=WAL;"
                      "PRAGMA synchronous=NORMAL;"
                      "CREATE TABLE IF NOT EXISTS profiles("
                      "  name TEXT PRIMARY KEY,"
                      "  record TEXT NOT NULL);";
  char* message = nullptr;
  if (sqlite3_exec(db, setup, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message ? message : "unknown";
    sqlite3_free(message);
    return make_error(storage_errc::io_failed, file.string() + ": " + why);
  }
  return store;
}

sqlite_store::~sqlite_store() {
  sqlite3_close(db_);
}

caf::error sqlite_store::fail(const char* what) {
  return make_error(storage_errc::io_failed,
                    std::string{what} + ": " + sqlite3_errmsg(db_));
}

caf::expected<std::optional<stored_profile>> sqlite_store::load(const std::string& profile) {
  if (profile.empty())
    return make_error(storage_errc::bad_name, "empty profile name");
  std::lock_guard guard{mutex_};
  statement q;
  if (sqlite3_prepare_v2(db_, "SELECT record FROM profiles WHERE name = ?1", -1, &q.stmt,
                         nullptr)
        != SQLITE_OK
      || !bind_text(q.stmt, 1, profile))
    return fail("load");
  switch (sqlite3_step(q.stmt)) {
    case SQLITE_DONE:
      return std::optional<stored_profile>{};
    case SQLITE_ROW: {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.stmt, 0));
      auto size = static_cast<size_t>(sqlite3_column_bytes(q.stmt, 0));
      auto record = stored_profile_from_json(std::string{text ? text : "", size});
      if (!record)
        return make_error(storage_errc::corrupt,
                          "profile " + profile + ": "
                            + caf::to_string(record.error().context()));
      return std::optional<stored_profile>{std::move(*record)};
    }
    default:
      return fail("load");
  }
}

caf::error sqlite_store::save(const std::string& profile, const stored_profile& record) {
  if (profile.empty())
    return make_error(storage_errc::bad_name, "empty profile name");
  std::lock_guard guard{mutex_};
  statement q;
  if (sqlite3_prepare_v2(db_,
                         "INSERT INTO profiles(name, record) VALUES(?1, ?2) "
                         "ON CONFLICT(name) DO UPDATE SET record = excluded.record",
                         -1, &q.stmt, nullptr)
        != SQLITE_OK
      || !bind_text(q.stmt, 1, profile) || !bind_text(q.stmt, 2, to_json(record))
      || sqlite3_step(q.stmt) != SQLITE_DONE)
    return fail("save");
  return {};
}

caf::error sqlite_store::erase(const std::string& profile) {
  std::lock_guard guard{mutex_};
  statement q;
  if (sqlite3_prepare_v2(db_, "DELETE FROM profiles WHERE name = ?1", -1, &q.stmt, nullptr)
        != SQLITE_OK
      || !bind_text(q.stmt, 1, profile) || sqlite3_step(q.stmt) != SQLITE_DONE)
    return fail("erase");
  return {};
}

caf::expected<std::vector<std::string>> sqlite_store::profiles() {
  std::lock_guard guard{mutex_};
  statement q;
  if (sqlite3_prepare_v2(db_, "SELECT name FROM profiles ORDER BY name", -1, &q.stmt, nullptr)
      != SQLITE_OK)
    return fail("list");
  std::vector<std::string> names;
  int rc;
  while ((rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q.stmt, 0));
    names.emplace_back(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(q.stmt, 0)));
  }
  if (rc != SQLITE_DONE)
    return fail("list");
  return names;
}

std::string sqlite_store::journal_mode() {
  std::lock_guard guard{mutex_};
  statement q;
  if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &q.stmt, nullptr) != SQLITE_OK
      || sqlite3_step(q.stmt) != SQLITE_ROW)
    return {};
  return reinterpret_cast<const char*>(sqlite3_column_text(q.stmt, 0));
}

} // namespace tether
