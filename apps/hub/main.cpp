// tether-hub: a Phoenix-channels-compatible server with the demo channel.
//   tether-hub [--host 127.0.0.1] [--port 4000] [--idle-timeout-ms 60000]
//              [--relay] [--heartbeat-interval-ms 30000]
//              [--no-heartbeat-replies] [--log-pushes] [--overlap-param NAME]
//              [--threads N]

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/common/listen_address.hpp"
#include "apps/common/listen_socket.hpp"
#include "apps/common/version.hpp"
#include "apps/hub/hub_server.hpp"

namespace {

// The one piece of global state: what a signal handler can reach (one hub
// per service thread; --threads).
constexpr long max_threads = 64;
std::array<tether::hub::hub_server*, max_threads> running_hubs{};
std::atomic<bool> accepting{true};

void on_signal(int) {
  accepting = false;
  for (auto* hub : running_hubs)
    if (hub)
      hub->stop();
}

/// --threads: one thread accepts on the listening socket and hands each
/// connection to the service threads in turn. (lws 4.1 sets SO_REUSEPORT only
/// for a context with several service threads of its own, which Debian's
/// build, LWS_MAX_SMP 1, does not have; so one context per thread cannot
/// share the port.)
void accept_loop(int listen_fd, const std::vector<std::unique_ptr<tether::hub::hub_server>>& hubs) {
  size_t next = 0;
  pollfd p{listen_fd, POLLIN, 0};
  while (accepting) {
    if (::poll(&p, 1, 100) <= 0)
      continue;
    for (;;) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        break; // EAGAIN: all taken
      hubs[next++ % hubs.size()]->adopt(fd);
    }
  }
}

void usage(std::FILE* out) {
  std::fputs(
    "tether-hub: a Phoenix-channels-compatible WebSocket server\n"
    "\n"
    "  --host ADDR                 listen address, bound exactly: an IPv4 or IPv6\n"
    "                              address (default 127.0.0.1)\n"
    "  --allow-remote              allow a --host other machines can reach\n"
    "  --port N                    listen port, 0 for any free one (default 4000)\n"
    "  --idle-timeout-ms N         close clients silent this long (default 60000)\n"
    "  --relay                     relay mode: rooms pair two peers, silence past\n"
    "                              1.5 x the heartbeat interval closes with 4000\n"
    "  --heartbeat-interval-ms N   the clients' heartbeat interval (default 30000)\n"
    "  --no-heartbeat-replies      never answer heartbeats (liveness tests)\n"
    "  --log-pushes                log every handled push to stderr\n"
    "  --overlap-param NAME        count open sockets per value of the connect\n"
    "                              param NAME; log each new maximum and, at exit,\n"
    "                              the largest (\"overlap max N\")\n"
    "  --compress                  accept permessage-deflate (Phoenix's compress: true)\n"
    "  --threads N                 benchmark mode: N service threads, each its own\n"
    "                              lws context; connections are dealt to them in\n"
    "                              turn. Rooms, broadcasts and presence stay within\n"
    "                              a thread (default 1)\n"
    "  --tls-cert FILE --tls-key FILE\n"
    "                              serve wss:// with this PEM certificate and key\n"
    "  --help                      this text\n"
    "  --version                   the version\n"
    "\n"
    "Socket: ws://HOST:PORT/socket/websocket?vsn=2.0.0 (token=bad is refused).\n"
    "Demo channel on room:*: echo, err, noreply, broadcast, crash, slow {ms}, stop;\n"
    "joining room:reject fails with {\"reason\":\"unauthorized\"}.\n",
    out);
}

const char* value_arg(int& i, int argc, char** argv) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "tether-hub: %s needs a value\n", argv[i]);
    std::exit(2);
  }
  return argv[++i];
}

long number_arg(int& i, int argc, char** argv, long max) {
  auto* text = value_arg(i, argc, argv);
  char* end = nullptr;
  errno = 0;
  auto value = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || value < 0 || value > max) {
    std::fprintf(stderr, "tether-hub: %s takes a number from 0 to %ld, not %s\n",
                 argv[i - 1], max, text);
    std::exit(2);
  }
  return value;
}

constexpr long max_port = 65535;
constexpr long max_ms = 24L * 3600 * 1000; // a day

} // namespace

