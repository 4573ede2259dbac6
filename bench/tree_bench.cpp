// Whole-tree benchmarks against tether-hub on loopback. Each mode prints
// "key value" lines that bench/run turns into the report.
//   tree_bench roundtrip N        sequential push -> reply through one tree
//   tree_bench pipelined N W C    N pushes, W in flight per connection, C trees
//   tree_bench scale T            T joined trees: time to join, memory, idle CPU
//   tree_bench storm T JITTER     T trees, hub restarted: time to rejoin, attempt rate
//   tree_bench supervision N      crash -> rejoined latency; trees started per second
//   tree_bench anatomy N          heap per actor of each kind a tree holds
//   tree_bench offline N          N trees without sockets: start time, memory, idle CPU

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <caf/all.hpp>

#include "actors/connection_state.hpp"
#include "actors/endpoint.hpp"
#include "actors/heartbeat.hpp"
#include "actors/liveness.hpp"
#include "actors/ref_counter.hpp"
#include "actors/runtime.hpp"
#include "supervision/registry.hpp"
#include "supervision/supervisor.hpp"
#include "testing/hub_process.hpp"

using namespace tether;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

/// $TETHER_BENCH_KEY_PREFIX (e.g. "phx.") tells rows against another server apart.
void emit(const std::string& key, double value) {
  auto* prefix = std::getenv("TETHER_BENCH_KEY_PREFIX");
  std::printf("%s%s %.3f\n", prefix ? prefix : "", key.c_str(), value);
  std::fflush(stdout);
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(p * static_cast<double>(xs.size() - 1));
  return xs[i];
}

/// The server a row runs against: $TETHER_BENCH_URL (a socket URL, e.g. the
/// Phoenix peer's) when set, else a tether-hub of its own on loopback.
class bench_server {
public:
  bench_server() {
    if (auto* url = std::getenv("TETHER_BENCH_URL"))
      url_ = url;
    else
      hub_ = std::make_unique<testing::hub_process>();
  }

  std::string socket_url() const {
    return hub_ ? "ws://127.0.0.1:" + std::to_string(hub_->port()) + "/socket/websocket"
                : url_;
  }

private:
  std::string url_;
  std::unique_ptr<testing::hub_process> hub_;
};

bool caf_default_scheduler() {
  auto* scheduler = std::getenv("TETHER_SCHEDULER");
  return scheduler != nullptr && std::string{scheduler} == "caf-default";
}

/// Counts the events every consumer of the process saw, by kind.
struct event_counts {
  std::mutex mtx;
  std::condition_variable cv;
  std::map<std::string, size_t> n;
  std::vector<clock_type::time_point> attempts; ///< when each retry was due

  void add(const std::string& kind) {
    std::lock_guard<std::mutex> guard{mtx};
    ++n[kind];
    cv.notify_all();
  }

  bool wait(const std::string& kind, size_t count, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, limit, [&] { return n[kind] >= count; });
  }

  size_t get(const std::string& kind) {
    std::lock_guard<std::mutex> guard{mtx};
    return n[kind];
  }
};

caf::actor spawn_counter(caf::actor_system& sys, event_counts& counts) {
  return sys.spawn([&counts]() -> caf::behavior {
    return {[&](event& e) {
      std::visit(overloaded{
                   [&](topic_joined&) { counts.add("joined"); },
                   [&](connected&) { counts.add("connected"); },
                   [&](disconnected&) { counts.add("disconnected"); },
                   [&](reconnect_scheduled& r) {
                     std::lock_guard<std::mutex> guard{counts.mtx};
                     counts.attempts.push_back(clock_type::now() + r.delay);
                   },
                   [](auto&) {}, // the rest are not measured
                 },
                 e);
    }};
  });
}

/// The heartbeat timer slack of the trees: BENCH_TIMER_SLACK_MS, or 100 ms,
/// tetherd's default (apps/tetherd/daemon.hpp, default_timer_slack).
std::chrono::milliseconds timer_slack() {
  auto* env = std::getenv("BENCH_TIMER_SLACK_MS");
  return env != nullptr ? std::chrono::milliseconds{std::atoll(env)}
                        : std::chrono::milliseconds{100};
}

struct bench_client {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  runtime_actor runtime;
  event_counts counts;
  caf::actor consumer;

