#pragma once
// Shared by the integration suites: sockets through the real transport.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

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

  /// The next event of that type, waiting at most `limit` (a bound on a
  /// test that hangs, not a timing rule: the rules are tested elsewhere).
  template <class Event>
  Event next(caf::timespan limit = std::chrono::seconds{10}) {
    Event out{};
    bool got = false;
    (*self)->receive([&](Event& ev) { out = std::move(ev); got = true; },
                     caf::after(limit) >> [] {});
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

/// One raw socket through the fixture: frames sent and read one by one.
struct wire_session {
  socket_fixture& f;
  socket_id id;

  /// Opens `url` (with its vsn and params) and waits until it is open.
  wire_session(socket_fixture& fx, const std::string& url) : f(fx) {
    id = f.open({url});
    REQUIRE(f.next<socket_opened>().id == id);
  }

  void send(const protocol::encode_result& bytes, bool binary = false) {
    REQUIRE(bytes.has_value());
    REQUIRE_FALSE(f.send(id, *bytes, binary));
  }

  protocol::frame next() {
    return f.next_frame();
  }

  /// The next frame, or none within `limit`.
  std::optional<protocol::frame> maybe_next(std::chrono::milliseconds limit) {
    std::optional<protocol::frame> out;
    (*f.self)->receive(
      [&](socket_received& m) {
        auto fr = f.codec.decode(m.bytes, m.kind);
        REQUIRE(fr.has_value());
        out = *fr;
      },
      caf::after(limit) >> [] {});
    return out;
  }
};

/// A reply's status ("ok", "error").
inline std::string status_of(const protocol::frame& r) {
  auto parsed = protocol::parse_reply(r);
  REQUIRE(parsed.has_value());
  return parsed->status;
}

} // namespace tether::testing
