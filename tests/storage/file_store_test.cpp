// The file adapter of the storage seam, on real files in a scratch directory.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "storage/file_store.hpp"
#include "storage/scratch_dir.hpp"

using namespace tether;
namespace fs = std::filesystem;

namespace {

stored_profile sample() {
  stored_profile p;
  p.connect_params = {{"token", "s3cret"}, {"device", "café"}};
  p.topics = {{"room:a", "{}"}, {"room:b", R"({"since":42,"tags":["x"]})"}};
  return p;
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

} // namespace

TEST_CASE("a saved profile loads back as it was, from a 0600 file", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path / "profiles"};
  REQUIRE_FALSE(store.save("alice", sample()));
  auto loaded = store.load("alice");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK(**loaded == sample());
  CHECK(mode_of(store.path_of("alice")) == 0600);
  CHECK(mode_of(dir.path / "profiles") == 0700);
  // no temporary file is left next to it
  size_t files = 0;
  for (auto& entry : fs::directory_iterator(dir.path / "profiles")) {
    (void) entry;
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("the store makes its own folder but never a missing parent", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path / "typo" / "profiles"};
  CHECK_FALSE(fs::exists(dir.path / "typo"));
  CHECK(store.save("alice", sample())); // an error, not a new tree of folders
}

TEST_CASE("a profile never saved loads as nothing, erase forgets one", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path};
  auto none = store.load("nobody");
  REQUIRE(none);
  CHECK_FALSE(*none);
  REQUIRE_FALSE(store.save("bob", sample()));
  REQUIRE_FALSE(store.erase("bob"));
  CHECK_FALSE(*store.load("bob"));
  CHECK_FALSE(store.erase("bob")); // erasing twice is fine
}

TEST_CASE("saving replaces the whole record, and tightens a widened file", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path};
  REQUIRE_FALSE(store.save("alice", sample()));
  ::chmod(store.path_of("alice").c_str(), 0644);
  stored_profile smaller;
  smaller.topics = {{"room:c", "{}"}};
  REQUIRE_FALSE(store.save("alice", smaller));
  CHECK(**store.load("alice") == smaller);
  CHECK(mode_of(store.path_of("alice")) == 0600);
}

TEST_CASE("profile names cannot leave the store's directory", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path};
  for (std::string name : {"../escape", "a/b", "..", ".hidden", "/etc/passwd"}) {
    INFO(name);
    auto p = store.path_of(name);
    CHECK(p.parent_path() == dir.path);
    CHECK(p.filename().string().front() != '.');
    REQUIRE_FALSE(store.save(name, sample()));
    CHECK(**store.load(name) == sample());
  }
  CHECK(store.load("").error().code() == static_cast<uint8_t>(storage_errc::bad_name));
}

TEST_CASE("a corrupt file is a corrupt error, not a crash", "[storage]") {
  scratch_dir dir;
  file_store store{dir.path};
  for (std::string junk : {"", "{", "[]", R"({"version":9})",
                           R"({"version":1,"connect_params":[["k"]],"topics":{}})",
                           R"({"version":1,"connect_params":[],"topics":[]})"}) {
    INFO(junk);
    std::ofstream{store.path_of("x"), std::ios::trunc} << junk;
    auto loaded = store.load("x");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code() == static_cast<uint8_t>(storage_errc::corrupt));
  }
}

TEST_CASE("the file store lists the profiles it holds by their own names, sorted",
          "[storage]") {
  scratch_dir dir;
  file_store store{dir.path / "p"};
  CHECK(store.profiles()->empty());
  REQUIRE_FALSE(store.save("bob", sample()));
  REQUIRE_FALSE(store.save("a/b c", sample())); // kept as a%2Fb%20c.json
  REQUIRE_FALSE(store.save("alice", sample()));
  std::ofstream{dir.path / "p" / "carol.json.tmp"} << "{"; // a write cut short
  std::ofstream{dir.path / "p" / "notes.txt"} << "x";
  CHECK(*store.profiles() == std::vector<std::string>{"a/b c", "alice", "bob"});
  REQUIRE_FALSE(store.erase("a/b c"));
  CHECK(*store.profiles() == std::vector<std::string>{"alice", "bob"});
}
