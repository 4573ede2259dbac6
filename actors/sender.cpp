#include "actors/sender.hpp"

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>

#include "protocol/phoenix_json.hpp"

namespace tether::detail {

namespace {

using idle_atom = caf::atom_constant<caf::atom("idle")>;

using sender_impl = sender_actor::extend<caf::reacts_to<idle_atom, uint64_t>>;

struct sender_state {
  sender_config cfg;
  protocol::phoenix_json_codec codec;
  uint64_t last_work = 0; ///< bumped per push; an idle timer of older work is void
  static inline const char* name = "tether.sender";
};

using self_ptr = sender_impl::stateful_pointer<sender_state>;

void arm_idle_timer(self_ptr self) {
  self->delayed_send(self, self->state.cfg.idle_after, idle_atom::value,
                     ++self->state.last_work);
}

sender_impl::behavior_type sender_behavior(self_ptr self, sender_config cfg) {
  self->state.cfg = std::move(cfg);
  arm_idle_timer(self);
  return {
    [self](deliver_atom, socket_id socket, std::string& join_ref, std::string& topic,
           std::string& event, std::string& payload) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      arm_idle_timer(self);
      protocol::frame f{std::nullopt, std::nullopt, std::move(topic), std::move(event),
                        std::move(payload), protocol::payload_format::json, {}};
      if (!join_ref.empty())
        f.join_ref = std::move(join_ref);
      // `await` holds every later push of this topic until this one has
      // left: that is the serialisation (other topics' senders run freely).
      self->request(self->state.cfg.refs, caf::infinite, next_ref_atom::value)
        .await(
          [self, rp, socket, f = std::move(f)](std::string& ref) mutable {
            f.ref = ref;
            auto bytes = self->state.codec.encode(f);
            if (!bytes) {
              rp.deliver(make_error(push_errc::invalid_payload));
              return;
            }
            self->request(self->state.cfg.transport, caf::infinite, send_atom::value,
                          socket, false, std::move(*bytes))
              .await([rp, ref](caf::ok_atom) mutable { rp.deliver(ref); },
                     [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](idle_atom, uint64_t work) {
      if (work == self->state.last_work)
        self->quit(); // normal exit: fails nothing
    },
  };
}

} // namespace

sup::child_spec sender_spec(const std::string& topic, sender_config cfg) {
  auto spec = sup::worker(
    "sender:" + topic,
    [cfg](caf::actor_system& sys) -> caf::expected<caf::actor> {
      return caf::actor_cast<caf::actor>(sys.spawn(sender_behavior, cfg));
    },
    sup::restart_type::temporary);
  spec.shutdown = sup::shutdown_policy::brutal_kill(); // holds nothing to flush
  return spec;
}

} // namespace tether::detail
