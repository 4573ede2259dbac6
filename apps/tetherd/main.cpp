// tetherd: the standalone multi-account daemon. Reads its TOML config, runs
// one connection tree per account, serves the control API, reloads on
// SIGHUP and drains on SIGTERM / SIGINT (docs/operations.md).

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/message.hpp>
#include <caf/send.hpp>

#include <libwebsockets.h>

#include "actors/runtime.hpp"
#include "apps/common/version.hpp"
#include "apps/tetherd/control_api.hpp"
#include "apps/tetherd/daemon.hpp"
#include "apps/tetherd/systemd_notify.hpp"
#include "storage/file_store.hpp"
#include "storage/redis_lease_store.hpp"
#include "storage/sqlite_store.hpp"

using namespace tether;
using namespace tether::daemon;

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
    return "localhost";
  return buf;
}

// libwebsockets logs through one process-wide C function pointer, so the
// logger it writes to is the one process-wide pointer here: its lines then
// read like ours (JSON when the log is JSON) instead of lws's own stderr.
std::shared_ptr<logger> lws_logger;

void route_lws_logs(std::shared_ptr<logger> log) {
  lws_logger = std::move(log);
  lws_set_log_level(LLL_ERR | LLL_WARN, [](int level, const char* line) {
    std::string text{line ? line : ""};
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.pop_back();
    if (!lws_logger)
      return;
    if (level & LLL_ERR)
      lws_logger->error("libwebsockets", {{"line", text}});
    else
      lws_logger->warn("libwebsockets", {{"line", text}});
  });
}

const char* usage = "usage: tetherd --config FILE [--check]\n"
                    "  --config FILE  the daemon's TOML config (docs/operations.md)\n"
                    "  --check        validate the config and exit (0: valid)\n"
                    "  --help         this text\n"
                    "  --version      the version\n";

struct options {
  std::string config;
  bool check = false;
  bool help = false;
  bool version = false;
};

/// The command line, or why it is refused (the option named).
std::optional<options> parse_args(int argc, char** argv, std::string& why) {
  options out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config") {
      if (i + 1 >= argc) {
        why = "--config needs a file";
        return std::nullopt;
      }
      out.config = argv[++i];
    } else if (arg == "--check") {
      out.check = true;
    } else if (arg == "--help" || arg == "-h") {
      out.help = true;
    } else if (arg == "--version") {
      out.version = true;
    } else {
      why = "unknown option " + arg + " (--help lists them)";
      return std::nullopt;
    }
  }
  if (out.config.empty() && !out.help && !out.version) {
    why = "--config FILE is required (--help for usage)";
    return std::nullopt;
  }
  return out;
}

std::string accounts_text(size_t n) {
  return std::to_string(n) + (n == 1 ? " account" : " accounts");
}

profile_store_ptr open_store(const storage_config& s, std::string& error) {
  switch (s.type) {
    case storage_config::kind::none:
      return nullptr;
    case storage_config::kind::file:
      return std::make_shared<file_store>(s.path);
    case storage_config::kind::sqlite: {
      auto db = sqlite_store::open(s.path);
      if (!db) {
        error = caf::to_string(db.error().context());
        return nullptr;
      }
      return *db;
    }
  }
  return nullptr;
}

} // namespace

