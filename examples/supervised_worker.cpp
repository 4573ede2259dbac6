// A worker under a supervisor: it crashes, the supervisor starts a new one.
#include <iostream>

#include <caf/all.hpp>
#include <tether/supervision/supervisor.hpp>

using namespace tether::sup;
using crash_atom = caf::atom_constant<caf::atom("crash")>;

caf::behavior echo(caf::event_based_actor* self) {
  return {[self](crash_atom) { self->quit(caf::sec::runtime_error); },
          [](const std::string& text) { return "echo: " + text; }};
}

caf::actor running_child(caf::scoped_actor& self, const supervisor_actor& sup) {
  caf::actor found;
  self->request(sup, caf::infinite, which_atom::value)
    .receive([&](std::vector<child_info>& rows) { found = rows.at(0).handle; },
             [&](caf::error& err) { std::cerr << to_string(err) << '\n'; });
  return found;
}

int main() {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto start = [](caf::actor_system& s) -> caf::expected<caf::actor> {
    return s.spawn(echo);
  };
  auto sup = spawn_supervisor(sys, {}, {worker("echo", start)});
  caf::scoped_actor self{sys};
  auto first = running_child(self, sup);
  self->monitor(first);
  self->send(first, crash_atom::value);
  self->receive([](caf::down_msg&) {}); // the first echo is gone ...
  auto second = running_child(self, sup); // ... and replaced
  self->request(second, caf::infinite, std::string{"still here"})
    .receive([](std::string& reply) { std::cout << reply << '\n'; },
             [](caf::error&) {});
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  return first != second && second ? 0 : 1;
}
