#pragma once
// The control API's requests as plain data (pure): which route a method and
// path name, what a body must hold, and the JSON error shape. The server
// (control_api) and the daemon actor meet here.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace tether::daemon {

struct api_request {
  uint64_t id = 0;
  std::string method; ///< GET, POST, …
  std::string path;   ///< without the query
  std::string body;
};

struct api_response {
  int status = 200;
  std::string body; ///< JSON, or Prometheus text for /metrics
  std::string content_type = "application/json";
};

enum class route_kind {
  list_accounts, ///< GET  /accounts
  get_account,   ///< GET  /accounts/NAME
  push,          ///< POST /accounts/NAME/push
  join,          ///< POST /accounts/NAME/join
  leave,         ///< POST /accounts/NAME/leave
  disconnect,    ///< POST /accounts/NAME/disconnect
  reconnect,     ///< POST /accounts/NAME/reconnect
  stop,          ///< POST /accounts/NAME/stop
  start,         ///< POST /accounts/NAME/start
  presence,      ///< GET  /accounts/NAME/presence/TOPIC
  metrics,       ///< GET  /metrics
  reload,        ///< POST /reload (as SIGHUP)
  not_found,
  bad_method,
};

struct route {
  route_kind kind = route_kind::not_found;
  std::string account;
  std::string topic; ///< presence: the topic (it may hold '/')
};

route match_route(const std::string& method, const std::string& path);

/// A JSON error body: {"error": code, "message": message}.
api_response error_response(int status, const std::string& code, const std::string& message);

struct push_body {
  std::string topic;
  std::string event;
  std::string payload = "{}"; ///< JSON object text
  std::chrono::milliseconds timeout{0}; ///< 0: the account's ack timeout
  std::optional<std::string> idempotency_key;
};

struct topic_body {
  std::string topic;
  std::string params = "{}"; ///< join params (JSON object text)
};

/// The parsed body, or a 400 response that says what is wrong.
std::variant<push_body, api_response> parse_push_body(const std::string& body);
std::variant<topic_body, api_response> parse_topic_body(const std::string& body);

/// "Bearer TOKEN" matches `token` (compared in constant time).
bool bearer_matches(const std::string& header, const std::string& token);

/// The `account` filter of an events query ("account=a"), or empty.
std::string account_filter(const std::string& query);

} // namespace tether::daemon
