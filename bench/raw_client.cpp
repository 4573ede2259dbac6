// The physical limit of this stack: a bare libwebsockets client doing the
// same echo as `tree_bench`, with no actors, no codec, no supervision.
// Prints "key value" lines for bench/run.
//   raw_client PORT N            one push at a time: rt.raw.*
//   raw_client PORT N WINDOW     WINDOW in flight on one socket: pipe1.raw.rate

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <libwebsockets.h>

namespace {

using clock_type = std::chrono::steady_clock;

struct session {
  int total = 0;
  int window = 1;
  int sent = 0;
  int done = 0;
  int ref = 1;
  int to_write = 0; ///< frames owed to the socket
  bool joined = false;
  bool failed = false;
  clock_type::time_point sent_at;
  clock_type::time_point begin;
  std::vector<double> us;
};

session s;

void write_frame(lws* wsi, const std::string& text) {
  std::vector<unsigned char> buf(LWS_PRE + text.size());
  std::memcpy(buf.data() + LWS_PRE, text.data(), text.size());
  lws_write(wsi, buf.data() + LWS_PRE, text.size(), LWS_WRITE_TEXT);
}

/// One more push is owed, if any are left to send.
void owe_push(lws* wsi) {
  if (s.sent >= s.total)
    return;
  ++s.sent;
  ++s.to_write;
  lws_callback_on_writable(wsi);
}

int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      write_frame(wsi, R"(["1","1","room:bench","phx_join",{}])");
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (s.to_write == 0)
        break;
      --s.to_write;
      s.sent_at = clock_type::now();
      write_frame(wsi, R"(["1",")" + std::to_string(++s.ref)
                         + R"(","room:bench","echo",{"n":1}])");
      if (s.to_write > 0)
        lws_callback_on_writable(wsi);
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      (void) in;
      (void) len;
      if (!s.joined) {
        s.joined = true;
        s.begin = clock_type::now();
        for (int i = 0; i < s.window; ++i)
          owe_push(wsi);
        break;
      }
      if (s.window == 1)
        s.us.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - s.sent_at).count());
      if (++s.done == s.total)
        return -1; // close: done
      owe_push(wsi);
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
  lws_set_log_level(0, nullptr);
  lws_protocols protocols[] = {{"raw-bench", callback, 0, 1 << 16, 0, nullptr, 0},
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
  if (s.window > 1)
    std::printf("pipe1.raw.rate %.3f\n", s.done / secs);
  else
    std::printf("rt.raw.rate %.3f\nrt.raw.p50_us %.3f\nrt.raw.p99_us %.3f\n", s.done / secs,
                percentile(s.us, 0.5), percentile(s.us, 0.99));
  return 0;
}