int main(int argc, char** argv) {
  std::string why;
  auto parsed = parse_args(argc, argv, why);
  if (!parsed) {
    std::fprintf(stderr, "tetherd: %s\n", why.c_str());
    return 2;
  }
  auto& opts = *parsed;
  if (opts.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (opts.version) {
    std::printf("tetherd %s\n", apps::version);
    return 0;
  }
  auto loaded = load_config(opts.config);
  if (auto* err = std::get_if<config_error>(&loaded)) {
    std::fprintf(stderr, "tetherd: %s\n", err->to_string().c_str());
    return 2;
  }
  auto cfg = std::get<daemon_config>(std::move(loaded));
  auto proxies = resolve_proxies(cfg, [](const char* name) { return std::getenv(name); });
  if (auto* why = std::get_if<std::string>(&proxies)) {
    std::fprintf(stderr, "tetherd: %s\n", why->c_str());
    return 2;
  }
  if (opts.check) {
    std::printf("tetherd: %s is valid (%s)\n", opts.config.c_str(),
                accounts_text(cfg.accounts.size()).c_str());
    return 0;
  }
  bool json = cfg.log == daemon_config::log_format::json
              || (cfg.log == daemon_config::log_format::automatic && !::isatty(2));
  auto log = std::make_shared<logger>(json);

  // Signals are taken by sigwait below, never by a handler: block them
  // before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string store_error;
  auto store = open_store(cfg.storage, store_error);
  if (!store_error.empty()) {
    log->error("storage cannot be opened", {{"error", store_error}});
    return 2;
  }

  route_lws_logs(log);
  caf::actor_system_config sys_cfg;
  add_error_categories(sys_cfg);
  tune_scheduler_for_sockets(sys_cfg);
  caf::actor_system sys{sys_cfg};

  auto daemon_handle = std::make_shared<daemon_actor>();
  std::shared_ptr<control_api> api;
  try {
    api = std::make_shared<control_api>(
      control_api_options{cfg.api.listen, cfg.api.token},
      [daemon_handle](api_request req) { caf::anon_send(*daemon_handle, std::move(req)); });
  } catch (const std::exception& ex) {
    log->error("control API cannot listen", {{"error", ex.what()}});
    return 2;
  }
  // The event stream's account filter is checked against these from the
  // first request on: set before the API thread serves anything (the daemon
  // updates them at each reload).
  {
    std::set<std::string> names;
    for (auto& a : cfg.accounts)
      names.insert(a.name);
    api->set_accounts(std::move(names));
  }
  // Cluster mode: the accounts are claimed through leases in Redis. A Redis
  // that cannot be reached at start refuses the start (systemd retries);
  // later outages close the sockets at their lease's end (fail closed).
  std::optional<profile_registry_actor> registry;
  auto node = cfg.cluster && !cfg.cluster->node.empty() ? cfg.cluster->node : host_name();
  if (cfg.cluster) {
    redis_options ro;
    ro.url = cfg.cluster->redis;
    ro.key_prefix = cfg.cluster->key_prefix;
    auto lease_store = redis_lease_store::open(ro);
    if (!lease_store) {
      log->error("cluster: the lease store cannot be reached",
                 {{"error", sys.render(lease_store.error())}});
      return 2;
    }
    auto reg = spawn_lease_registry(
      sys, {*lease_store, node, protocol::lease_rule{cfg.cluster->lease, cfg.cluster->margin}});
    if (!reg) {
      log->error("cluster: the lease registry cannot start", {{"error", sys.render(reg.error())}});
      return 2;
    }
    registry = *reg;
    log->info("cluster mode", {{"node", node},
                               {"lease_ms", static_cast<int64_t>(cfg.cluster->lease.count())},
                               {"margin_ms", static_cast<int64_t>(cfg.cluster->margin.count())}});
  }
  auto drain_timeout = cfg.drain_timeout;
  auto listen = cfg.api.listen;
  auto allow_remote = cfg.api.allow_remote;
  auto account_count = cfg.accounts.size();
  daemon_options dopts;
  dopts.config_path = opts.config;
  dopts.config = std::move(cfg);
  dopts.api = api;
  dopts.log = log;
  dopts.store = store;
  dopts.watchdog = watchdog_interval();
  dopts.node_name = node;
  dopts.registry = registry;
  dopts.proxies = std::get<protocol::proxy_settings>(std::move(proxies));
  log->info("transport", {{"proxies", protocol::describe(dopts.proxies)}});
  *daemon_handle = spawn_daemon(sys, std::move(dopts));
  std::thread api_thread{[api] { api->run(); }};
  log->info("api listening", {{"listen", listen}, {"port", api->port()}});
  if (allow_remote)
    log->warn("api reachable from other machines (allow_remote)", {{"listen", listen}});
  notify_ready("serving " + accounts_text(account_count));

  int exit_code = 0;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      log->info("SIGHUP: reloading the config");
      caf::anon_send(*daemon_handle, reload_atom::value);
      continue;
    }
    log->info("stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    notify_stopping();
    caf::scoped_actor self{sys};
    self->request(*daemon_handle, drain_timeout + std::chrono::seconds{30}, drain_atom::value)
      .receive([](caf::ok_atom) {},
               [&](caf::error& err) {
                 log->error("drain did not finish", {{"error", sys.render(err)}});
                 exit_code = 1;
               });
    break;
  }
  // Every answered request reaches its client before the server goes.
  if (!api->wait_answered(std::chrono::seconds{5}))
    log->warn("some API requests were still unanswered at exit");
  api->stop();
  api_thread.join();
  caf::anon_send_exit(*daemon_handle, caf::exit_reason::user_shutdown);
  if (registry) {
    // The releases of the stopped trees are queued before this request is
    // answered; then the registry may go (a detached actor left running
    // would keep the actor system from ending).
    caf::scoped_actor self{sys};
    self->request(*registry, std::chrono::seconds{5}, holders_atom::value)
      .receive([](std::vector<std::pair<std::string, uint64_t>>&) {}, [](caf::error&) {});
    caf::anon_send_exit(*registry, caf::exit_reason::user_shutdown);
  }
  log->info("stopped");
  return exit_code;
}
