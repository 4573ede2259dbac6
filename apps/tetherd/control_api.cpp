#include "apps/tetherd/control_api.hpp"

#include "apps/common/http_request_reader.hpp"
#include "apps/common/listen_address.hpp"
#include "apps/common/listen_socket.hpp"
#include "apps/common/websocket_server_frames.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <stdexcept>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tether::daemon {

using apps::http_request;
using apps::ws_opcode;

struct control_api::connection {
  explicit connection(int fd, apps::http_limits limits) : fd(fd), reader(limits) {
  }
  int fd;
  apps::http_request_reader reader;
  std::string in;  ///< received, not yet read
  std::string out; ///< to write
  bool closing = false;   ///< close once `out` is written
  bool peer_done = false; ///< the client shut its side: answer what it asked, then close
  // HTTP
  bool awaiting = false; ///< a request dispatched, its answer not yet here
  /// Counted in unanswered_ until its answer is written out (or the client
  /// is gone): a daemon that stops waits for the bytes, not just the answer.
  bool counted = false;
  uint64_t request_id = 0;
  bool keep_alive = true; ///< of the request in flight
  bool timing_request = false; ///< `deadline` is the current request's
  clock::time_point deadline = clock::time_point::max();
  // event stream
  bool stream = false;
  std::string filter;
  std::deque<std::string> frames; ///< queued lines, each one text frame
  bool overflowed = false;
};

namespace {

/// Bytes read from a socket at once, and the most a connection buffers
/// ahead while one of its requests is in flight.
constexpr size_t read_chunk = 16 * 1024;
constexpr size_t max_buffered_input = 64 * 1024;
/// The largest frame an event stream takes from its client (it only needs
/// close, ping and pong; their payloads are at most 125 bytes).
constexpr size_t max_client_frame = 4096;

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

bool is_websocket_upgrade(const http_request& req) {
  auto* upgrade = req.header("upgrade");
  if (!upgrade)
    return false;
  std::string lower;
  for (char ch : *upgrade)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower == "websocket";
}

} // namespace

control_api::control_api(control_api_options opts, dispatcher dispatch)
  : opts_(std::move(opts)), dispatch_(std::move(dispatch)) {
  std::string why;
  auto where = apps::parse_listen_address(opts_.listen, why);
  if (!where)
    throw std::runtime_error("control API: cannot listen on " + opts_.listen + ": " + why);
  auto sock = apps::open_listen_socket(*where, why);
  if (sock.fd < 0)
    throw std::runtime_error("control API: cannot listen on " + opts_.listen + ": " + why);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(sock.fd);
    throw std::runtime_error(std::string{"control API: eventfd: "} + std::strerror(errno));
  }
  listen_fd_ = sock.fd;
  port_ = sock.port;
  if (where->kind == apps::listen_address::family::unix_path)
    unix_path_ = where->host;
}

control_api::~control_api() {
  for (auto& [fd, c] : connections_)
    ::close(fd);
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
  if (!unix_path_.empty())
    ::unlink(unix_path_.c_str());
}

void control_api::wake() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void control_api::run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& [fd, c] : connections_) {
      short events = 0;
      if (c->stream || (!c->peer_done && !c->closing && c->in.size() < max_buffered_input))
        events |= POLLIN;
      if (!c->out.empty() || !c->frames.empty() || (c->stream && c->overflowed))
        events |= POLLOUT;
      fds.push_back({fd, events, 0});
    }
    int n = ::poll(fds.data(), fds.size(), poll_timeout_ms(clock::now()));
    if (n < 0 && errno != EINTR)
      break;
    if (fds[0].revents & POLLIN) {
      uint64_t count = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof(count));
      take_inbox();
    }
    if (fds[1].revents & POLLIN)
      accept_all();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto it = connections_.find(fds[i].fd);
      if (it == connections_.end() || fds[i].revents == 0)
        continue;
      auto& c = *it->second;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
        on_readable(c);
      if (connections_.count(fds[i].fd) && (fds[i].revents & POLLOUT))
        on_writable(c);
    }
    check_deadlines(clock::now());
  }
}

void control_api::stop() noexcept {
  stopping_ = true;
  wake();
}

void control_api::one_answered() {
  std::lock_guard guard{answered_mutex_};
  --unanswered_;
  answered_.notify_all();
}

bool control_api::wait_answered(std::chrono::milliseconds limit) {
  std::unique_lock guard{answered_mutex_};
  return answered_.wait_for(guard, limit, [this] { return unanswered_ == 0; });
}

void control_api::respond(uint64_t id, api_response response) {
  {
    std::lock_guard guard{inbox_mutex_};
    responses_.emplace_back(id, std::move(response));
  }
  wake();
}

void control_api::publish(const std::string& account, std::string line) {
  {
    std::lock_guard guard{inbox_mutex_};
    events_.emplace_back(account, std::move(line));
  }
  wake();
}

