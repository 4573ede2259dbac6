// The SQLite adapter of the storage seam, on a real database file.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <sqlite3.h>

#include "storage/scratch_dir.hpp"
#include "storage/sqlite_store.hpp"

using namespace tether;

namespace {

stored_profile sample() {
  stored_profile p;
  p.connect_params = {{"token", "s3cret"}};
  p.topics = {{"room:a", "{}"}, {"room:b", R"({"since":42})"}};
  return p;
}

} // namespace

TEST_CASE("the sqlite store keeps records across reopening, in WAL mode, "
          "in a file only its owner can read",
          "[storage]") {
  scratch_dir dir;
  auto file = dir.path / "state" / "tether.db";
  // A missing folder is an error (a typo in a path must not grow folders).
  auto missing = sqlite_store::open(file);
  REQUIRE_FALSE(missing);
  CHECK(caf::to_string(missing.error().context()).find("cannot create") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path / "state"));
  std::filesystem::create_directory(dir.path / "state");
  {
    auto store = sqlite_store::open(file);
    REQUIRE(store);
    CHECK((*store)->journal_mode() == "wal");
    CHECK((*store)->save("alice", sample()) == caf::none);
    auto changed = sample();
    changed.topics.erase("room:a");
    CHECK((*store)->save("bob", changed) == caf::none);
  }
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto store = sqlite_store::open(file);
  REQUIRE(store);
  auto alice = (*store)->load("alice");
  REQUIRE(alice);
  REQUIRE(alice->has_value());
  CHECK(**alice == sample());
  auto bob = (*store)->load("bob");
  REQUIRE(bob);
  CHECK((*bob)->topics.size() == 1);
}

TEST_CASE("the sqlite store replaces, erases, and knows nothing of unknown "
          "profiles",
          "[storage]") {
  scratch_dir dir;
  auto store = sqlite_store::open(dir.path / "t.db");
  REQUIRE(store);
  auto& s = **store;
  auto none = s.load("nobody");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  CHECK(s.save("a", sample()) == caf::none);
  auto smaller = sample();
  smaller.connect_params.clear();
  CHECK(s.save("a", smaller) == caf::none);
  CHECK(**s.load("a") == smaller);
  CHECK(s.erase("a") == caf::none);
  CHECK_FALSE(s.load("a")->has_value());
  CHECK(s.erase("a") == caf::none); // erasing nothing is fine
  CHECK(s.load("").error() == make_error(storage_errc::bad_name, "empty profile name"));
}

TEST_CASE("a corrupt row is reported as corrupt, not as a crash or as empty",
          "[storage]") {
  scratch_dir dir;
  auto file = dir.path / "t.db";
  {
    auto store = sqlite_store::open(file);
    REQUIRE(store);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "INSERT INTO profiles VALUES('x', '{not json')", nullptr,
                       nullptr, nullptr)
          == SQLITE_OK);
  sqlite3_close(db);
  auto store = sqlite_store::open(file);
  REQUIRE(store);
  auto loaded = (*store)->load("x");
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code() == static_cast<uint8_t>(storage_errc::corrupt));
}

TEST_CASE("a database path that cannot be created is an io_failed error",
          "[storage]") {
  auto store = sqlite_store::open("/proc/no-such-dir/t.db");
  REQUIRE_FALSE(store);
  CHECK(store.error().code() == static_cast<uint8_t>(storage_errc::io_failed));
}

TEST_CASE("the sqlite store lists the profiles it holds, sorted", "[storage]") {
  scratch_dir dir;
  auto store = sqlite_store::open(dir.path / "t.db");
  REQUIRE(store);
  auto& s = **store;
  CHECK(s.profiles()->empty());
  CHECK(s.save("bob", sample()) == caf::none);
  CHECK(s.save("a/b c", sample()) == caf::none);
  CHECK(s.save("alice", sample()) == caf::none);
  CHECK(*s.profiles() == std::vector<std::string>{"a/b c", "alice", "bob"});
  CHECK(s.erase("alice") == caf::none);
  CHECK(*s.profiles() == std::vector<std::string>{"a/b c", "bob"});
}