int main(int argc, char** argv) {
  tether::hub::hub_options opts;
  bool allow_remote = false;
  long threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("tether-hub %s\n", tether::apps::version);
      return 0;
    } else if (arg == "--host") {
      opts.host = value_arg(i, argc, argv);
    } else if (arg == "--port") {
      opts.port = static_cast<int>(number_arg(i, argc, argv, max_port));
    } else if (arg == "--idle-timeout-ms") {
      opts.idle_timeout = std::chrono::milliseconds{number_arg(i, argc, argv, max_ms)};
    } else if (arg == "--heartbeat-interval-ms") {
      opts.heartbeat_interval = std::chrono::milliseconds{number_arg(i, argc, argv, max_ms)};
    } else if (arg == "--tls-cert") {
      opts.tls_cert = value_arg(i, argc, argv);
    } else if (arg == "--tls-key") {
      opts.tls_key = value_arg(i, argc, argv);
    } else if (arg == "--relay") {
      opts.relay = true;
    } else if (arg == "--compress") {
      opts.compress = true;
    } else if (arg == "--threads") {
      threads = number_arg(i, argc, argv, max_threads);
      if (threads == 0) {
        std::fprintf(stderr, "tether-hub: --threads takes a number from 1 to %ld\n",
                     max_threads);
        return 2;
      }
    } else if (arg == "--allow-remote") {
      allow_remote = true;
    } else if (arg == "--overlap-param") {
      opts.overlap_param = value_arg(i, argc, argv);
    } else if (arg == "--log-pushes") {
      opts.log_pushes = true;
    } else if (arg == "--no-heartbeat-replies") {
      opts.answer_heartbeats = false;
    } else {
      std::fprintf(stderr, "tether-hub: unknown option %s (--help lists them)\n",
                   arg.c_str());
      return 2;
    }
  }
  std::string why;
  auto where = tether::apps::parse_listen_address(
    tether::hub::listen_text(opts.host, opts.port), why);
  if (!where) {
    std::fprintf(stderr, "tether-hub: --host %s: %s\n", opts.host.c_str(), why.c_str());
    return 2;
  }
  if (!where->loopback && !allow_remote) {
    std::fprintf(stderr,
                 "tether-hub: --host %s is reachable from other machines; add "
                 "--allow-remote to mean it\n",
                 opts.host.c_str());
    return 2;
  }
  if (!where->loopback)
    std::fprintf(stderr, "tether-hub: warning: listening on %s, reachable from other "
                         "machines (--allow-remote)\n", opts.host.c_str());
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    std::fprintf(stderr, "tether-hub: --tls-cert and --tls-key go together\n");
    return 2;
  }
  try {
    std::vector<std::unique_ptr<tether::hub::hub_server>> hubs;
    tether::apps::listen_socket listener;
    if (threads > 1) {
      listener = tether::apps::open_listen_socket(*where, why);
      if (listener.fd < 0) {
        std::fprintf(stderr, "tether-hub: cannot listen on %s: %s\n", opts.host.c_str(),
                     why.c_str());
        return 1;
      }
      opts.adopt_only = true;
    }
    opts.session_id_step = static_cast<uint64_t>(threads);
    while (static_cast<long>(hubs.size()) < threads) {
      opts.first_session_id = hubs.size() + 1;
      hubs.push_back(std::make_unique<tether::hub::hub_server>(opts));
    }
    for (size_t i = 0; i < hubs.size(); ++i)
      running_hubs[i] = hubs[i].get();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("tether-hub listening on %s://%s:%d/socket/websocket\n",
                opts.tls_cert.empty() ? "ws" : "wss", opts.host.c_str(),
                threads > 1 ? listener.port : hubs.front()->port());
    if (threads > 1)
      std::printf("tether-hub: %ld service threads; rooms do not span threads\n", threads);
    std::fflush(stdout);
    std::vector<std::thread> service;
    for (size_t i = 1; i < hubs.size(); ++i)
      service.emplace_back([hub = hubs[i].get()] { hub->run(); });
    std::thread acceptor;
    if (threads > 1)
      acceptor = std::thread{[&] { accept_loop(listener.fd, hubs); }};
    hubs.front()->run();
    for (auto& t : service)
      t.join();
    accepting = false;
    if (acceptor.joinable())
      acceptor.join();
    if (listener.fd >= 0)
      ::close(listener.fd);
    running_hubs.fill(nullptr);
    std::fprintf(stderr, "tether-hub stopped\n");
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "%s\n", ex.what());
    return 1;
  }
}