void control_api::set_accounts(std::set<std::string> names) {
  std::lock_guard guard{inbox_mutex_};
  accounts_ = std::move(names);
}

bool control_api::known_account(const std::string& name) {
  std::lock_guard guard{inbox_mutex_};
  return accounts_.count(name) > 0;
}

void control_api::accept_all() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return; // EAGAIN: all taken (or an error the next poll reports again)
    if (connections_.size() >= opts_.max_connections) {
      auto body = error_response(503, "too_many_connections",
                                 "the control API serves "
                                   + std::to_string(opts_.max_connections)
                                   + " connections at most")
                    .body;
      auto text = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                  "content-length: "
                  + std::to_string(body.size()) + "\r\nconnection: close\r\n\r\n" + body;
      [[maybe_unused]] auto n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    apps::http_limits limits;
    limits.max_body_bytes = opts_.max_body_bytes;
    limits.max_header_bytes = opts_.max_header_bytes;
    auto c = std::make_unique<connection>(fd, limits);
    // The first request has the request timeout from the connect on: a
    // client that connects and says nothing holds no socket for long.
    c->deadline = clock::now() + opts_.request_timeout;
    c->timing_request = true;
    connections_.emplace(fd, std::move(c));
  }
}

void control_api::drop(connection& c) {
  if (c.awaiting)
    pending_.erase(c.request_id); // its answer, when it comes, has nowhere to go
  if (c.counted)
    one_answered();
  int fd = c.fd;
  ::close(fd);
  connections_.erase(fd); // c is gone from here on
}

void control_api::on_readable(connection& c) {
  char buf[read_chunk];
  for (;;) {
    if (!c.stream && c.in.size() >= max_buffered_input)
      break; // the rest waits until the request in flight is answered
    auto n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      c.peer_done = true;
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      break;
    if (errno == EINTR)
      continue;
    return drop(c); // reset by the peer
  }
  if (c.stream) {
    while (!c.in.empty() && !c.closing) {
      auto r = apps::read_client_frame(c.in, max_client_frame);
      if (r.result == apps::ws_read::outcome::need_more)
        break;
      if (r.result == apps::ws_read::outcome::violation)
        return close_stream(c, r.close_code, r.why);
      c.in.erase(0, r.consumed);
      switch (r.frame.opcode) {
        case ws_opcode::ping:
          c.out += apps::websocket_frame(ws_opcode::pong, r.frame.payload);
          break;
        case ws_opcode::close:
          return close_stream(c, 1000, "");
        case ws_opcode::pong:
          break;
        default: // the stream only speaks; a client that talks is told so
          return close_stream(c, 1003, "the event stream takes no messages");
      }
    }
    if (c.peer_done && !c.closing)
      return drop(c);
    return;
  }
  serve_requests(c);
  if (connections_.count(c.fd) == 0)
    return;
  if (c.peer_done && !c.awaiting && c.out.empty())
    drop(c); // nothing asked is left unanswered
}

void control_api::serve_requests(connection& c) {
  while (!c.awaiting && !c.closing && !c.stream) {
    if (!c.in.empty())
      c.in.erase(0, c.reader.feed(c.in));
    if (c.reader.take_continue())
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
    if (auto& refused = c.reader.refused()) {
      // What follows cannot be framed: answer, then close.
      answer(c, error_response(refused->status, refused->code, refused->message), true);
      return;
    }
    if (!c.reader.ready())
      break;
    auto req = c.reader.take();
    c.timing_request = false;
    c.deadline = clock::time_point::max();
    on_request(c, req);
  }
  if (!c.stream && !c.awaiting && !c.closing && c.reader.mid_request() && !c.timing_request) {
    c.timing_request = true;
    c.deadline = clock::now() + opts_.request_timeout;
  }
}

void control_api::on_request(connection& c, http_request& req) {
  if (req.upgrade || req.path() == "/events")
    return open_stream(c, req);
  auto path = apps::percent_decoded(req.path());
  if (!path)
    return answer(c, error_response(400, "bad_request", "a malformed %-escape in the path"),
                  !req.keep_alive);
  auto* authorization = req.header("authorization");
  if (!bearer_matches(authorization ? *authorization : std::string{}, opts_.token))
    return answer(c, error_response(401, "unauthorized", "a valid bearer token is required"),
                  !req.keep_alive);
  c.keep_alive = req.keep_alive;
  c.awaiting = true;
  c.counted = true;
  c.request_id = next_id_++;
  pending_[c.request_id] = c.fd;
  ++unanswered_;
  dispatch_(api_request{c.request_id, req.method, std::move(*path), std::move(req.body)});
}

