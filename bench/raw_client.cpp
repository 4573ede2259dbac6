// The physical limit of this stack: a bare libwebsockets client doing the
// same echo as `tree_bench`, with no actors, no codec, no supervision.
// Prints "key value" lines for bench/run.
//   raw_client PORT N            one push at a time: rt.raw.*
//   raw_client PORT N WINDOW     WINDOW in flight on one socket: pipe1.raw.rate
//   raw_client PORT N WINDOW C   WINDOW in flight on each of C sockets: pipeC.raw.rate

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <libwebsockets.h>

namespace {

using clock_type = std::chrono::steady_clock;

/// One connection's share of the pushes.
struct connection {
  int quota = 0;    ///< pushes it sends
  int sent = 0;
  int done = 0;
  int ref = 1;
  int to_write = 0; ///< frames owed to the socket
  bool joined = false;
};

struct run_state {
  int total = 0;
  int window = 1;
  int conns = 1;
  int done = 0;
  int joined = 0;
  bool failed = false;
  clock_type::time_point sent_at; ///< the one push in flight (window 1)
  clock_type::time_point begin;
  std::vector<double> us;
  std::vector<lws*> sockets; ///< joined, waiting for the others before pushing
};

run_state s;

void write_frame(lws* wsi, const std::string& text) {
  std::vector<unsigned char> buf(LWS_PRE + text.size());
  std::memcpy(buf.data() + LWS_PRE, text.data(), text.size());
  lws_write(wsi, buf.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT);
}

/// One more push is owed, if any are left to send.
void owe_push(lws* wsi, connection& c) {
  if (c.sent >= c.quota)
    return;
  ++c.sent;
  ++c.to_write;
  lws_callback_on_writable(wsi);
}

int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* c = static_cast<connection*>(user);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      *c = connection{};
      c->quota = s.total / s.conns;
      write_frame(wsi, R"(["1","1","room:bench","phx_join",{}])");
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (c->to_write == 0)
        break;
      --c->to_write;
      s.sent_at = clock_type::now();
      write_frame(wsi, R"(["1",")" + std::to_string(++c->ref)
                         + R"(","room:bench","echo",{"n":1}])");
      if (c->to_write > 0)
        lws_callback_on_writable(wsi);
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      (void) in;
      (void) len;
      if (!c->joined) {
        c->joined = true;
        s.sockets.push_back(wsi);
        if (++s.joined < s.conns)
          break;
        // All joined: every connection starts its window at once.
        s.begin = clock_type::now();
        for (auto* socket : s.sockets)
          for (int i = 0; i < s.window; ++i)
            owe_push(socket, *static_cast<connection*>(lws_wsi_user(socket)));
        break;
      }
      if (s.window == 1 && s.conns == 1)
        s.us.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - s.sent_at).count());
      ++s.done;
      if (++c->done == c->quota)
        return -1; // close: done
      owe_push(wsi, *c);
      break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      s.failed = true;
      break;
    default:
      break;
  }
  return 0;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[static_cast<size_t>(p * static_cast<double>(xs.size() - 1))];
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3)
    return 2;
  int port = std::atoi(argv[1]);
  s.total = std::atoi(argv[2]);
  s.window = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  s.conns = argc > 4 ? std::max(1, std::atoi(argv[4])) : 1;
  s.total -= s.total % s.conns; // an equal share each
  lws_set_log_level(0, nullptr);
  lws_protocols protocols[] = {{"raw-bench", callback, sizeof(connection), 1 << 16, 0, nullptr, 0},
                               {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  auto* ctx = lws_create_context(&info);
  lws_client_connect_info ci{};
  ci.context = ctx;
  ci.address = "127.0.0.1";
  ci.port = port;
  ci.path = "/socket/websocket?vsn=2.0.0";
  ci.host = "127.0.0.1";
  ci.origin = "127.0.0.1";
  ci.protocol = nullptr;
  ci.local_protocol_name = "raw-bench";
  for (int i = 0; i < s.conns; ++i)
    lws_client_connect_via_info(&ci);
  while (!s.failed && s.done < s.total)
    if (lws_service(ctx, 0) < 0)
      break;
  auto secs = std::chrono::duration<double>(clock_type::now() - s.begin).count();
  lws_context_destroy(ctx);
  if (s.failed || s.done < s.total) {
    std::fprintf(stderr, "raw_client: only %d of %d round trips\n", s.done, s.total);
    return 1;
  }
  // BENCH_KEY_PREFIX (e.g. "mt.") tells rows against another server apart.
  auto* prefix = std::getenv("BENCH_KEY_PREFIX");
  if (s.conns > 1)
    std::printf("%spipe%d.raw.rate %.3f\n", prefix ? prefix : "", s.conns, s.done / secs);
  else if (s.window > 1)
    std::printf("pipe1.raw.rate %.3f\n", s.done / secs);
  else
    std::printf("rt.raw.rate %.3f\nrt.raw.p50_us %.3f\nrt.raw.p99_us %.3f\n", s.done / secs,
                percentile(s.us, 0.5), percentile(s.us, 0.99));
  return 0;
}
