// tether-hub: a Phoenix-channels-compatible server with the demo channel.
//   tether-hub [--host 127.0.0.1] [--port 4000] [--idle-timeout-ms 60000]
//              [--relay] [--heartbeat-interval-ms 30000]
//              [--no-heartbeat-replies] [--log-pushes] [--overlap-param NAME]

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "apps/common/listen_address.hpp"
#include "apps/common/version.hpp"
#include "apps/hub/hub_server.hpp"

namespace {

// The one piece of global state: what a signal handler can reach.
tether::hub::hub_server* running_hub = nullptr;

void on_signal(int) {
  if (running_hub)
    running_hub->stop();
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
    tether::hub::hub_server hub{opts};
    running_hub = &hub;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::printf("tether-hub listening on %s://%s:%d/socket/websocket\n",
                opts.tls_cert.empty() ? "ws" : "wss", opts.host.c_str(), hub.port());
    std::fflush(stdout);
    hub.run();
    running_hub = nullptr;
    std::fprintf(stderr, "tether-hub stopped\n");
    return 0;
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "%s\n", ex.what());
    return 1;
  }
}
