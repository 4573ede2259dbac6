#pragma once
// The Redis adapter of the lease seam, on hiredis. One key per profile,
// PREFIX "lease:" PROFILE, whose value is "NODE FENCE" and whose expiry is
// the lease's time to live; the fence comes from INCR on PREFIX "fence:"
// PROFILE. Claim, renew and release are each one Lua script, so each is
// atomic on the server: a claim sets the key only if it is absent, a renew
// extends it and a release deletes it only while the value is still ours.
//
// Members: a sorted set PREFIX "nodes" scored by each node's expiry on the
// Redis server's own clock (TIME), and a hash PREFIX "node_info"; the
// announce script drops expired members before it answers.
//
// One connection, used by one caller at a time (calls are serialised); a
// broken connection is opened again on the next call. Every call is bounded
// by `timeout`.

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "storage/lease_store.hpp"
#include "storage/redis_url.hpp"

struct redisContext;
struct redisReply;

namespace tether {

struct redis_options {
  /// redis://HOST:PORT[/DB], redis://:PASSWORD@HOST:PORT[/DB] or
  /// unix:/path/to/redis.sock (storage/redis_url.hpp)
  std::string url = "redis://127.0.0.1:6379";
  std::string key_prefix = "tether:";
  std::chrono::milliseconds timeout{500}; ///< connect and each command
};

class redis_lease_store final : public lease_store {
public:
  /// Checks the URL and connects once (PING); fails with the reason.
  static caf::expected<std::shared_ptr<redis_lease_store>> open(redis_options opts);

  ~redis_lease_store() override;
  redis_lease_store(const redis_lease_store&) = delete;
  redis_lease_store& operator=(const redis_lease_store&) = delete;

  caf::expected<lease> claim(const std::string& profile, const std::string& node,
                             std::chrono::milliseconds ttl) override;
  caf::expected<bool> renew(const std::string& profile, const lease& ours,
                            std::chrono::milliseconds ttl) override;
  caf::expected<bool> release(const std::string& profile, const lease& ours) override;
  caf::expected<std::optional<lease>> holder(const std::string& profile) override;
  caf::expected<std::vector<std::optional<lease>>>
  holders(const std::vector<std::string>& profiles) override;
  caf::expected<std::map<std::string, std::string>>
  announce(const std::string& node, const std::string& info,
           std::chrono::milliseconds ttl) override;
  caf::error leave(const std::string& node) override;

private:
  redis_lease_store(redis_options opts, redis_endpoint where);
  caf::error connect();
  /// Runs one command (argv form); the reply is freed by the caller.
  caf::expected<redisReply*> command(const std::vector<std::string>& args);

  redis_options opts_;
  redis_endpoint where_;
  std::mutex mutex_;
  redisContext* ctx_ = nullptr;
};

} // namespace tether
