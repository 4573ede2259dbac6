#include "actors/profile_tree.hpp"

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "actors/events.hpp"

#include "actors/connection_state.hpp"
#include "actors/heartbeat.hpp"
#include "actors/liveness.hpp"

namespace tether::detail {

namespace {

/// The handles of the tree's current children. Only the tree's supervisor
/// touches it, from the start functions it runs in order, so a restarted
/// child always sees the current generation of the siblings above it.
struct tree_context {
  profile_config cfg;
  transport_actor transport;
  endpoint_actor endpoint;
  sup::registry_actor registry;
  ref_counter_actor refs;
  connection_impl connection;
  liveness_actor liveness;
};

using context_ptr = std::shared_ptr<tree_context>;

template <class Handle>
caf::expected<caf::actor> started(const Handle& h) {
  return caf::actor_cast<caf::actor>(h);
}

/// Turns the tree's supervisor reports into consumer events, rendered with
/// the system's error names. Runs inside the reporting supervisor.
sup::report_fn tell_consumer(caf::actor_system& sys, caf::actor consumer) {
  return [&sys, consumer](const sup::supervisor_report& r) {
    caf::anon_send(consumer, event{supervisor_reported{r.supervisor, sup::to_string(r.context),
                                                       r.child_id, sys.render(r.reason)}});
  };
}

} // namespace

sup::child_spec profile_tree_spec(profile_config cfg, transport_actor transport,
                                  endpoint_actor endpoint) {
  auto ctx = std::make_shared<tree_context>();
  ctx->transport = std::move(transport);
  ctx->endpoint = std::move(endpoint);
  auto flags = cfg.restart_intensity;
  flags.strategy = sup::restart_strategy::rest_for_one;
  auto name = "profile:" + cfg.profile;
  flags.name = name;
  ctx->cfg = std::move(cfg);
  std::vector<sup::child_spec> children{
    sup::worker("registry",
                [ctx](caf::actor_system& sys) {
                  ctx->registry = sup::spawn_registry(sys);
                  return started(ctx->registry);
                }),
    sup::worker("ref_counter",
                [ctx](caf::actor_system& sys) {
                  ctx->refs = spawn_ref_counter(sys);
                  return started(ctx->refs);
                }),
    sup::worker("connection",
                [ctx](caf::actor_system& sys) {
                  connection_links links{ctx->transport, ctx->refs, ctx->registry,
                                         ctx->endpoint, ctx->cfg.consumer};
                  ctx->connection = spawn_connection(sys, ctx->cfg.connection, links);
                  return started(ctx->connection);
                }),
    sup::worker("liveness",
                [ctx](caf::actor_system& sys) {
                  auto live = ctx->cfg.connection.liveness;
                  live.interval = ctx->cfg.connection.heartbeat.slow;
                  ctx->liveness = spawn_liveness(
                    sys, live, caf::actor_cast<peer_dead_sink>(ctx->connection));
                  caf::anon_send(ctx->connection, attach_atom::value, ctx->liveness);
                  return started(ctx->liveness);
                }),
    sup::worker("heartbeat",
                [ctx](caf::actor_system& sys) {
                  auto wire = protocol::wire_version_of(ctx->cfg.connection.url)
                                .value_or(protocol::wire_choice{});
                  auto hb = spawn_heartbeat(sys, ctx->cfg.connection.heartbeat, ctx->refs,
                                            ctx->transport, ctx->liveness, wire.version);
                  caf::anon_send(ctx->connection, attach_atom::value, hb);
                  return started(hb);
                }),
    sup::child_spec{"senders",
                    [ctx, name](caf::actor_system& sys) {
                      sup::dynamic_supervisor_flags senders_flags;
                      senders_flags.name = name + "/senders";
                      senders_flags.report = tell_consumer(sys, ctx->cfg.consumer);
                      auto senders = sup::spawn_dynamic_supervisor(sys, senders_flags);
                      caf::anon_send(ctx->connection, attach_atom::value, senders);
                      return started(senders);
                    },
                    sup::restart_type::permanent, sup::shutdown_policy::infinity(),
                    sup::child_type::supervisor},
  };
  // supervisor_child, with the report hook bound to the system it runs in.
  sup::child_spec spec;
  spec.id = name;
  spec.start = [ctx, flags, children = std::move(children)](
                 caf::actor_system& sys) -> caf::expected<caf::actor> {
    auto f = flags;
    f.report = tell_consumer(sys, ctx->cfg.consumer);
    return started(sup::spawn_supervisor(sys, f, children));
  };
  spec.restart = sup::restart_type::temporary;
  spec.shutdown = sup::shutdown_policy::infinity();
  spec.type = sup::child_type::supervisor;
  return spec;
}

} // namespace tether::detail
