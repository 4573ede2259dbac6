// One connection per profile across processes, through Redis leases: two
// runtimes ("node-1", "node-2") share one Redis. node-1 claims and runs the
// profile; node-2's start is refused, naming node-1; once node-1 stops it,
// node-2 starts it at once.
//   cluster_lease unix:/path/redis.sock ws://127.0.0.1:4000/socket/websocket
#include <iostream>
#include <caf/all.hpp>
#include <tether/actors/runtime.hpp>
#include <tether/storage/redis_lease_store.hpp>

using namespace tether;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: cluster_lease REDIS_URL HUB_URL\n";
    return 2;
  }
  caf::actor_system_config cfg;
  add_error_categories(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto store = redis_lease_store::open({argv[1]}); // key prefix and timeout: defaults
  if (!store) {
    std::cout << "redis: " << sys.render(store.error()) << "\n";
    return 1;
  }
  std::vector<profile_registry_actor> registries; // yours to end, like the runtimes
  auto node = [&](const std::string& name) {
    auto registry = spawn_lease_registry(sys, {*store, name}); // ttl 15 s, margin 3 s
    registries.push_back(*registry);
    runtime_config rc;
    rc.registry = *registry;
    return spawn_runtime(sys, rc);
  };
  auto node1 = node("node-1");
  auto node2 = node("node-2");
  profile_config profile;
  profile.profile = "demo";
  profile.connection.url = argv[2];
  auto start = [&](runtime_actor& rt) {
    std::string outcome;
    self->request(rt, std::chrono::seconds{10}, start_atom::value, profile)
      .receive([&](connection_actor&) { outcome = "started"; },
               [&](caf::error& err) { outcome = sys.render(err); });
    return outcome;
  };
  std::cout << "node-1: " << start(node1) << "\n";
  std::cout << "node-2: " << start(node2) << "\n"; // already_running, held by node-1
  self->request(node1, std::chrono::seconds{10}, stop_atom::value, std::string{"demo"})
    .receive([](caf::ok_atom) {}, [](caf::error&) {});
  std::cout << "node-2 after node-1 stopped: " << start(node2) << "\n";
  self->send_exit(node1, caf::exit_reason::user_shutdown);
  self->send_exit(node2, caf::exit_reason::user_shutdown);
  for (auto& r : registries)
    self->send_exit(r, caf::exit_reason::user_shutdown);
  return 0;
}