  bench_client() {
    add_error_categories(cfg);
    // TETHER_SCHEDULER=caf-default measures with CAF's own polling instead.
    if (!caf_default_scheduler())
      tune_scheduler_for_sockets(cfg);
    // BENCH_CAF_INI: CAF settings in its INI form, applied last, to measure
    // another setting without rebuilding ("[work-stealing]\nrelaxed-...=...").
    if (auto* ini = std::getenv("BENCH_CAF_INI")) {
      std::istringstream in{ini};
      if (auto err = cfg.parse(caf::actor_system_config::string_list{}, in))
        std::fprintf(stderr, "BENCH_CAF_INI: %s\n", caf::to_string(err).c_str());
    }
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    runtime_config rc;
    rc.watch_system = false;
    runtime = spawn_runtime(*sys, rc);
    consumer = spawn_counter(*sys, counts);
  }

  ~bench_client() {
    (*self)->send_exit(runtime, caf::exit_reason::user_shutdown);
    (*self)->send_exit(consumer, caf::exit_reason::user_shutdown);
    self.reset();
  }

  /// Starts a tree and joins it to room:bench. With `wait_join` false the
  /// join is not awaited (the consumer counts `joined` events), so many
  /// trees join at once, as the JS clients do.
  connection_actor start(const std::string& name, const testing::hub_process& hub,
                         bool jitter = true, bool wait_join = true) {
    return start(name, "ws://127.0.0.1:" + std::to_string(hub.port()) + "/socket/websocket",
                 jitter, wait_join);
  }

  connection_actor start(const std::string& name, const bench_server& server) {
    return start(name, server.socket_url(), true, true);
  }

  connection_actor start(const std::string& name, const std::string& url, bool jitter,
                         bool wait_join, const std::string& topic = "room:bench") {
    profile_config pc;
    pc.profile = name;
    pc.connection.url = url;
    pc.connection.backoff.full_jitter = jitter;
    pc.connection.join_timeout = 60s;
    pc.connection.socket.connect_timeout = 30s;
    // tetherd's default (BENCH_TIMER_SLACK_MS=0: exact timers, the library's)
    pc.connection.heartbeat.slack = timer_slack();
    pc.consumer = consumer;
    connection_actor out;
    (*self)->request(runtime, 60s, start_atom::value, pc)
      .receive([&](connection_actor& h) { out = h; },
               [&](caf::error& e) { std::fprintf(stderr, "%s\n", sys->render(e).c_str()); });
    if (!wait_join) {
      caf::anon_send(out, join_atom::value, topic, std::string{"{}"});
      return out;
    }
    (*self)->request(out, 60s, join_atom::value, topic, std::string{"{}"})
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
    return out;
  }
};

/// Resident memory of this process in KiB.
double rss_kib() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      double kib;
      status >> kib;
      return kib;
    }
    std::getline(status, key);
  }
  return 0;
}

/// Bytes the allocator has handed out and not had back, in KiB.
double heap_kib() {
  auto mi = mallinfo2();
  return static_cast<double>(mi.uordblks + mi.hblkhd) / 1024.0;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// CPU seconds so far of each thread of this process, summed by thread name
/// (CAF's workers are "caf.multiplexer", its clock "caf.clock", the
/// transport's service thread "tether.lws").
std::map<std::string, double> cpu_by_thread() {
  std::map<std::string, double> out;
  auto tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (auto& task : std::filesystem::directory_iterator{"/proc/self/task"}) {
    std::ifstream comm{task.path() / "comm"};
    std::string name;
    std::getline(comm, name);
    std::ifstream stat{task.path() / "stat"};
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" that ends the name: state is field 3, utime 14, stime 15.
    std::istringstream rest{line.substr(line.rfind(')') + 2)};
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14)
        utime = std::stod(field);
      if (i == 15)
        stime = std::stod(field);
    }
    out[name] += (utime + stime) / tick;
  }
  return out;
}

