// The SQLite profile store (tether::sqlite): what a restarted process
// resumes from. Saves two profiles in DIR/state.db, forgets one, lists them.
//   sqlite_records DIR

#include <iostream>

#include <tether/storage/sqlite_store.hpp>

using namespace tether;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: sqlite_records DIR\n";
    return 2;
  }
  auto store = sqlite_store::open(std::string{argv[1]} + "/state.db");
  if (!store) {
    std::cerr << "cannot open: " << caf::to_string(store.error()) << "\n";
    return 1;
  }
  stored_profile record;
  record.topics["room:lobby"] = "{}";
  if ((*store)->save("alice", record) || (*store)->save("bob", record)
      || (*store)->erase("bob"))
    return 1;
  auto names = (*store)->profiles();
  if (!names)
    return 1;
  for (auto& name : *names)
    std::cout << "stored " << name << "\n";
  return *names == std::vector<std::string>{"alice"} ? 0 : 1;
}