void control_api::open_stream(connection& c, http_request& req) {
  // Every refusal closes: the client asked to leave HTTP behind.
  if (req.path() != "/events")
    return answer(c, error_response(404, "not_found", "the event stream is GET /events"), true);
  if (req.method != "GET" || !is_websocket_upgrade(req))
    return answer(c, error_response(426, "upgrade_required",
                                    "GET /events is a WebSocket stream (Upgrade: websocket)"),
                  true);
  auto* authorization = req.header("authorization");
  if (!bearer_matches(authorization ? *authorization : std::string{}, opts_.token))
    return answer(c, error_response(401, "unauthorized", "a valid bearer token is required"),
                  true);
  auto filter = apps::percent_decoded(account_filter(req.query()));
  if (!filter)
    return answer(c, error_response(400, "bad_request", "a malformed %-escape in account="),
                  true);
  if (!filter->empty() && !known_account(*filter))
    return answer(c, error_response(404, "unknown_account",
                                    "no account has that name (GET /accounts lists them)"),
                  true);
  auto* key = req.header("sec-websocket-key");
  auto* version = req.header("sec-websocket-version");
  if (!key || key->empty() || !version || *version != "13")
    return answer(c, error_response(400, "bad_request",
                                    "a WebSocket upgrade needs Sec-WebSocket-Key and "
                                    "Sec-WebSocket-Version: 13"),
                  true);
  c.out += "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
           "sec-websocket-accept: "
           + apps::websocket_accept_key(*key) + "\r\n\r\n";
  c.stream = true;
  c.filter = std::move(*filter);
  c.deadline = clock::time_point::max();
}

void control_api::answer(connection& c, const api_response& r, bool close) {
  bool keep = !close && c.keep_alive && !c.peer_done;
  c.out += "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status)
           + "\r\ncontent-type: " + r.content_type
           + "\r\ncontent-length: " + std::to_string(r.body.size())
           + (keep ? "\r\n\r\n" : "\r\nconnection: close\r\n\r\n") + r.body;
  if (!keep)
    c.closing = true;
  c.keep_alive = true; // the next request says for itself
}

void control_api::close_stream(connection& c, uint16_t code, const std::string& why) {
  c.frames.clear();
  c.out += apps::websocket_close_frame(code, why);
  c.closing = true;
}

void control_api::on_writable(connection& c) {
  for (;;) {
    if (c.out.empty() && c.stream && !c.closing) {
      if (c.frames.empty() && c.overflowed)
        return close_stream(c, 1008, "event stream fell behind");
      while (!c.frames.empty() && c.out.size() < read_chunk) {
        c.out += apps::websocket_frame(ws_opcode::text, c.frames.front());
        c.frames.pop_front();
      }
    }
    if (c.out.empty())
      break;
    auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      if (errno == EINTR)
        continue;
      return drop(c);
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  if (c.counted && !c.awaiting) {
    c.counted = false;
    one_answered();
  }
  if (c.closing)
    return drop(c);
  if (!c.stream && !c.awaiting) {
    if (c.peer_done)
      return drop(c);
    serve_requests(c); // a pipelined request may be waiting its turn
    if (connections_.count(c.fd) && !c.awaiting && !c.timing_request && !c.closing)
      c.deadline = clock::now() + opts_.idle_timeout;
  }
}

void control_api::take_inbox() {
  std::vector<std::pair<uint64_t, api_response>> responses;
  std::vector<std::pair<std::string, std::string>> events;
  {
    std::lock_guard guard{inbox_mutex_};
    responses.swap(responses_);
    events.swap(events_);
  }
  for (auto& [id, response] : responses) {
    auto i = pending_.find(id);
    if (i == pending_.end())
      continue; // the client went away meanwhile
    auto fd = i->second;
    pending_.erase(i);
    auto& c = *connections_.at(fd);
    c.awaiting = false;
    answer(c, response);
  }
  for (auto& [account, line] : events) {
    for (auto& [fd, c] : connections_) {
      if (!c->stream || c->closing || c->overflowed
          || (!c->filter.empty() && c->filter != account))
        continue;
      if (c->frames.size() >= opts_.max_stream_backlog)
        c->overflowed = true; // closed once written out: never a silent gap
      else
        c->frames.push_back(line + "\n");
    }
  }
}

void control_api::check_deadlines(clock::time_point now) {
  std::vector<int> late;
  for (auto& [fd, c] : connections_)
    if (c->deadline <= now)
      late.push_back(fd);
  for (int fd : late) {
    auto& c = *connections_.at(fd);
    c.deadline = clock::time_point::max();
    if (c.reader.mid_request())
      answer(c, error_response(408, "request_timeout",
                               "the request did not arrive whole within "
                                 + std::to_string(opts_.request_timeout.count()) + " ms"),
             true);
    else
      drop(c); // idle: the keep-alive ends, as every server ends it
  }
}

int control_api::poll_timeout_ms(clock::time_point now) const {
  auto next = clock::time_point::max();
  for (auto& [fd, c] : connections_)
    next = std::min(next, c->deadline);
  if (next == clock::time_point::max())
    return -1;
  if (next <= now)
    return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 60'000));
}

} // namespace tether::daemon
