// The control API as an HTTP server must behave, tried with a bare socket:
// each request dispatched at most once, never one it refused, framing that
// could smuggle a request refused, every answer valid JSON.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/tetherd/control_api.hpp"

using namespace tether::daemon;
using namespace std::chrono_literals;

namespace {

/// A control API on a free loopback port whose daemon answers every request
/// at once with {"method":…,"path":…,"body":…} and records what it got.
class api_fixture {
public:
  explicit api_fixture(std::function<void(control_api_options&)> tune = {}) {
    control_api_options opts;
    opts.listen = "127.0.0.1:0";
    opts.token = "t";
    opts.max_body_bytes = 64;
    opts.max_header_bytes = 1024;
    if (tune)
      tune(opts);
    api_ = std::make_unique<control_api>(opts, [this](api_request r) {
      {
        std::lock_guard guard{mutex_};
        got_.push_back(r.method + " " + r.path + " " + r.body);
      }
      api_->respond(r.id, {200, R"({"path":")" + r.path + R"("})"});
    });
    api_->set_accounts({"alice"});
    thread_ = std::thread{[this] { api_->run(); }};
  }

  ~api_fixture() {
    api_->stop();
    thread_.join();
  }

  std::vector<std::string> dispatched() {
    std::lock_guard guard{mutex_};
    return got_;
  }

  int connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(api_->port()));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    return fd;
  }

  /// Sends `raw` on a fresh connection and returns everything the server
  /// wrote until it closed or was quiet for `quiet`.
  std::string exchange(const std::string& raw, std::chrono::milliseconds quiet = 500ms) {
    int fd = connect();
    send_all(fd, raw);
    auto out = read_until_quiet(fd, quiet);
    ::close(fd);
    return out;
  }

  static void send_all(int fd, const std::string& raw) {
    REQUIRE(::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(raw.size()));
  }

  /// What the server writes until it closes (`closed` is then set) or is
  /// quiet for `quiet`.
  static std::string read_until_quiet(int fd, std::chrono::milliseconds quiet,
                                      bool* closed = nullptr) {
    std::string out;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed)
          *closed = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  void publish(const std::string& account, const std::string& line) {
    api_->publish(account, line);
  }

  size_t unanswered() const {
    return api_->unanswered();
  }

private:
  std::unique_ptr<control_api> api_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> got_;
};

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

const std::string auth = "Authorization: Bearer t\r\n";

} // namespace

TEST_CASE("a POST with Content-Length: 0 is dispatched once and answered once",
          "[tetherd]") {
  api_fixture f;
  auto out = f.exchange("POST /accounts/a/stop HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n");
  CHECK(count_of(out, "HTTP/1.1 200") == 1);
  CHECK(f.dispatched() == std::vector<std::string>{"POST /accounts/a/stop "});
  CHECK(f.unanswered() == 0);
}

TEST_CASE("an unauthorized request is never dispatched, not even once its body "
          "has arrived",
          "[tetherd]") {
  api_fixture f;
  auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n"
                        "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  CHECK(count_of(out, "HTTP/1.1 401") == 1);
  CHECK(count_of(out, "HTTP/1.1 200") == 0);
  CHECK(f.dispatched().empty());
  CHECK(f.unanswered() == 0);
}

TEST_CASE("framing that could smuggle a request is refused and not dispatched",
          "[tetherd]") {
  api_fixture f;
  SECTION("Content-Length with Transfer-Encoding") {
    auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"
                            "Connection: close\r\n\r\n0\r\n\r\n");
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(out.find(R"("error":"bad_framing")") != std::string::npos);
  }
  SECTION("a Transfer-Encoding that does not end with chunked") {
    auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Transfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}");
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(out.find(R"("error":"bad_framing")") != std::string::npos);
  }
  SECTION("two Content-Length headers") {
    auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Content-Length: 2\r\nContent-Length: 2\r\n"
                            "Connection: close\r\n\r\n{}");
    CHECK(out.rfind("HTTP/1.1 400", 0) == 0);
  }
  CHECK(f.dispatched().empty());
  CHECK(f.unanswered() == 0);
}

