// permessage-deflate's price and gain: bytes on the wire and client CPU
// per message, and heap per socket, with and without, for N echoed pushes through the transport
// against tether-hub --compress (which accepts the extension, as Phoenix
// does with `websocket: [compress: true]`). Prints "key value" lines for
// bench/run.
//   compression_bench N
// Bytes are counted by a CONNECT proxy in the middle (testing/connect_proxy);
// CPU is measured on a second, direct run, so the proxy's relaying is not
// counted.

#include <cstdio>
#include <string>

#include <malloc.h>
#include <sys/resource.h>

#include <caf/all.hpp>

#include "actors/transport.hpp"
#include "protocol/phoenix_json.hpp"
#include "testing/connect_proxy.hpp"
#include "testing/hub_process.hpp"

using namespace tether;
using namespace std::chrono_literals;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// A chat-like payload: the shape a Phoenix app sends most, about 300 bytes,
/// with fields that repeat from message to message and a body that varies.
std::string payload(int i) {
  return R"({"id":)" + std::to_string(i)
         + R"(,"user":{"id":4711,"name":"alice","avatar":"https://cdn.example.com/a/4711.png"},)"
           R"("room":"room:bench","kind":"message","ts":"2026-12-06T05:00:)"
         + std::to_string(10 + i % 50)
         + R"(Z","body":"message number )" + std::to_string(i)
         + R"( about the release schedule and the next meeting","reactions":[],"edited":false})";
}

struct result {
  double cpu_s = 0;
  size_t up = 0, down = 0;
  size_t payload_bytes = 0;
};

/// N echo pushes, 100 in flight, on one socket; through `proxy` when given.
result run(const std::string& url, bool compress, int n, const testing::connect_proxy* proxy) {
  caf::actor_system_config cfg;
  add_transport_error_category(cfg);
  caf::actor_system sys{cfg};
  transport_config tcfg;
  tcfg.proxy = proxy ? protocol::proxy_settings::through(*protocol::parse_proxy_url(proxy->url()))
                     : protocol::proxy_settings{};
  auto transport = spawn_transport(sys, tcfg);
  caf::scoped_actor self{sys};
  protocol::phoenix_json_codec codec;
  socket_options opts{url};
  opts.compress = compress;
  socket_id id = 0;
  self->request(transport, caf::infinite, open_atom::value, opts,
                caf::actor_cast<socket_owner_actor>(self))
    .receive([&](socket_id x) { id = x; }, [](caf::error&) {});
  bool compressed = false;
  self->receive([&](socket_opened& o) { compressed = o.compressed; },
                caf::after(30s) >> [] { std::fprintf(stderr, "compression_bench: no socket\n"); });
  if (compressed != compress)
    std::fprintf(stderr, "compression_bench: asked %d, negotiated %d\n", compress, compressed);
  auto send = [&](std::string bytes) {
    self->request(transport, caf::infinite, send_atom::value, id, false, std::move(bytes))
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
  };
  send(*codec.encode_join("1", "room:bench"));
  self->receive([](socket_received&) {}, caf::after(30s) >> [] {});
  result r;
  auto t0 = cpu_seconds();
  int sent = 0, received = 0;
  // Anonymous sends: no reply to wait for, so the loop costs little beside
  // the transport's work (at most 100 in flight, far below the queue bound).
  auto push = [&] {
    auto p = payload(sent);
    r.payload_bytes += p.size();
    caf::anon_send(transport, send_atom::value, id, false,
                   *codec.encode_push("1", std::to_string(++sent + 1), "room:bench", "echo", p));
  };
  while (sent < n && sent < 100)
    push();
  while (received < n) {
    self->receive([&](socket_received&) { ++received; },
                  caf::after(30s) >> [&] { received = n; });
    if (sent < n)
      push();
  }
  r.cpu_s = cpu_seconds() - t0;
  if (proxy) {
    r.up = proxy->bytes_to_server();
    r.down = proxy->bytes_to_client();
  }
  self->send_exit(transport, caf::exit_reason::user_shutdown);
  return r;
}

double heap_kib() {
  auto mi = mallinfo2();
  return static_cast<double>(mi.uordblks + mi.hblkhd) / 1024.0;
}

/// Heap per open socket (KiB) once each has sent and received one message:
/// zlib's state is made on first use.
double heap_per_socket(const std::string& url, bool compress, int sockets) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  transport_config direct;
  direct.proxy = protocol::proxy_settings{};
  auto transport = spawn_transport(sys, direct);
  caf::scoped_actor self{sys};
  protocol::phoenix_json_codec codec;
  auto before = heap_kib();
  for (int i = 0; i < sockets; ++i) {
    socket_options opts{url};
    opts.compress = compress;
    self->request(transport, caf::infinite, open_atom::value, opts,
                  caf::actor_cast<socket_owner_actor>(self))
      .receive([](socket_id) {}, [](caf::error&) {});
  }
  for (int i = 0; i < sockets; ++i)
    self->receive(
      [&](socket_opened& o) {
        caf::anon_send(transport, send_atom::value, o.id, false, *codec.encode_heartbeat("1"));
      },
      caf::after(30s) >> [] {});
  for (int i = 0; i < sockets; ++i)
    self->receive([](socket_received&) {}, caf::after(30s) >> [] {});
  auto per = (heap_kib() - before) / sockets;
  self->send_exit(transport, caf::exit_reason::user_shutdown);
  return per;
}

} // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  testing::hub_process hub{{"--compress"}};
  auto url = hub.url();
  for (bool compress : {false, true}) {
    std::string key = compress ? "deflate.on" : "deflate.off";
    testing::connect_proxy proxy;
    auto wire = run(url, compress, n, &proxy);
    auto cpu = run(url, compress, n, nullptr);
    std::printf("%s.payload_bytes_per_msg %.1f\n", key.c_str(),
                static_cast<double>(wire.payload_bytes) / n);
    std::printf("%s.wire_bytes_per_msg %.1f\n", key.c_str(),
                static_cast<double>(wire.up + wire.down) / (2.0 * n));
    std::printf("%s.cpu_us_per_msg %.2f\n", key.c_str(), cpu.cpu_s * 1e6 / n);
    std::printf("%s.heap_kib_per_socket %.1f\n", key.c_str(), heap_per_socket(url, compress, 200));
    std::fflush(stdout);
  }
}
