#pragma once
// Shared by the integration suites: sockets through the real transport.

#include <memory>

#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/transport.hpp"
#include "protocol/phoenix_json.hpp"
#include "protocol/reply.hpp"
#include "testing/hub_process.hpp"

namespace tether::testing {

/// A real actor system with the transport; a scoped actor owns the sockets
/// and waits for their events (10 s at most each).
struct socket_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  transport_actor transport;
  protocol::phoenix_json_codec codec;

  explicit socket_fixture(transport_config tcfg = {}) {
    add_transport_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    transport = spawn_transport(*sys, std::move(tcfg));
  }

  ~socket_fixture() {
    (*self)->send_exit(transport, caf::exit_reason::user_shutdown);
    self.reset();
  }

  socket_owner_actor owner() {
    return caf::actor_cast<socket_owner_actor>(*self);
  }

  socket_id open(socket_options opts) {
    socket_id id = 0;
    (*self)->request(transport, caf::infinite, open_atom::value, std::move(opts), owner())
      .receive([&](socket_id x) { id = x; }, [](caf::error&) { FAIL("open refused"); });
    return id;
  }

  caf::error send(socket_id id, std::string bytes, bool binary = false) {
    caf::error result;
    (*self)->request(transport, caf::infinite, send_atom::value, id, binary,
                     std::move(bytes))
      .receive([](caf::ok_atom) {}, [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  template <class Event>
  Event next() {
    Event out{};
    bool got = false;
    (*self)->receive([&](Event& ev) { out = std::move(ev); got = true; },
                     caf::after(std::chrono::seconds{10}) >> [] {});
    REQUIRE(got);
    return out;
  }

  protocol::frame next_frame() {
    auto msg = next<socket_received>();
    auto f = codec.decode(msg.bytes, msg.kind);
    REQUIRE(f.has_value());
    return *f;
  }
};

} // namespace tether::testing
