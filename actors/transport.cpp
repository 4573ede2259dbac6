#include "actors/transport.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/transport_engine.hpp"

namespace tether {

namespace {

constexpr caf::atom_value transport_category = caf::atom("tether_tr");

struct transport_state {
  std::unique_ptr<detail::transport_engine> engine;
  /// Each owner's sockets (possibly some already ended), to close at its end.
  std::unordered_map<caf::actor_addr, std::vector<socket_id>> by_owner;
  static inline const char* name = "tether.transport";
};

} // namespace

caf::error make_error(transport_errc code) {
  return {static_cast<uint8_t>(code), transport_category};
}

caf::error make_error(transport_errc code, std::string detail) {
  return {static_cast<uint8_t>(code), transport_category,
          caf::make_message(std::move(detail))};
}

const char* to_string(transport_errc code) {
  switch (code) {
    case transport_errc::unknown_socket:
      return "unknown_socket";
    case transport_errc::queue_full:
      return "queue_full";
    case transport_errc::bad_url:
      return "bad_url";
    case transport_errc::connect_failed:
      return "connect_failed";
    case transport_errc::connect_timeout:
      return "connect_timeout";
    case transport_errc::tls_failed:
      return "tls_failed";
    case transport_errc::dns_failed:
      return "dns_failed";
    case transport_errc::auth_refused:
      return "auth_refused";
    case transport_errc::rate_limited:
      return "rate_limited";
    case transport_errc::frame_too_large:
      return "frame_too_large";
    case transport_errc::lease_expired:
      return "lease_expired";
    case transport_errc::stopped:
      return "stopped";
    case transport_errc::proxy_failed:
      return "proxy_failed";
  }
  return "unknown_transport_error";
}

void add_transport_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(transport_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = to_string(static_cast<transport_errc>(code));
                           if (!ctx.empty())
                             text += caf::deep_to_string(ctx);
                           return text;
                         });
}

protocol::proxy_settings resolve_proxy(const transport_config& cfg) {
  if (cfg.proxy)
    return *cfg.proxy;
  auto from_env = protocol::proxy_settings_from_environment(
    [](const char* name) { return std::getenv(name); });
  if (!from_env)
    throw std::invalid_argument(from_env.error().to_string());
  return std::move(*from_env);
}

transport_actor spawn_transport(caf::actor_system& sys, transport_config cfg) {
  auto engine = std::make_shared<std::unique_ptr<detail::transport_engine>>(
    std::make_unique<detail::transport_engine>(std::move(cfg)));
  // A scheduled actor like the trees: its handlers take one lock briefly and
  // never wait on the network. (A detached one cost every push two thread
  // wake-ups, sender -> transport thread -> sender.)
  auto behavior =
    [engine](transport_actor::stateful_pointer<transport_state> self)
      -> transport_actor::behavior_type {
      self->state.engine = std::move(*engine);
      // A socket never outlives its owner: an owner that ends (even while
      // its open request is in flight) has its sockets closed.
      self->set_down_handler([self](caf::down_msg& dm) {
        auto& st = self->state;
        auto i = st.by_owner.find(dm.source);
        if (i == st.by_owner.end())
          return;
        for (auto id : i->second)
          st.engine->close(id, 1001, "owner ended");
        st.by_owner.erase(i);
      });
      return {
        [self](open_atom, socket_options& opts, socket_owner_actor& owner) {
          auto& st = self->state;
          auto addr = owner.address();
          auto& ids = st.by_owner[addr];
          if (ids.empty())
            self->monitor(owner);
          // Forget sockets that already ended, so the list stays short.
          ids.erase(std::remove_if(ids.begin(), ids.end(),
                                   [&](socket_id id) { return !st.engine->holds(id); }),
                    ids.end());
          auto id = st.engine->open(std::move(opts), std::move(owner));
          ids.push_back(id);
          return id;
        },
        [self](send_atom, socket_id id, bool binary,
               std::string& bytes) -> caf::result<caf::ok_atom> {
          auto kind = binary ? protocol::wire_kind::binary : protocol::wire_kind::text;
          if (auto err = self->state.engine->send(id, kind, std::move(bytes)))
            return err;
          return caf::ok_atom::value;
        },
        [self](close_atom, socket_id id, uint16_t code, std::string& reason) {
          self->state.engine->close(id, code, std::move(reason));
        },
        [self](lease_atom, socket_id id, caf::actor_clock::time_point until) {
          self->state.engine->send_until(id, until);
        },
        [self](count_atom) { return self->state.engine->socket_count(); },
      };
    };
  return sys.spawn(behavior);
}

} // namespace tether
