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
  api_fixture() {
    control_api_options opts;
    opts.listen = "127.0.0.1:0";
    opts.token = "t";
    opts.max_body_bytes = 64;
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

  /// Sends `raw` on a fresh connection and returns everything the server
  /// wrote until it closed or was quiet for 500 ms.
  std::string exchange(const std::string& raw) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(api_->port()));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    REQUIRE(::send(fd, raw.data(), raw.size(), 0) == static_cast<ssize_t>(raw.size()));
    std::string out;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 500) > 0) {
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
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
  SECTION("a chunked body") {
    auto out = f.exchange("POST /accounts/a/push HTTP/1.1\r\nHost: x\r\n" + auth
                          + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            "2\r\n{}\r\n0\r\n\r\n");
    CHECK(out.rfind("HTTP/1.1 411", 0) == 0);
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
