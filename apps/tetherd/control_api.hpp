#pragma once
// The control API's server: HTTP/1.1 requests and a WebSocket event stream,
// on a poll loop of its own thread (plain sockets; requests are framed by
// http-parser, see apps/common/http_request_reader.hpp). It only parses,
// authorises and carries bytes: each authorised request goes to `dispatch`
// (which hands it to the daemon actor) and its answer comes back through
// respond(), from any thread. A connection's requests are dispatched one at
// a time, so pipelined requests are answered in order. Events come in
// through publish() and go out as text frames, one NDJSON line each, to
// every stream whose account filter matches.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "apps/tetherd/api_routes.hpp"

namespace tether::apps {
struct http_request;
}

namespace tether::daemon {

/// What the daemon answers through (thread-safe).
class api_sink {
public:
  virtual ~api_sink() = default;
  virtual void respond(uint64_t id, api_response response) = 0;
  virtual void publish(const std::string& account, std::string line) = 0;
  /// The accounts the config names now: an event stream may filter by one
  /// of these only (a typo is a 404, not a stream that stays silent).
  virtual void set_accounts(std::set<std::string> names) = 0;
};

struct control_api_options {
  std::string listen = "127.0.0.1:4100"; ///< HOST:PORT or unix:/path
  std::string token;
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024; ///< more: 431
  /// Lines queued for one event stream; a stream that falls further behind
  /// is closed (1008) rather than silently losing lines.
  size_t max_stream_backlog = 10000;
  /// A request whose headers and body have not all arrived by then is
  /// answered 408 and closed (a client that trickles bytes holds no socket
  /// for ever); a keep-alive connection idle that long is closed.
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  size_t max_connections = 256; ///< beyond: 503, closed
};

class control_api final : public api_sink {
public:
  using dispatcher = std::function<void(api_request)>;

  /// Listens at once; throws std::runtime_error if it cannot.
  control_api(control_api_options opts, dispatcher dispatch);
  ~control_api() override;

  /// The TCP port listened on (0 on a Unix socket).
  int port() const noexcept {
    return port_;
  }

  /// Serves until stop().
  void run();
  /// Thread-safe.
  void stop() noexcept;

  void respond(uint64_t id, api_response response) override;
  void publish(const std::string& account, std::string line) override;
  void set_accounts(std::set<std::string> names) override;

  /// Requests dispatched whose response is not yet written, and whose
  /// client is still there (thread-safe).
  size_t unanswered() const noexcept {
    return unanswered_;
  }

  /// Blocks until every dispatched request was answered or `limit` passed;
  /// true if all were.
  bool wait_answered(std::chrono::milliseconds limit);

  struct connection; ///< one HTTP connection or event stream

private:
  using clock = std::chrono::steady_clock;
  void accept_all();
  void on_readable(connection& c);
  void on_writable(connection& c);
  /// Reads the next request(s) from c's input while none is in flight.
  void serve_requests(connection& c);
  void on_request(connection& c, apps::http_request& req);
  void open_stream(connection& c, apps::http_request& req);
  void answer(connection& c, const api_response& r, bool close = false);
  void close_stream(connection& c, uint16_t code, const std::string& why);
  void drop(connection& c);
  void take_inbox();
  void check_deadlines(clock::time_point now);
  int poll_timeout_ms(clock::time_point now) const;
  bool known_account(const std::string& name);
  void wake() noexcept;

  control_api_options opts_;
  dispatcher dispatch_;
  int listen_fd_ = -1;
  int wake_fd_ = -1; ///< an eventfd: respond(), publish() and stop() wake the loop
  int port_ = 0;
  std::string unix_path_; ///< removed at the end (a Unix socket listener)
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> unanswered_{0};
  uint64_t next_id_ = 1;
  std::map<int, std::unique_ptr<connection>> connections_; ///< by fd; loop thread only
  std::map<uint64_t, int> pending_; ///< request id -> fd of its connection; loop thread only

  std::mutex answered_mutex_;
  std::condition_variable answered_;
  void one_answered();

  std::mutex inbox_mutex_;
  std::vector<std::pair<uint64_t, api_response>> responses_;
  std::vector<std::pair<std::string, std::string>> events_;
  std::set<std::string> accounts_; ///< guarded by inbox_mutex_
};

} // namespace tether::daemon