/// One push at a time from an actor, as an embedding service would send:
/// each reply starts the next push. Times are taken inside the actor.
void roundtrip(int n) {
  bench_server hub;
  bench_client c;
  auto conn = c.start("rt", hub);
  c.counts.wait("joined", 1, 30s);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  std::mutex mtx;
  std::condition_variable cv;
  bool finished = false;
  auto begin = clock_type::now();
  c.sys->spawn([&, conn](caf::event_based_actor* self) {
    auto next = std::make_shared<std::function<void()>>();
    *next = [&, self, conn, next] {
      if (static_cast<int>(us.size()) == n) {
        std::lock_guard<std::mutex> guard{mtx};
        finished = true;
        cv.notify_all();
        return;
      }
      auto t0 = clock_type::now();
      self->request(conn, 30s, push_atom::value, std::string{"room:bench"},
                    std::string{"echo"}, std::string{R"({"n":1})"}, caf::timespan{0})
        .then(
          [&, t0, next](std::string&) {
            us.push_back(
              std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
            (*next)();
          },
          [&, next](caf::error&) {
            us.push_back(-1);
            (*next)();
          });
    };
    (*next)();
  });
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, 300s, [&] { return finished; });
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  auto failed = std::count(us.begin(), us.end(), -1.0);
  std::string key = caf_default_scheduler() ? "rt.tether_caf_default" : "rt.tether";
  emit(key + ".rate", static_cast<double>(us.size()) / secs);
  emit(key + ".p50_us", percentile(us, 0.5));
  emit(key + ".p99_us", percentile(us, 0.99));
  emit(key + ".failed", static_cast<double>(failed));
}

