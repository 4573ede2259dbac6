#include "storage/redis_lease_store.hpp"

#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>

#include <hiredis/hiredis.h>

namespace tether {

namespace {

// KEYS[1] the lease, KEYS[2] its fence counter; ARGV[1] the node, ARGV[2]
// the time to live in ms. Returns the lease's value as it now is.
constexpr const char* claim_script = R"(
local held = redis.call('GET', KEYS[1])
if held then return held end
local fence = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. ' ' .. fence
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
)";

// ARGV[1] the value we hold; renew: ARGV[2] the new time to live in ms.
constexpr const char* renew_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)";

constexpr const char* release_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)";

// KEYS[1] the members' expiries, KEYS[2] their info; ARGV[1] the node,
// ARGV[2] ttl in ms, ARGV[3] its info. Answers node, info, node, info, ...
constexpr const char* announce_script = R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, n in ipairs(gone) do redis.call('HDEL', KEYS[2], n) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('HGETALL', KEYS[2])
)";

struct reply_deleter {
  void operator()(redisReply* r) const noexcept {
    if (r)
      freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

std::string value_of(const lease& l) {
  return l.node + " " + std::to_string(l.fence);
}

std::optional<lease> parse_value(const char* text, size_t n) {
  std::string_view v{text, n};
  auto space = v.rfind(' ');
  if (space == std::string_view::npos || space == 0)
    return std::nullopt;
  lease out;
  out.node = std::string{v.substr(0, space)};
  auto digits = v.substr(space + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.fence);
  if (ec != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  return out;
}

caf::error bad_node(const std::string& node) {
  return make_error(storage_errc::bad_name,
                    "a node name must be non-empty without spaces: \"" + node + "\"");
}

bool usable_node(const std::string& node) {
  return !node.empty() && node.find_first_of(" \t\r\n") == std::string::npos;
}

/// hiredis writes with write(), so a Redis that went away would kill the
/// whole process with SIGPIPE. A library must not change the process's
/// signal handling: SIGPIPE is blocked on the calling thread for the call,
/// and one it raised is taken off before the mask is restored (the write
/// then fails with EPIPE, which the store reports as io_failed).
class sigpipe_guard {
public:
  sigpipe_guard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~sigpipe_guard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

/// One command in argv form (binary-safe); null when the connection failed.
redisReply* send_argv(redisContext* ctx, const std::vector<std::string>& args) {
  sigpipe_guard no_sigpipe;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
    redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

} // namespace

caf::expected<std::shared_ptr<redis_lease_store>> redis_lease_store::open(redis_options opts) {
  std::string why;
  auto where = parse_redis_url(opts.url, why);
  if (!where)
    return make_error(storage_errc::io_failed, "redis URL " + opts.url + ": " + why);
  std::shared_ptr<redis_lease_store> store{new redis_lease_store(std::move(opts), *where)};
  std::lock_guard guard{store->mutex_};
  if (auto err = store->connect())
    return err;
  return store;
}

redis_lease_store::redis_lease_store(redis_options opts, redis_endpoint where)
  : opts_(std::move(opts)), where_(std::move(where)) {
}

redis_lease_store::~redis_lease_store() {
  if (ctx_)
    redisFree(ctx_);
}

caf::error redis_lease_store::connect() {
  if (ctx_) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  auto tv = to_timeval(opts_.timeout);
  ctx_ = where_.port == 0 ? redisConnectUnixWithTimeout(where_.host.c_str(), tv)
                          : redisConnectWithTimeout(where_.host.c_str(), where_.port, tv);
  auto fail = [this](const std::string& what) {
    std::string detail = "redis " + opts_.url + ": " + what;
    if (ctx_) {
      redisFree(ctx_);
      ctx_ = nullptr;
    }
    return make_error(storage_errc::io_failed, detail);
  };
  if (!ctx_)
    return fail("out of memory");
  if (ctx_->err)
    return fail(ctx_->errstr);
  redisSetTimeout(ctx_, tv);
  auto ask = [this](const std::vector<std::string>& args) {
    return reply_ptr{send_argv(ctx_, args)};
  };
  if (!where_.password.empty()) {
    auto r = ask({"AUTH", where_.password});
    if (!r || r->type == REDIS_REPLY_ERROR)
      return fail(r ? r->str : ctx_->errstr);
  }
  if (where_.db != 0) {
    auto r = ask({"SELECT", std::to_string(where_.db)});
    if (!r || r->type == REDIS_REPLY_ERROR)
      return fail(r ? r->str : ctx_->errstr);
  }
  auto r = ask({"PING"});
  if (!r || r->type == REDIS_REPLY_ERROR)
    return fail(r ? r->str : ctx_->errstr);
  return {};
}

caf::expected<redisReply*> redis_lease_store::command(const std::vector<std::string>& args) {
  // A connection that failed once is not trusted again: its replies could
  // be out of step with its requests. The next call opens a new one.
  if (!ctx_ || ctx_->err)
    if (auto err = connect())
      return err;
  auto* r = send_argv(ctx_, args);
  if (!r) {
    std::string detail = "redis " + opts_.url + ": " + ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    return make_error(storage_errc::io_failed, detail);
  }
  if (r->type == REDIS_REPLY_ERROR) {
    std::string detail = "redis " + opts_.url + " refused " + args[0] + ": " + r->str;
    freeReplyObject(r);
    return make_error(storage_errc::io_failed, detail);
  }
  return r;
}

caf::expected<lease> redis_lease_store::claim(const std::string& profile,
                                              const std::string& node,
                                              std::chrono::milliseconds ttl) {
  if (!usable_node(node))
    return bad_node(node);
  std::lock_guard guard{mutex_};
  auto r = command({"EVAL", claim_script, "2", opts_.key_prefix + "lease:" + profile,
                    opts_.key_prefix + "fence:" + profile, node,
                    std::to_string(ttl.count())});
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  if (reply->type != REDIS_REPLY_STRING)
    return make_error(storage_errc::corrupt, "redis: a claim answered no lease value");
  auto l = parse_value(reply->str, reply->len);
  if (!l)
    return make_error(storage_errc::corrupt,
                      "redis: the lease of " + profile + " holds \""
                        + std::string{reply->str, reply->len} + "\"");
  return *l;
}

caf::expected<bool> redis_lease_store::renew(const std::string& profile, const lease& ours,
                                             std::chrono::milliseconds ttl) {
  std::lock_guard guard{mutex_};
  auto r = command({"EVAL", renew_script, "1", opts_.key_prefix + "lease:" + profile,
                    value_of(ours), std::to_string(ttl.count())});
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  return reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
}

caf::expected<bool> redis_lease_store::release(const std::string& profile, const lease& ours) {
  std::lock_guard guard{mutex_};
  auto r = command({"EVAL", release_script, "1", opts_.key_prefix + "lease:" + profile,
                    value_of(ours)});
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  return reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
}

caf::expected<std::optional<lease>> redis_lease_store::holder(const std::string& profile) {
  std::lock_guard guard{mutex_};
  auto r = command({"GET", opts_.key_prefix + "lease:" + profile});
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  if (reply->type == REDIS_REPLY_NIL)
    return std::optional<lease>{};
  if (reply->type != REDIS_REPLY_STRING)
    return make_error(storage_errc::corrupt, "redis: the lease of " + profile + " is not a string");
  auto l = parse_value(reply->str, reply->len);
  if (!l)
    return make_error(storage_errc::corrupt, "redis: the lease of " + profile + " holds \""
                                               + std::string{reply->str, reply->len} + "\"");
  return std::optional<lease>{*l};
}

caf::expected<std::vector<std::optional<lease>>>
redis_lease_store::holders(const std::vector<std::string>& profiles) {
  std::vector<std::optional<lease>> out;
  if (profiles.empty())
    return out;
  std::vector<std::string> args{"MGET"};
  for (auto& p : profiles)
    args.push_back(opts_.key_prefix + "lease:" + p);
  std::lock_guard guard{mutex_};
  auto r = command(args);
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != profiles.size())
    return make_error(storage_errc::corrupt, "redis: MGET answered no array");
  for (size_t i = 0; i < reply->elements; ++i) {
    auto* e = reply->element[i];
    out.push_back(e->type == REDIS_REPLY_STRING ? parse_value(e->str, e->len) : std::nullopt);
  }
  return out;
}

caf::expected<std::map<std::string, std::string>>
redis_lease_store::announce(const std::string& node, const std::string& info,
                            std::chrono::milliseconds ttl) {
  if (!usable_node(node))
    return bad_node(node);
  std::lock_guard guard{mutex_};
  auto r = command({"EVAL", announce_script, "2", opts_.key_prefix + "nodes",
                    opts_.key_prefix + "node_info", node, std::to_string(ttl.count()), info});
  if (!r)
    return r.error();
  reply_ptr reply{*r};
  std::map<std::string, std::string> out;
  if (reply->type != REDIS_REPLY_ARRAY)
    return make_error(storage_errc::corrupt, "redis: the members are not a list");
  for (size_t i = 0; i + 1 < reply->elements; i += 2)
    out[std::string{reply->element[i]->str, reply->element[i]->len}]
      = std::string{reply->element[i + 1]->str, reply->element[i + 1]->len};
  return out;
}

caf::error redis_lease_store::leave(const std::string& node) {
  std::lock_guard guard{mutex_};
  for (auto args : {std::vector<std::string>{"ZREM", opts_.key_prefix + "nodes", node},
                    std::vector<std::string>{"HDEL", opts_.key_prefix + "node_info", node}}) {
    auto r = command(args);
    if (!r)
      return r.error();
    reply_ptr{*r};
  }
  return {};
}

} // namespace tether
