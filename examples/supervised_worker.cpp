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

/// The running child other than `not_this`. `which` answers in the
/// supervisor's own mailbox order, as OTP's which_children does: the caller
/// may see a child go down before the supervisor has handled that exit, and
/// until then `which` still lists it. So ask until the replacement shows.
caf::actor running_child(caf::scoped_actor& self, const supervisor_actor& sup,
                         const caf::actor& not_this = nullptr) {
  caf::actor found;
  for (int tries = 0; tries < 10000 && (!found || found == not_this); ++tries)
    self->request(sup, caf::infinite, which_atom::value)
      .receive([&](std::vector<child_info>& rows) { found = rows.at(0).handle; },
               [&](caf::error& err) { std::cerr << to_string(err) << '\n'; });
  return found == not_this ? nullptr : found;
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
  auto second = running_child(self, sup, first); // ... and replaced
  self->request(second, caf::infinite, std::string{"still here"})
    .receive([](std::string& reply) { std::cout << reply << '\n'; },
             [](caf::error&) {});
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  return first != second && second ? 0 : 1;
}
