// Embedding tether: one supervised Phoenix connection inside your own CAF
// actor system. Joins room:lobby, pushes one message, prints the reply.
//   embed_phoenix ws://127.0.0.1:4000/socket/websocket
#include <iostream>
#include <caf/all.hpp>
#include <tether/actors/runtime.hpp>

using namespace tether;
using std::string;

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  add_error_categories(cfg);
  tune_scheduler_for_sockets(cfg); // optional: lower latency (docs/performance.md)
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto runtime = spawn_runtime(sys);
  profile_config profile;
  profile.profile = "demo";
  profile.connection.url = argc > 1 ? argv[1] : "ws://127.0.0.1:4000/socket/websocket";
  profile.consumer = sys.spawn([]() -> caf::behavior {
    return {[](event& e) { // every event is one message: visit what matters
      std::visit(overloaded{[](topic_joined& j) { std::cout << "joined " << j.topic << "\n"; },
                            [](disconnected& d) { std::cout << "down: " << d.cause << "\n"; },
                            [](auto&) {}}, e);
    }};
  });
  auto fail = [&](caf::error& err) { std::cout << "failed: " << sys.render(err) << "\n"; };
  int status = 1;
  self->request(runtime, std::chrono::seconds{10}, start_atom::value, profile)
    .receive([&](connection_actor& conn) {
      self->request(conn, std::chrono::seconds{10}, join_atom::value, string{"room:lobby"},
                    string{"{}"}).receive([](caf::ok_atom) {}, fail);
      self->request(conn, std::chrono::seconds{40}, push_atom::value, string{"room:lobby"},
                    string{"echo"}, string{R"({"hello":"world"})"}, caf::timespan{0})
        .receive([&](string& reply) { std::cout << "reply " << reply << "\n"; status = 0; }, fail);
    }, fail);
  self->send_exit(runtime, caf::exit_reason::user_shutdown);
  return status;
}