TEST_CASE("a chunked body is decoded, dispatched once, and the next request stays apart",
          "[tetherd]") {
  api_fixture f;
  auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Transfer-Encoding: chunked\r\n\r\n"
                          "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n"
                          "GET /accounts HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Connection: close\r\n\r\n");
  CHECK(f.dispatched()
        == std::vector<std::string>{R"(POST /accounts/a/push {"a":1})", "GET /accounts "});
  CHECK(count_of(out, "HTTP/1.1 200") == 2);
  CHECK(f.unanswered() == 0);
}

TEST_CASE("headers over the limit are answered 431 with a JSON body, never dropped",
          "[tetherd]") {
  api_fixture f; // 1 KiB of headers at most
  SECTION("one long header") {
    auto out = f.exchange("GET /accounts HTTP/1.1\r\nHost: x\r\n" + auth + "X-Pad: "
                          + std::string(4000, 'p') + "\r\n\r\n");
    CHECK(out.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(out.find(R"("error":"headers_too_large")") != std::string::npos);
  }
  SECTION("far more than any buffer (200 KiB)") {
    int fd = f.connect();
    std::string head = "GET /accounts HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 2000; ++i)
      head += "X-Pad-" + std::to_string(i) + ": " + std::string(90, 'p') + "\r\n";
    // the server answers and closes before it has read it all: sends may fail
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    auto out = api_fixture::read_until_quiet(fd, 2000ms);
    ::close(fd);
    CHECK(out.rfind("HTTP/1.1 431", 0) == 0);
  }
  SECTION("too many headers") {
    std::string head = "GET /accounts HTTP/1.1\r\n";
    for (int i = 0; i < 150; ++i)
      head += "a" + std::to_string(i) + ": b\r\n";
    auto out = f.exchange(head + "\r\n");
    CHECK(out.rfind("HTTP/1.1 431", 0) == 0);
  }
  CHECK(f.dispatched().empty());
}

TEST_CASE("a request that does not arrive whole in time is answered 408; a silent "
          "connection is closed",
          "[tetherd]") {
  api_fixture f{[](control_api_options& o) { o.request_timeout = 300ms; }};
  SECTION("half a request") {
    auto out = f.exchange("GET /accounts HTTP/1.1\r\nHost: x\r\n", 3000ms);
    CHECK(out.rfind("HTTP/1.1 408", 0) == 0);
    CHECK(out.find(R"("error":"request_timeout")") != std::string::npos);
  }
  SECTION("nothing at all") {
    int fd = f.connect();
    bool closed = false;
    auto out = api_fixture::read_until_quiet(fd, 3000ms, &closed);
    ::close(fd);
    CHECK(closed);
    CHECK(out.empty());
  }
  CHECK(f.dispatched().empty());
}

TEST_CASE("a client that waits for 100 Continue gets it, then its answer", "[tetherd]") {
  api_fixture f;
  int fd = f.connect();
  api_fixture::send_all(fd, "POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                              + "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  auto interim = api_fixture::read_until_quiet(fd, 500ms);
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  api_fixture::send_all(fd, "{}");
  auto out = api_fixture::read_until_quiet(fd, 500ms);
  ::close(fd);
  CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(f.dispatched() == std::vector<std::string>{"POST /accounts/a/push {}"});
}

TEST_CASE("a client that shuts its side after the request still gets the answer; "
          "HTTP/1.0 is closed after one",
          "[tetherd]") {
  api_fixture f;
  SECTION("shutdown(SHUT_WR)") {
    int fd = f.connect();
    api_fixture::send_all(fd, "GET /accounts HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
    ::shutdown(fd, SHUT_WR);
    bool closed = false;
    auto out = api_fixture::read_until_quiet(fd, 2000ms, &closed);
    ::close(fd);
    CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(closed);
  }
  SECTION("HTTP/1.0") {
    int fd = f.connect();
    api_fixture::send_all(fd, "GET /accounts HTTP/1.0\r\n" + auth + "\r\n");
    bool closed = false;
    auto out = api_fixture::read_until_quiet(fd, 2000ms, &closed);
    ::close(fd);
    CHECK(out.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(out.find("connection: close") != std::string::npos);
    CHECK(closed);
  }
  CHECK(f.unanswered() == 0);
}

TEST_CASE("a path's %-escapes are decoded before routing; a malformed one is a 400",
          "[tetherd]") {
  api_fixture f;
  auto out = f.exchange("GET /accounts/al%69ce HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Connection: close\r\n\r\n");
  CHECK(out.find(R"({"path":"/accounts/alice"})") != std::string::npos);
  auto bad = f.exchange("GET /accounts/%zz HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Connection: close\r\n\r\n");
  CHECK(bad.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(f.dispatched() == std::vector<std::string>{"GET /accounts/alice "});
}

TEST_CASE("a body over the limit is answered 413 and not dispatched", "[tetherd]") {
  api_fixture f;
  std::string body(100, 'x');
  auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                        + "Content-Length: 100\r\nConnection: close\r\n\r\n" + body);
  CHECK(out.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(f.dispatched().empty());
}

TEST_CASE("pipelined requests are answered in order, each with its own answer",
          "[tetherd]") {
  api_fixture f;
  SECTION("two GETs") {
    auto out = f.exchange("GET /first HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"
                          "GET /second HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Connection: close\r\n\r\n");
    auto first = out.find(R"({"path":"/first"})");
    auto second = out.find(R"({"path":"/second"})");
    REQUIRE(first != std::string::npos);
    REQUIRE(second != std::string::npos);
    CHECK(first < second);
    CHECK(count_of(out, "HTTP/1.1 200") == 2);
  }
  SECTION("a POST with a body, then a GET") {
    auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Content-Length: 2\r\n\r\n{}"
                            "GET /accounts HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Connection: close\r\n\r\n");
    CHECK(f.dispatched()
          == std::vector<std::string>{"POST /accounts/a/push {}", "GET /accounts "});
    auto push = out.find(R"({"path":"/accounts/a/push"})");
    auto list = out.find(R"({"path":"/accounts"})");
    REQUIRE(push != std::string::npos);
    REQUIRE(list != std::string::npos);
    CHECK(push < list);
  }
  CHECK(f.unanswered() == 0);
}

namespace {

std::string upgrade(const std::string& target, const std::string& headers) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers
         + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n";
}

/// The body after the header block of the first answer in `out`.
std::string body_of(const std::string& out) {
  auto at = out.find("\r\n\r\n");
  return at == std::string::npos ? std::string{} : out.substr(at + 4);
}

} // namespace

TEST_CASE("the event stream refuses as the rest of the API does: HTTP/1.1 and a "
          "JSON body",
          "[tetherd]") {
  api_fixture f;
  SECTION("without a token: 401") {
    auto out = f.exchange(upgrade("/events", ""));
    CHECK(out.rfind("HTTP/1.1 401", 0) == 0);
    CHECK(out.find("content-type: application/json") != std::string::npos);
    CHECK(body_of(out) == R"({"error":"unauthorized","message":"a valid bearer token is required"})");
  }
  SECTION("an account the config does not name: 404") {
    auto out = f.exchange(upgrade("/events?account=nobody", auth));
    CHECK(out.rfind("HTTP/1.1 404", 0) == 0);
    CHECK(body_of(out).rfind(R"({"error":"unknown_account",)", 0) == 0);
  }
  SECTION("a path other than /events: 404") {
    auto out = f.exchange(upgrade("/elsewhere", auth));
    CHECK(out.rfind("HTTP/1.1 404", 0) == 0);
    CHECK(body_of(out).rfind(R"({"error":"not_found",)", 0) == 0);
  }
  SECTION("an account it names, or none: the stream opens") {
    CHECK(f.exchange(upgrade("/events?account=alice", auth)).rfind("HTTP/1.1 101", 0) == 0);
    CHECK(f.exchange(upgrade("/events", auth)).rfind("HTTP/1.1 101", 0) == 0);
  }
  CHECK(f.dispatched().empty());
}

namespace {

/// A client frame as RFC 6455 wants it: masked.
std::string client_frame(uint8_t opcode, const std::string& payload) {
  std::string out;
  out += static_cast<char>(0x80 | opcode);
  out += static_cast<char>(0x80 | payload.size()); // < 126 here
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  out.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i)
    out += static_cast<char>(payload[i] ^ mask[i % 4]);
  return out;
}

} // namespace

TEST_CASE("the event stream: the RFC 6455 handshake, lines as text frames, ping answered, "
          "close answered",
          "[tetherd]") {
  api_fixture f;
  int fd = f.connect();
  api_fixture::send_all(fd, upgrade("/events?account=alice", auth));
  auto hello = api_fixture::read_until_quiet(fd, 300ms);
  REQUIRE(hello.rfind("HTTP/1.1 101", 0) == 0);
  // RFC 6455 1.3's own example key and answer
  CHECK(hello.find("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);

  f.publish("bob", R"({"n":0})"); // filtered out: the stream asked for alice
  f.publish("alice", R"({"n":1})");
  auto frame = api_fixture::read_until_quiet(fd, 300ms);
  CHECK(frame == std::string{"\x81\x08"} + "{\"n\":1}\n");

  api_fixture::send_all(fd, client_frame(0x9, "hi"));
  CHECK(api_fixture::read_until_quiet(fd, 300ms) == std::string{"\x8A\x02hi"});

  api_fixture::send_all(fd, client_frame(0x8, std::string{"\x03\xE8", 2}));
  bool closed = false;
  auto bye = api_fixture::read_until_quiet(fd, 2000ms, &closed);
  ::close(fd);
  CHECK(bye == std::string{"\x88\x02\x03\xE8", 4});
  CHECK(closed);
}

TEST_CASE("the event stream refuses what it cannot serve, and says why", "[tetherd]") {
  api_fixture f;
  SECTION("GET /events without an upgrade: 426") {
    auto out = f.exchange("GET /events HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
    CHECK(out.rfind("HTTP/1.1 426", 0) == 0);
    CHECK(body_of(out).rfind(R"({"error":"upgrade_required",)", 0) == 0);
  }
  SECTION("a client that sends a message is closed with 1003") {
    int fd = f.connect();
    api_fixture::send_all(fd, upgrade("/events", auth));
    REQUIRE(api_fixture::read_until_quiet(fd, 300ms).rfind("HTTP/1.1 101", 0) == 0);
    api_fixture::send_all(fd, client_frame(0x1, "hello"));
    bool closed = false;
    auto out = api_fixture::read_until_quiet(fd, 2000ms, &closed);
    ::close(fd);
    REQUIRE(out.size() >= 4);
    CHECK(out.substr(0, 4) == std::string{"\x88\x24\x03\xEB", 4}); // close, 1003
    CHECK(closed);
  }
  SECTION("an unmasked client frame is closed with 1002") {
    int fd = f.connect();
    api_fixture::send_all(fd, upgrade("/events", auth));
    REQUIRE(api_fixture::read_until_quiet(fd, 300ms).rfind("HTTP/1.1 101", 0) == 0);
    api_fixture::send_all(fd, std::string{"\x89\x00", 2});
    auto out = api_fixture::read_until_quiet(fd, 2000ms);
    ::close(fd);
    REQUIRE(out.size() >= 4);
    CHECK(out.substr(2, 2) == std::string{"\x03\xEA", 2}); // 1002
  }
}
