// The Redis lease store against a real redis-server (a Unix socket of the
// test's own): one holder at a time, fences that grow, renew and release
// that never touch another node's lease, leases that lapse on their own,
// and a store that says so when Redis is not there.

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "storage/redis_lease_store.hpp"
#include "testing/redis_process.hpp"

using namespace tether;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<redis_lease_store> open_store(const testing::redis_process& redis) {
  redis_options opts;
  opts.url = redis.url();
  auto store = redis_lease_store::open(opts);
  REQUIRE(store);
  return *store;
}

} // namespace

TEST_CASE("a lease has one holder: the first claim wins, the next is told who holds it",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  auto a = store->claim("alice", "node-a", 10s);
  REQUIRE(a);
  CHECK(a->node == "node-a");
  CHECK(a->fence >= 1);
  auto b = store->claim("alice", "node-b", 10s);
  REQUIRE(b);
  CHECK(*b == *a); // lost: the holder's lease, fence and all
  auto held = store->holder("alice");
  REQUIRE(held);
  CHECK(*held == std::optional<lease>{*a});
  auto other = store->claim("bob", "node-b", 10s); // another profile is free
  REQUIRE(other);
  CHECK(other->node == "node-b");
}

TEST_CASE("renew and release act only on the exact lease: never on another node's, "
          "never on an older claim of the same node",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  auto mine = store->claim("alice", "node-a", 10s);
  REQUIRE(mine);
  lease theirs{"node-b", mine->fence};
  CHECK(store->renew("alice", theirs, 10s) == caf::expected<bool>{false});
  CHECK(store->release("alice", theirs) == caf::expected<bool>{false});
  lease stale{"node-a", mine->fence - 1}; // an earlier claim of ours
  CHECK(store->release("alice", stale) == caf::expected<bool>{false});
  CHECK(store->holder("alice")->value() == *mine);

  CHECK(store->renew("alice", *mine, 10s) == caf::expected<bool>{true});
  CHECK(store->release("alice", *mine) == caf::expected<bool>{true});
  CHECK(!store->holder("alice")->has_value());
  CHECK(store->release("alice", *mine) == caf::expected<bool>{false}); // gone already

  // the next claim gets a larger fence: an old holder's fence is always smaller
  auto again = store->claim("alice", "node-b", 10s);
  REQUIRE(again);
  CHECK(again->node == "node-b");
  CHECK(again->fence > mine->fence);
}

TEST_CASE("a lease nobody renews lapses after its time to live, and can then be claimed",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  auto a = store->claim("alice", "node-a", 150ms);
  REQUIRE(a);
  CHECK(a->node == "node-a");
  // Redis expires the key on its own clock; poll for it, bounded.
  auto give_up = std::chrono::steady_clock::now() + 5s;
  while (store->holder("alice")->has_value() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(20ms); // waiting for Redis's expiry, not for our code
  CHECK(!store->holder("alice")->has_value());
  CHECK(store->renew("alice", *a, 10s) == caf::expected<bool>{false}); // too late
  auto b = store->claim("alice", "node-b", 10s);
  REQUIRE(b);
  CHECK(b->node == "node-b");
}

TEST_CASE("a store whose Redis is gone says so (io_failed), and works again when it is back",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  REQUIRE(store->claim("alice", "node-a", 10s));
  redis.kill_hard();
  auto lost = store->claim("bob", "node-a", 10s);
  REQUIRE(!lost);
  CHECK(lost.error() == make_error(storage_errc::io_failed, ""));
  redis.start(); // an empty Redis: nothing was saved
  auto back = store->claim("bob", "node-a", 10s);
  REQUIRE(back);
  CHECK(back->node == "node-a");
}

TEST_CASE("a Redis that does not answer fails each call within the timeout", "[storage][redis]") {
  testing::redis_process redis;
  redis_options opts;
  opts.url = redis.url();
  opts.timeout = 200ms;
  auto store = redis_lease_store::open(opts);
  REQUIRE(store);
  redis.freeze();
  auto t0 = std::chrono::steady_clock::now();
  auto r = (*store)->claim("alice", "node-a", 10s);
  auto took = std::chrono::steady_clock::now() - t0;
  redis.thaw();
  CHECK(!r);
  CHECK(took < 2s); // bounded by the timeout, not by the frozen server
}

TEST_CASE("URLs and names the store cannot use are refused with the reason", "[storage][redis]") {
  std::string why;
  auto tcp = parse_redis_url("redis://:secret@127.0.0.1:6380/2", why);
  REQUIRE(tcp);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 6380);
  CHECK(tcp->password == "secret");
  CHECK(tcp->db == 2);
  auto unix_socket = parse_redis_url("unix:/run/redis.sock", why);
  REQUIRE(unix_socket);
  CHECK(unix_socket->port == 0);
  CHECK(!parse_redis_url("http://127.0.0.1", why));
  CHECK(!parse_redis_url("redis://127.0.0.1:99999", why));
  CHECK(why.find("99999") != std::string::npos);
  CHECK(!parse_redis_url("unix:relative.sock", why));

  testing::redis_process redis;
  auto store = open_store(redis);
  auto spaced = store->claim("alice", "node a", 10s);
  REQUIRE(!spaced);
  CHECK(spaced.error() == make_error(storage_errc::bad_name, ""));
}

TEST_CASE("members: each announcement lists every node alive, one that stops announcing "
          "drops out after its ttl, one that leaves drops out at once",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  CHECK(store->announce("node-a", "api-a", 10s)
        == caf::expected<std::map<std::string, std::string>>{
          std::map<std::string, std::string>{{"node-a", "api-a"}}});
  REQUIRE(store->announce("node-b", "api-b", 150ms));
  auto both = store->announce("node-a", "api-a", 10s);
  REQUIRE(both);
  CHECK(both->size() == 2);
  CHECK(both->at("node-b") == "api-b");
  auto give_up = std::chrono::steady_clock::now() + 5s;
  while (store->announce("node-a", "api-a", 10s)->count("node-b")
         && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(20ms); // waiting for node-b's ttl on Redis's clock
  CHECK(store->announce("node-a", "api-a", 10s)->count("node-b") == 0);
  REQUIRE(store->announce("node-c", "api-c", 10s));
  CHECK(!store->leave("node-c"));
  CHECK(store->announce("node-a", "api-a", 10s)->count("node-c") == 0);
}

TEST_CASE("holders answers every profile's holder in one round trip, in order",
          "[storage][redis]") {
  testing::redis_process redis;
  auto store = open_store(redis);
  auto a = store->claim("alice", "node-a", 10s);
  auto c = store->claim("carol", "node-b", 10s);
  auto all = store->holders({"alice", "bob", "carol"});
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0] == std::optional<lease>{*a});
  CHECK(!(*all)[1]);
  CHECK((*all)[2] == std::optional<lease>{*c});
}
