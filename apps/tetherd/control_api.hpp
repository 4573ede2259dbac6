#pragma once
// The control API's server: HTTP requests and a WebSocket event stream on
// libwebsockets, on a thread of its own. It only parses, authorises and
// carries bytes: each authorised request goes to `dispatch` (which hands it
// to the daemon actor) and its answer comes back through respond(), from
// any thread. Events come in through publish() and go out as NDJSON lines
// to every stream whose account filter matches.

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

struct lws;
struct lws_context;

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
  /// Lines queued for one event stream; a stream that falls further behind
  /// is closed (1008) rather than silently losing lines.
  size_t max_stream_backlog = 10000;
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

  static int on_event(lws* wsi, int reason, void* user, void* in, size_t len);

  struct connection; ///< one HTTP connection or event stream

private:
  int handle(lws* wsi, int reason, connection*& c, void* in, size_t len);
  void take_inbox();
  void start_request(lws* wsi, connection& c, const char* uri);
  void finish(lws* wsi, connection& c, api_response r);
  void refuse(lws* wsi, connection& c, api_response r);
  void dispatch(lws* wsi, connection& c);
  int write_response(lws* wsi, connection& c);
  /// Refuses an event stream's upgrade with a JSON answer, as every other
  /// refusal of the API (lws's own would be an HTML page).
  int refuse_upgrade(lws* wsi, const api_response& r);
  bool known_account(const std::string& name);

  control_api_options opts_;
  dispatcher dispatch_;
  lws_context* ctx_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> unanswered_{0};
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::pair<lws*, connection*>> pending_; ///< lws thread only
  std::set<std::pair<lws*, connection*>> streams_;           ///< lws thread only

  std::mutex answered_mutex_;
  std::condition_variable answered_;
  void one_answered();

  std::mutex inbox_mutex_;
  std::vector<std::pair<uint64_t, api_response>> responses_;
  std::vector<std::pair<std::string, std::string>> events_;
  std::set<std::string> accounts_; ///< guarded by inbox_mutex_
};

} // namespace tether::daemon
