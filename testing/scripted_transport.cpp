#include "testing/scripted_transport.hpp"

#include <caf/send.hpp>

namespace tether::testing {

namespace {

using release_atom = caf::atom_constant<caf::atom("release")>;

/// Promises are delivered from inside the actor, never from the test.
using scripted_impl = transport_actor::extend<caf::reacts_to<release_atom>>;

} // namespace

transport_actor spawn_scripted_transport(caf::actor_system& sys) {
  auto impl = sys.spawn([](scripted_impl::stateful_pointer<scripted_transport_state> self)
                     -> scripted_impl::behavior_type {
    return {
      [self](release_atom) {
        auto held = std::move(self->state.held);
        self->state.held.clear();
        for (auto& h : held) {
          self->state.sent.emplace_back(h.id, h.bytes);
          h.promise.deliver(caf::ok_atom::value);
        }
      },
      [self](open_atom, socket_options& opts, socket_owner_actor& owner) {
        auto id = ++self->state.last_id;
        self->state.opened.push_back({id, std::move(opts), std::move(owner)});
        return id;
      },
      [self](send_atom, socket_id id, bool, std::string& bytes)
        -> caf::result<caf::ok_atom> {
        if (self->state.refuse_sends)
          return make_error(transport_errc::queue_full);
        if (auto until = self->state.send_until.find(id);
            until != self->state.send_until.end() && self->clock().now() >= until->second) {
          self->state.refused_for_lease.push_back(id);
          self->state.send_until.erase(until); // closed once, as the real one does
          self->state.closed.emplace_back(id, uint16_t{1008});
          self->state.close_reasons.emplace_back(lease_expired_reason);
          for (auto& s : self->state.opened)
            if (s.id == id)
              self->send(s.owner, socket_closed{id, 1008, std::string{lease_expired_reason}, true});
          return make_error(transport_errc::lease_expired);
        }
        if (self->state.hold_sends) {
          // Before the promise: making it takes the sender out of the message.
          auto from = caf::actor_cast<caf::actor>(self->current_sender());
          auto rp = self->make_response_promise<caf::ok_atom>();
          self->state.held.push_back({id, std::move(bytes), rp, std::move(from)});
          return rp;
        }
        self->state.sent.emplace_back(id, std::move(bytes));
        return caf::ok_atom::value;
      },
      [self](close_atom, socket_id id, uint16_t code, std::string& reason) {
        self->state.closed.emplace_back(id, code);
        self->state.close_reasons.push_back(std::move(reason));
      },
      [self](lease_atom, socket_id id, caf::actor_clock::time_point until) {
        self->state.send_until[id] = until;
      },
      [self](count_atom) { return self->state.opened.size(); },
    };
  });
  return caf::actor_cast<transport_actor>(impl);
}

scripted_transport_state& scripted_peer::state() {
  return t_.state_of<scripted_transport_state>(caf::actor_cast<scripted_impl>(transport_));
}

size_t scripted_peer::live_sockets() {
  size_t live = 0;
  for (auto& s : state().opened) {
    bool closed = false;
    for (auto& [id, code] : state().closed)
      closed = closed || id == s.id;
    live += closed ? 0 : 1;
  }
  return live;
}

void scripted_peer::release_held() {
  caf::anon_send(caf::actor_cast<scripted_impl>(transport_), release_atom::value);
  t_.run();
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
  say_arrived(id, text, t_.now());
}

void scripted_peer::say_arrived(socket_id id, const std::string& text,
                                caf::actor_clock::time_point arrived) {
  caf::anon_send(owner_of(id), socket_received{id, protocol::wire_kind::text, text, arrived});
  t_.run();
}

void scripted_peer::close(socket_id id, uint16_t code) {
  caf::anon_send(owner_of(id), socket_closed{id, code, ""});
  t_.run();
}

void scripted_peer::refuse_inbound(socket_id id, uint16_t code) {
  caf::anon_send(owner_of(id), socket_closed{id, code, "", true});
  t_.run();
}

void scripted_peer::fail(socket_id id, transport_errc why, int http_status,
                         int retry_after_s) {
  caf::anon_send(owner_of(id), socket_failed{id, why, http_status, retry_after_s, ""});
  t_.run();
}

} // namespace tether::testing
