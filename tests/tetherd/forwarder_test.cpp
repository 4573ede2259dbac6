// An account's event forwarder leaves nothing behind on the daemon when it
// stops: the daemon lives as long as the process and sees one forwarder per
// account start (API start, reload, a [defaults] change).

#include <catch2/catch.hpp>

#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
// In libasan; GCC ships no header for it (clang's allocator_interface.h).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "apps/tetherd/forwarder.hpp"
#include "testing/deterministic_system.hpp"

using namespace tether;

namespace {

size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

daemon::daemon_actor::behavior_type daemon_stand_in() {
  return {
    [](daemon::api_request&) {},
    [](daemon::account_event&) {},
    [](daemon::reload_atom) {},
    [](daemon::drain_atom) { return caf::ok_atom::value; },
  };
}

} // namespace

TEST_CASE("ten thousand account starts leave no memory on the daemon", "[tetherd]") {
  testing::deterministic_system t;
  auto d = t.sys().spawn(daemon_stand_in);
  auto cycle = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto f = daemon::spawn_forwarder(t.sys(), d, "alice", static_cast<uint64_t>(i));
      t.run();
      caf::anon_send_exit(f, caf::exit_reason::user_shutdown);
      t.run();
    }
  };
  cycle(1000); // warm up CAF's caches and the allocator
  auto before = heap_in_use();
  cycle(10000);
  auto grown = static_cast<long>(heap_in_use()) - static_cast<long>(before);
  INFO("heap grew by " << grown << " bytes over 10,000 starts");
  CHECK(grown < 1024 * 1024); // it was about 11 MB: 1.15 kB per start
  caf::anon_send_exit(d, caf::exit_reason::kill);
  t.run();
}
