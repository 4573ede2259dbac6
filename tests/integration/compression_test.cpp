// permessage-deflate (RFC 7692) against tether-hub: offered by default,
// used when the server accepts it, left out on request, and the inbound
// size limit applies to what a message inflates to, not to its wire size.
// A CONNECT proxy written for the test counts the bytes that crossed.

#include "integration/socket_fixture.hpp"
#include "testing/connect_proxy.hpp"

using namespace tether;
using namespace tether::testing;

namespace {

/// 64 KiB of one repeated phrase: compresses to a few hundred bytes.
std::string compressible_payload() {
  std::string text;
  while (text.size() < 64 * 1024)
    text += "all work and no play makes a dull frame ";
  return R"({"text":")" + text + R"("})";
}

transport_config through(const connect_proxy& proxy) {
  transport_config cfg;
  cfg.proxy = protocol::proxy_settings::through(*protocol::parse_proxy_url(proxy.url()));
  return cfg;
}

/// Joins room:z and has the hub echo `payload`; answers the echoed payload.
std::string echo(socket_fixture& f, socket_id id, const std::string& payload) {
  REQUIRE_FALSE(f.send(id, *f.codec.encode_join("1", "room:z")));
  f.next_frame();
  REQUIRE_FALSE(f.send(id, *f.codec.encode_push("1", "2", "room:z", "echo", payload)));
  auto reply = protocol::parse_reply(f.next_frame());
  REQUIRE(reply.has_value());
  return reply->response;
}

} // namespace

TEST_CASE("permessage-deflate is used when the server accepts it, and shrinks the wire",
          "[integration][compression]") {
  hub_process hub{{"--compress"}};
  connect_proxy proxy;
  socket_fixture f{through(proxy)};
  auto id = f.open({hub.url()});
  auto opened = f.next<socket_opened>();
  REQUIRE(opened.id == id);
  CHECK(opened.compressed);
  auto payload = compressible_payload();
  CHECK(echo(f, id, payload) == payload);
  // 64 KiB went up and came back; less than a tenth of that crossed each way.
  CHECK(proxy.bytes_to_server() < payload.size() / 10);
  CHECK(proxy.bytes_to_client() < payload.size() / 10);
}

TEST_CASE("compress = false leaves the extension out of the offer",
          "[integration][compression]") {
  hub_process hub{{"--compress"}};
  connect_proxy proxy;
  socket_fixture f{through(proxy)};
  socket_options opts{hub.url()};
  opts.compress = false;
  auto id = f.open(opts);
  auto opened = f.next<socket_opened>();
  REQUIRE(opened.id == id);
  CHECK_FALSE(opened.compressed);
  auto payload = compressible_payload();
  CHECK(echo(f, id, payload) == payload);
  CHECK(proxy.bytes_to_client() > payload.size());
}

TEST_CASE("a server that does not accept the offer gets plain frames",
          "[integration][compression]") {
  hub_process hub; // as Phoenix by default: no compress
  socket_fixture f;
  auto id = f.open({hub.url()});
  auto opened = f.next<socket_opened>();
  REQUIRE(opened.id == id);
  CHECK_FALSE(opened.compressed);
  auto payload = compressible_payload();
  CHECK(echo(f, id, payload) == payload);
}

TEST_CASE("the inbound limit counts inflated bytes: a small frame that inflates past it "
          "closes the socket with 1009",
          "[integration][compression]") {
  hub_process hub{{"--compress"}};
  socket_fixture f;
  socket_options opts{hub.url()};
  opts.max_inbound_bytes = 16 * 1024; // the echo's wire size is far below this
  auto id = f.open(opts);
  REQUIRE(f.next<socket_opened>().compressed);
  REQUIRE_FALSE(f.send(id, *f.codec.encode_join("1", "room:z")));
  f.next_frame();
  REQUIRE_FALSE(
    f.send(id, *f.codec.encode_push("1", "2", "room:z", "echo", compressible_payload())));
  auto closed = f.next<socket_closed>();
  CHECK(closed.id == id);
  CHECK(closed.code == 1009);
  CHECK(closed.by_transport);
}

TEST_CASE("frames that compress to more than one write cross a compressed socket "
          "intact and in order, queued together",
          "[integration][compression]") {
  // lws deflates such a frame across several later POLLOUT events, reading
  // the frame's buffer each time: the transport (and tether-hub) hold it
  // until the next frame. Freed on return, it crashed zlib in the client,
  // and the hub died the same way.
  hub_process hub{{"--compress"}};
  socket_fixture f;
  auto id = f.open({hub.url()});
  REQUIRE(f.next<socket_opened>().compressed);
  REQUIRE_FALSE(f.send(id, *f.codec.encode_join("1", "room:z")));
  f.next_frame();
  // Hex of a pseudo-random stream: deflate can shrink it only to about half.
  std::vector<std::string> payloads;
  uint64_t x = 42;
  for (int n = 0; n < 6; ++n) {
    std::string hex;
    while (hex.size() < 200 * 1024) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      hex += "0123456789abcdef"[(x >> 59) & 0xf];
    }
    payloads.push_back(R"({"n":)" + std::to_string(n) + R"(,"hex":")" + hex + R"("})");
  }
  for (size_t n = 0; n < payloads.size(); ++n)
    REQUIRE_FALSE(f.send(id, *f.codec.encode_push("1", std::to_string(n + 2), "room:z",
                                                  "echo", payloads[n])));
  for (size_t n = 0; n < payloads.size(); ++n) {
    auto frame = f.next_frame();
    CHECK(frame.ref == std::to_string(n + 2));
    auto reply = protocol::parse_reply(frame);
    REQUIRE(reply.has_value());
    CHECK(reply->response == payloads[n]);
  }
}