void pipelined(int total, int window, int conns) {
  bench_server hub;
  bench_client c;
  std::vector<connection_actor> trees;
  for (int i = 0; i < conns; ++i)
    trees.push_back(c.start("p" + std::to_string(i), hub));
  c.counts.wait("joined", static_cast<size_t>(conns), 60s);
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  std::mutex mtx;
  std::condition_variable cv;
  auto begin = clock_type::now();
  // One driver actor per connection keeps `window` pushes in flight.
  auto per_conn = total / conns;
  for (auto& tree : trees) {
    c.sys->spawn([&, tree, per_conn](caf::event_based_actor* self) {
      auto sent = std::make_shared<int>(0);
      auto next = std::make_shared<std::function<void()>>();
      *next = [&, self, tree, sent, next, per_conn] {
        if (*sent >= per_conn)
          return;
        ++*sent;
        self->request(tree, caf::infinite, push_atom::value, std::string{"room:bench"},
                      std::string{"echo"}, std::string{R"({"n":1})"}, caf::timespan{0})
          .then(
            [&, next](std::string&) {
              if (++done == total) {
                std::lock_guard<std::mutex> guard{mtx};
                cv.notify_all();
              }
              (*next)();
            },
            [&, next](caf::error&) {
              ++failed;
              if (++done == total) {
                std::lock_guard<std::mutex> guard{mtx};
                cv.notify_all();
              }
              (*next)();
            });
      };
      for (int i = 0; i < window; ++i)
        (*next)();
    });
  }
  {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait_for(guard, 300s, [&] { return done.load() >= per_conn * conns; });
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  auto key = conns == 1 ? std::string{"pipe1"} : "pipe" + std::to_string(conns);
  emit(key + ".tether.rate", done.load() / secs);
  emit(key + ".tether.failed", failed.load());
}

/// Loopback sockets to one server address and port share the ephemeral port
/// range (32768-60999), and a hub is a process under the descriptor limit:
/// large runs use several hubs.
constexpr int trees_per_hub = 18000;

/// The idle CPU window of the scale rows, in seconds: BENCH_IDLE_S, or 35
/// (the 30 s heartbeat interval of tether and of the Phoenix JS client, and
/// 5 s more).
double idle_window_s() {
  auto* env = std::getenv("BENCH_IDLE_S");
  return env != nullptr ? std::max(1.0, std::atof(env)) : 35.0;
}

void scale(int trees) {
  std::vector<std::unique_ptr<testing::hub_process>> hubs;
  for (int i = 0; i < (trees + trees_per_hub - 1) / trees_per_hub; ++i)
    hubs.push_back(std::make_unique<testing::hub_process>());
  bench_client c;
  auto rss0 = rss_kib();
  auto heap0 = heap_kib();
  std::vector<connection_actor> handles;
  handles.reserve(static_cast<size_t>(trees));
  auto begin = clock_type::now();
  // Each on a topic of its own, as the JS clients of bench/js/scale.mjs.
  for (int i = 0; i < trees; ++i) {
    auto& hub = *hubs[static_cast<size_t>(i) % hubs.size()];
    handles.push_back(c.start("s" + std::to_string(i),
                              "ws://127.0.0.1:" + std::to_string(hub.port())
                                + "/socket/websocket",
                              true, false, "room:s" + std::to_string(i)));
  }
  bool all = c.counts.wait("joined", static_cast<size_t>(trees), 1800s);
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  emit("scale.tether.joined", static_cast<double>(c.counts.get("joined")));
  emit("scale.tether.join_s", all ? secs : -1);
  std::this_thread::sleep_for(2s); // let allocations settle before measuring
  emit("scale.tether.kib_per_tree", (rss_kib() - rss0) / trees);
  emit("scale.tether.heap_kib_per_tree", (heap_kib() - heap0) / trees);
  auto cpu0 = cpu_seconds();
  auto threads0 = cpu_by_thread();
  // A measurement window, not a synchronisation: longer than the heartbeat
  // interval, so that every tree's heartbeat is in it (a 10 s window right
  // after the joins saw none of them).
  auto window = idle_window_s();
  std::this_thread::sleep_for(std::chrono::duration<double>(window));
  emit("scale.tether.idle_window_s", window);
  emit("scale.tether.idle_cpu_pct", 100.0 * (cpu_seconds() - cpu0) / window);
  // Where that CPU went, thread by thread (clock ticks: 10 ms resolution).
  for (auto& [name, secs] : cpu_by_thread())
    emit("scale.tether.idle_cpu_pct." + name, 100.0 * (secs - threads0[name]) / window);
}

/// N trees without sockets (offline): what the actors alone cost at a size
/// the socket rows cannot reach on a machine whose descriptor limit is low.
void offline(int trees) {
  bench_client c;
  auto heap0 = heap_kib();
  auto rss0 = rss_kib();
  auto begin = clock_type::now();
  for (int i = 0; i < trees; ++i) {
    profile_config pc;
    pc.profile = "o" + std::to_string(i);
    pc.connection.offline = true;
    (*c.self)->request(c.runtime, 60s, start_atom::value, pc)
      .receive([](connection_actor&) {}, [](caf::error&) {});
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  std::this_thread::sleep_for(2s); // let the starts settle before measuring
  emit("offline.tether.trees", trees);
  emit("offline.tether.start_s", secs);
  emit("offline.tether.heap_kib_per_tree", (heap_kib() - heap0) / trees);
  emit("offline.tether.kib_per_tree", (rss_kib() - rss0) / trees);
  auto cpu0 = cpu_seconds();
  std::this_thread::sleep_for(10s); // a measurement window
  emit("offline.tether.idle_cpu_pct", 100.0 * (cpu_seconds() - cpu0) / 10.0);
}

void storm(int trees, bool jitter) {
  testing::hub_process hub;
  bench_client c;
  for (int i = 0; i < trees; ++i)
    c.start("r" + std::to_string(i), hub, jitter, false);
  c.counts.wait("joined", static_cast<size_t>(trees), 600s);
  {
    std::lock_guard<std::mutex> guard{c.counts.mtx};
    c.counts.attempts.clear();
  }
  auto begin = clock_type::now();
  hub.restart();
  bool all = c.counts.wait("joined", static_cast<size_t>(2 * trees), 600s);
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  // Attempts per 100 ms window, scaled to a rate: a whole second would hide
  // a herd that arrives within a few milliseconds.
  std::map<long, int> per_window;
  {
    std::lock_guard<std::mutex> guard{c.counts.mtx};
    for (auto& t : c.counts.attempts)
      ++per_window[std::chrono::duration_cast<std::chrono::milliseconds>(t - begin).count()
                   / 100];
  }
  int peak = 0;
  for (auto& [w, n] : per_window)
    peak = std::max(peak, n * 10);
  auto key = std::string{"storm."} + (jitter ? "jitter" : "nojitter");
  emit(key + ".recover_s", all ? secs : -1);
  emit(key + ".peak_attempts_per_s", peak);
}

void supervision(int n) {
  testing::hub_process hub;
  bench_client c;
  c.start("victim", hub);
  c.counts.wait("joined", 1, 30s);
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    caf::actor tree;
    (*c.self)->request(caf::actor_cast<detail::runtime_impl>(c.runtime), 10s,
                       detail::tree_of_atom::value, std::string{"victim"})
      .receive([&](caf::actor& t) { tree = t; }, [](caf::error&) {});
    caf::actor conn;
    (*c.self)->request(caf::actor_cast<sup::supervisor_actor>(tree), 10s, sup::which_atom::value)
      .receive(
        [&](std::vector<sup::child_info>& kids) {
          for (auto& k : kids)
            if (k.id == "connection")
              conn = k.handle;
        },
        [](caf::error&) {});
    auto joined = c.counts.get("joined");
    auto t0 = clock_type::now();
    caf::anon_send_exit(conn, caf::exit_reason::kill);
    c.counts.wait("joined", joined + 1, 30s);
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    std::this_thread::sleep_for(2s); // stay under the tree's restart intensity (3 in 5 s)
  }
  emit("sup.crash_to_rejoin_ms", percentile(ms, 0.5));
  // Trees started per second (started, not yet connected).
  constexpr int starts = 1000;
  auto heap0 = heap_kib();
  auto begin = clock_type::now();
  for (int i = 0; i < starts; ++i) {
    profile_config pc;
    pc.profile = "t" + std::to_string(i);
    pc.connection.offline = true; // the tree's own start, without the network
    (*c.self)->request(c.runtime, 60s, start_atom::value, pc)
      .receive([](connection_actor&) {}, [](caf::error&) {});
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - begin).count();
  emit("sup.trees_per_s", starts / secs);
  // What a tree's actors cost without a socket (issue 17's breakdown: the
  // socket's own share is compression_bench's heap_kib_per_socket).
  std::this_thread::sleep_for(1s); // let the starts settle before measuring
  emit("sup.offline_heap_kib_per_tree", (heap_kib() - heap0) / starts);
}

/// Heap per actor of each kind a tree holds, each spawned `n` times on its
/// own (offline: no socket), beside a bare CAF actor: issue 17's breakdown.
void anatomy(int n) {
  caf::actor_system_config cfg;
  add_error_categories(cfg);
  caf::actor_system sys{cfg};
  auto transport = spawn_transport(sys);
  std::vector<caf::actor> keep;
  keep.reserve(static_cast<size_t>(n) * 12);
  auto measure = [&](const std::string& what, auto spawn_one) {
    std::this_thread::sleep_for(300ms); // the spawns' first messages run
    auto heap0 = heap_kib();
    for (int i = 0; i < n; ++i)
      keep.push_back(caf::actor_cast<caf::actor>(spawn_one(i)));
    std::this_thread::sleep_for(300ms);
    emit("anatomy." + what + "_kib", (heap_kib() - heap0) / n);
  };
  measure("bare_caf_actor", [&](int) {
    return sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  });
  measure("registry", [&](int) { return sup::spawn_registry(sys); });
  measure("ref_counter", [&](int) { return spawn_ref_counter(sys); });
  connection_config cc;
  cc.offline = true;
  measure("liveness", [&](int) {
    return detail::spawn_liveness(sys, cc.liveness, detail::peer_dead_sink{});
  });
  measure("heartbeat", [&](int) {
    return detail::spawn_heartbeat(sys, cc.heartbeat, {}, transport, {},
                                   protocol::wire_version::v2);
  });
  measure("senders_supervisor", [&](int) { return sup::spawn_dynamic_supervisor(sys); });
  measure("connection_offline", [&](int i) {
    auto c = cc;
    c.url = "ws://127.0.0.1:1/socket/websocket?n=" + std::to_string(i);
    return detail::spawn_connection(sys, c, detail::connection_links{transport, {}, {}, {}, {}});
  });
  measure("endpoint", [&](int i) {
    detail::endpoint_config ec;
    ec.profile = "a" + std::to_string(i);
    return detail::spawn_endpoint(sys, ec);
  });
  // The whole tree, as the runtime starts it (offline): its supervisor, the
  // children above, and the runtime's own record of the profile.
  runtime_config rc;
  rc.watch_system = false;
  rc.transport = transport;
  auto runtime = spawn_runtime(sys, rc);
  caf::scoped_actor self{sys};
  measure("tree_offline", [&](int i) {
    profile_config pc;
    pc.profile = "t" + std::to_string(i);
    pc.connection.offline = true;
    connection_actor out;
    self->request(runtime, 60s, start_atom::value, pc)
      .receive([&](connection_actor& h) { out = h; }, [](caf::error&) {});
    return out;
  });
  for (auto& a : keep)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(runtime, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tree_bench roundtrip|pipelined|scale|storm|supervision ...\n");
    return 2;
  }
  std::string mode = argv[1];
  auto arg = [&](int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; };
  if (mode == "roundtrip")
    roundtrip(arg(2, 5000));
  else if (mode == "pipelined")
    pipelined(arg(2, 50000), arg(3, 100), arg(4, 1));
  else if (mode == "scale")
    scale(arg(2, 10000));
  else if (mode == "storm")
    storm(arg(2, 10000), arg(3, 1) != 0);
  else if (mode == "supervision")
    supervision(arg(2, 5));
  else if (mode == "offline")
    offline(arg(2, 100000));
  else if (mode == "anatomy")
    anatomy(arg(2, 2000));
  else
    return 2;
  return 0;
}
