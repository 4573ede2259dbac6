#include "apps/tetherd/control_api.hpp"

#include "apps/common/listen_address.hpp"

#include <cstring>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

#include <libwebsockets.h>

namespace tether::daemon {

struct control_api::connection {
  bool stream = false;
  // HTTP: the request in progress
  uint64_t id = 0;
  std::string method, path, body;
  bool body_too_big = false;
  /// Answered without dispatch (unauthorized, bad framing): a body that
  /// follows is read and dropped, never dispatched.
  bool refused = false;
  bool dispatched = false; ///< handed to the daemon: at most once per request
  bool awaiting = false; ///< dispatched, its response not yet written
  std::optional<api_response> response;
  // event stream
  std::string filter;
  std::deque<std::string> out;
  bool overflowed = false;
};

namespace {

const lws_protocols protocols[] = {
  {"tetherd-api",
   [](lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
     return control_api::on_event(wsi, static_cast<int>(reason), user, in, len);
   },
   sizeof(void*), 0, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

std::string header(lws* wsi, lws_token_indexes token) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0)
    return {};
  std::string out(static_cast<size_t>(n) + 1, '\0');
  if (lws_hdr_copy(wsi, out.data(), n + 1, token) < 0)
    return {};
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string method_of(lws* wsi) {
  static const std::pair<lws_token_indexes, const char*> methods[] = {
    {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
    {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
    {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"}};
  for (auto& [token, name] : methods)
    if (lws_hdr_total_length(wsi, token) > 0)
      return name;
  return "OTHER";
}

const char* status_text(int status) {
  switch (status) {
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    default: return "Refused";
  }
}

} // namespace

control_api::control_api(control_api_options opts, dispatcher dispatch)
  : opts_(std::move(opts)), dispatch_(std::move(dispatch)) {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  std::string why;
  auto where = apps::parse_listen_address(opts_.listen, why);
  if (!where)
    throw std::runtime_error("control API: cannot listen on " + opts_.listen + ": " + why);
  std::string iface;
  apps::bind_exactly(info, *where, iface);
  if (where->kind == apps::listen_address::family::unix_path)
    ::unlink(iface.c_str()); // a stale socket of an earlier run
  info.protocols = protocols;
  info.user = this;
  ctx_ = lws_create_context(&info);
  // A throwing constructor runs no destructor: the context goes here.
  auto give_up = [this](const std::string& why) {
    if (ctx_)
      lws_context_destroy(ctx_);
    ctx_ = nullptr;
    throw std::runtime_error(why);
  };
  auto* vhost = ctx_ ? lws_get_vhost_by_name(ctx_, "default") : nullptr;
  if (!vhost)
    give_up("control API: cannot listen on " + opts_.listen);
  // lws logs a listener it could not open and carries on without one:
  // check that the socket is really there, or refuse to start.
  if (!(info.options & LWS_SERVER_OPTION_UNIX_SOCK)) {
    port_ = lws_get_vhost_listen_port(vhost);
    if (port_ <= 0)
      give_up("control API: no listening socket on " + opts_.listen);
  } else {
    struct stat st {};
    if (::stat(iface.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
      give_up("control API: no listening socket at " + iface);
    ::chmod(iface.c_str(), 0600); // the token still applies; the mode is a second lock
  }
}

control_api::~control_api() {
  if (ctx_)
    lws_context_destroy(ctx_);
}

void control_api::run() {
  while (!stopping_)
    if (lws_service(ctx_, 0) < 0)
      break;
}

void control_api::stop() noexcept {
  stopping_ = true;
  if (ctx_)
    lws_cancel_service(ctx_);
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
  lws_cancel_service(ctx_);
}

void control_api::publish(const std::string& account, std::string line) {
  {
    std::lock_guard guard{inbox_mutex_};
    events_.emplace_back(account, std::move(line));
  }
  lws_cancel_service(ctx_);
}

void control_api::set_accounts(std::set<std::string> names) {
  std::lock_guard guard{inbox_mutex_};
  accounts_ = std::move(names);
}

bool control_api::known_account(const std::string& name) {
  std::lock_guard guard{inbox_mutex_};
  return accounts_.count(name) > 0;
}

int control_api::on_event(lws* wsi, int reason, void* user, void* in, size_t len) {
  auto* self = static_cast<control_api*>(lws_context_user(lws_get_context(wsi)));
  if (!self)
    return 0;
  connection* none = nullptr;
  auto& slot = user ? *static_cast<connection**>(user) : none;
  return self->handle(wsi, reason, slot, in, len);
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
    auto [wsi, c] = i->second;
    pending_.erase(i);
    c->response = std::move(response);
    lws_callback_on_writable(wsi);
  }
  for (auto& [account, line] : events) {
    for (auto& [wsi, c] : streams_) {
      if (c->overflowed || (!c->filter.empty() && c->filter != account))
        continue;
      if (c->out.size() >= opts_.max_stream_backlog)
        c->overflowed = true; // closed on its next writable: never a silent gap
      else
        c->out.push_back(line + "\n");
      lws_callback_on_writable(wsi);
    }
  }
}

void control_api::finish(lws* wsi, connection& c, api_response r) {
  c.response = std::move(r);
  lws_callback_on_writable(wsi);
}

void control_api::refuse(lws* wsi, connection& c, api_response r) {
  c.refused = true;
  finish(wsi, c, std::move(r));
}

void control_api::start_request(lws* wsi, connection& c, const char* uri) {
  c = connection{};
  c.method = method_of(wsi);
  c.path = uri ? uri : "";
  if (!bearer_matches(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION), opts_.token)) {
    refuse(wsi, c, error_response(401, "unauthorized", "a valid bearer token is required"));
    return;
  }
  // The body's framing, as a server must judge it (RFC 9112 6.3): one
  // Content-Length of digits only, never together with Transfer-Encoding;
  // chunked bodies are not taken.
  auto length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  bool chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
  if (chunked && !length.empty()) {
    refuse(wsi, c, error_response(400, "bad_framing",
                                  "Content-Length and Transfer-Encoding together"));
    return;
  }
  if (chunked) {
    refuse(wsi, c, error_response(411, "length_required",
                                  "send the body with a Content-Length, not chunked"));
    return;
  }
  if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) > 0
      || length.find_first_not_of("0123456789") != std::string::npos) {
    refuse(wsi, c, error_response(400, "bad_framing", "one Content-Length of digits only"));
    return;
  }
  if (!length.empty() && length.find_first_not_of('0') != std::string::npos)
    return; // a body follows (HTTP_BODY, then HTTP_BODY_COMPLETION)
  dispatch(wsi, c); // no body; lws may still report an empty body's completion
}

void control_api::dispatch(lws* wsi, connection& c) {
  if (c.refused || c.dispatched)
    return;
  c.dispatched = true;
  c.id = next_id_++;
  c.awaiting = true;
  pending_[c.id] = {wsi, &c};
  ++unanswered_;
  dispatch_(api_request{c.id, c.method, c.path, std::move(c.body)});
}

int control_api::write_response(lws* wsi, connection& c) {
  auto r = std::move(*c.response);
  c.response.reset();
  if (c.awaiting) {
    c.awaiting = false;
    one_answered();
  }
  unsigned char head[LWS_PRE + 512];
  unsigned char* start = head + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = head + sizeof(head) - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned>(r.status), r.content_type.c_str(),
                                  r.body.size(), &p, end)
      || lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  std::string out(LWS_PRE, '\0');
  out += r.body;
  if (!r.body.empty()
      && lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, r.body.size(),
                   LWS_WRITE_HTTP_FINAL)
           < static_cast<int>(r.body.size()))
    return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int control_api::refuse_upgrade(lws* wsi, const api_response& r) {
  // Written whole, as lws_return_http_status does, before the close.
  std::string out(LWS_PRE, '\0');
  out += "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status)
         + "\r\ncontent-type: " + r.content_type
         + "\r\ncontent-length: " + std::to_string(r.body.size())
         + "\r\nconnection: close\r\n\r\n" + r.body;
  auto n = out.size() - LWS_PRE;
  lws_write(wsi, reinterpret_cast<unsigned char*>(out.data()) + LWS_PRE, n,
            LWS_WRITE_HTTP_FINAL);
  return -1;
}

int control_api::handle(lws* wsi, int reason, connection*& c, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      take_inbox();
      return 0;
    case LWS_CALLBACK_HTTP: {
      if (!c)
        c = new connection;
      start_request(wsi, *c, static_cast<const char*>(in));
      return 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
      if (c && !c->refused && !c->body_too_big) {
        if (c->body.size() + len > opts_.max_body_bytes)
          c->body_too_big = true;
        else
          c->body.append(static_cast<const char*>(in), len);
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (!c)
        return -1;
      if (c->refused || c->dispatched)
        return 0; // answered already, or a Content-Length: 0 request
      if (c->body_too_big) {
        refuse(wsi, *c, error_response(413, "body_too_large",
                                       "the body exceeds "
                                         + std::to_string(opts_.max_body_bytes) + " bytes"));
        return 0;
      }
      dispatch(wsi, *c);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (!c || !c->response)
        return 0;
      return write_response(wsi, *c);
    // lws frees the per-transaction memory after dropping the protocol, so
    // a connection's state ends there (or at the close, whichever is first).
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
      if (c && !c->stream) {
        pending_.erase(c->id);
        if (c->awaiting)
          one_answered();
        delete c;
        c = nullptr;
      }
      return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      if (header(wsi, WSI_TOKEN_GET_URI) != "/events")
        return refuse_upgrade(wsi, error_response(404, "not_found",
                                                  "the event stream is GET /events"));
      if (!bearer_matches(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION), opts_.token))
        return refuse_upgrade(wsi, error_response(401, "unauthorized",
                                                  "a valid bearer token is required"));
      char buf[256];
      if (auto* v = lws_get_urlarg_by_name(wsi, "account=", buf, sizeof(buf));
          v && !known_account(v))
        return refuse_upgrade(wsi, error_response(404, "unknown_account",
                                                  "no account has that name (GET /accounts lists them)"));
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      c = new connection;
      c->stream = true;
      char buf[256];
      if (auto* v = lws_get_urlarg_by_name(wsi, "account=", buf, sizeof(buf)))
        c->filter = v;
      streams_.insert({wsi, c});
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (!c)
        return -1;
      if (c->out.empty() && c->overflowed) {
        static const char why[] = "event stream fell behind";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                         reinterpret_cast<unsigned char*>(const_cast<char*>(why)),
                         sizeof(why) - 1);
        return -1;
      }
      if (c->out.empty())
        return 0;
      auto line = std::move(c->out.front());
      c->out.pop_front();
      std::string frame(LWS_PRE, '\0');
      frame += line;
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(frame.data()) + LWS_PRE, line.size(),
                    LWS_WRITE_TEXT)
          < static_cast<int>(line.size()))
        return -1;
      if (!c->out.empty() || c->overflowed)
        lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      if (c) {
        streams_.erase({wsi, c});
        delete c;
        c = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

} // namespace tether::daemon
