#include "support/scripted_transport.hpp"

#include <caf/send.hpp>

namespace tether::testing {

transport_actor spawn_scripted_transport(caf::actor_system& sys) {
  return sys.spawn([](transport_actor::stateful_pointer<scripted_transport_state> self)
                     -> transport_actor::behavior_type {
    return {
      [self](open_atom, socket_options& opts, socket_owner_actor& owner) {
        auto id = ++self->state.last_id;
        self->state.opened.push_back({id, std::move(opts), std::move(owner)});
        return id;
      },
      [self](send_atom, socket_id id, bool, std::string& bytes)
        -> caf::result<caf::ok_atom> {
        if (self->state.refuse_sends)
          return make_error(transport_errc::queue_full);
        self->state.sent.emplace_back(id, std::move(bytes));
        return caf::ok_atom::value;
      },
      [self](close_atom, socket_id id, uint16_t code, std::string&) {
        self->state.closed.emplace_back(id, code);
      },
      [self](count_atom) { return self->state.opened.size(); },
    };
  });
}

std::vector<std::string> scripted_peer::sent_on(socket_id id) {
  std::vector<std::string> out;
  for (auto& [sid, text] : state().sent)
    if (sid == id)
      out.push_back(text);
  return out;
}

std::vector<std::string> scripted_peer::take_sent() {
  std::vector<std::string> out;
  for (auto& [sid, text] : state().sent)
    out.push_back(text);
  state().sent.clear();
  return out;
}

socket_owner_actor scripted_peer::owner_of(socket_id id) {
  for (auto& s : state().opened)
    if (s.id == id)
      return s.owner;
  return {};
}

void scripted_peer::open(socket_id id) {
  caf::anon_send(owner_of(id), socket_opened{id});
  t_.run();
}

void scripted_peer::say(socket_id id, const std::string& text) {
  caf::anon_send(owner_of(id), socket_received{id, protocol::wire_kind::text, text});
  t_.run();
}

void scripted_peer::close(socket_id id, uint16_t code) {
  caf::anon_send(owner_of(id), socket_closed{id, code, ""});
  t_.run();
}

void scripted_peer::fail(socket_id id, transport_errc why, int http_status,
                         int retry_after_s) {
  caf::anon_send(owner_of(id), socket_failed{id, why, http_status, retry_after_s, ""});
  t_.run();
}

} // namespace tether::testing
