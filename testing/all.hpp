#pragma once
// tether's testing kit for embedders (installed as <tether/testing.hpp>):
// drive a profile's tree on virtual time, play the server by hand, record
// what the consumer sees. Guide: docs/testing.md.
//
//   deterministic_system  a CAF system on the deterministic scheduler:
//                         run(), advance(d), request(), watch(), own()
//   scripted_transport    stands in for the libwebsockets transport; the
//   + scripted_peer       test opens, feeds, closes and fails sockets
//   recording_consumer    turns every event into a line of an event_log
//   hub_process           runs tether-hub on a free loopback port, for
//                         integration tests: restart, freeze (SIGSTOP), thaw
//   memory_lease_store    a lease store on the test's clock, for leased
//                         profiles on virtual time (nodes sharing "Redis")
//   redis_process         runs redis-server on a Unix socket of its own, for
//                         lease tests: stop, kill, freeze, thaw, start again
//   connect_proxy         an HTTP CONNECT proxy on loopback that records each
//                         tunnel and counts its bytes (proxy and wire tests)

#include "testing/deterministic_system.hpp"
#include "testing/hub_process.hpp"
#include "testing/memory_lease_store.hpp"
#include "testing/recording_consumer.hpp"
#include "testing/connect_proxy.hpp"
#include "testing/redis_process.hpp"
#include "testing/scripted_transport.hpp"
