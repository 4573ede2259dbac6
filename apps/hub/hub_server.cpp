#include "apps/hub/hub_server.hpp"

#include <unistd.h>


#include "apps/common/listen_address.hpp"

#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <optional>

#include <libwebsockets.h>

#include "apps/hub/demo_channel.hpp"
#include "protocol/phoenix_binary.hpp"
#include "protocol/router.hpp"

namespace tether::hub {

using namespace std::chrono;
using protocol::frame;
using protocol::payload_format;

constexpr uint16_t close_normal = 1000;
constexpr uint16_t close_too_big = 1009;
constexpr uint16_t close_server_error = 1011; // Phoenix, on a frame it cannot decode
constexpr uint16_t close_service_restart = 1012; // Phoenix, draining on shutdown
constexpr uint16_t close_heartbeat_timeout = 4000;

/// An lws timer that knows its owner (lws_container_of needs a
/// standard-layout type, which session and slow_reply are not).
template <class Owner>
struct owned_timer {
  lws_sorted_usec_list_t sul;
  Owner* owner;
};

template <class Owner>
Owner* owner_of(lws_sorted_usec_list_t* sul) {
  return lws_container_of(sul, owned_timer<Owner>, sul)->owner;
}

struct drain_timer {
  owned_timer<hub_server> timer{};
};

struct idle_timer {
  owned_timer<hub_server> timer{};
};

struct slow_reply {
  owned_timer<slow_reply> timer;
  session* owner;
  std::string join_ref, ref, topic, payload;
  payload_format format;
};

struct session {
  uint64_t id = 0;
  lws* wsi = nullptr;
  hub_server* hub = nullptr;
  std::map<std::string, std::string> joined;     ///< topic -> current join_ref
  std::map<std::string, std::string> peer_state; ///< relay: topic -> join params
  std::deque<std::pair<bool, std::string>> outbound; ///< (binary, LWS_PRE + bytes)
  /// The frame written last, held until the next: on a compressed socket
  /// lws deflates a large frame across later POLLOUT events, reading it.
  std::string writing;
  std::string inbound;
  steady_clock::time_point last_seen = steady_clock::now();
  /// Its place in the hub's silence order, while the idle check watches it.
  std::optional<std::list<session*>::iterator> silence_place;
  std::list<std::unique_ptr<slow_reply>> slow;
  std::optional<std::pair<uint16_t, std::string>> closing;
  bool v1 = false; ///< vsn=1.0.0: JSON object frames
  std::optional<std::string> overlap_key; ///< its overlap_param value, when counted
};

namespace {

const lws_protocols protocols[] = {
  {"phoenix",
   [](lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
     return hub_server::on_event(wsi, static_cast<int>(reason), user, in, len);
   },
   sizeof(session*), 0, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

frame make_frame(std::optional<std::string> join_ref, std::optional<std::string> ref,
                 std::string topic, std::string event, std::string payload,
                 payload_format format = payload_format::json) {
  return frame{std::move(join_ref), std::move(ref), std::move(topic),
               std::move(event), std::move(payload), format, {}};
}

std::string query_arg(lws* wsi, const char* name) {
  char buf[256];
  if (auto* value = lws_get_urlarg_by_name(wsi, name, buf, sizeof(buf)))
    return value;
  return {};
}

/// Refuses an upgrade as Phoenix does: the status, no body (Phoenix sends
/// `content-length: 0`; lws_return_http_status would add an HTML page).
int refuse_upgrade(lws* wsi, unsigned status) {
  unsigned char buf[LWS_PRE + 256];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof(buf);
  if (lws_add_http_header_status(wsi, status, &p, end) == 0
      && lws_add_http_header_content_length(wsi, 0, &p, end) == 0
      && lws_finalize_http_header(wsi, &p, end) == 0)
    lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS);
  return -1;
}

void log_line(const char* fmt, uint64_t id, const char* what) {
  std::fprintf(stderr, fmt, static_cast<unsigned long long>(id), what);
}

} // namespace

std::string listen_text(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

hub_server::hub_server(hub_options opts)
  : opts_(std::move(opts)),
    codec_(protocol::decode_limits{opts_.max_frame_bytes,
                                   protocol::default_max_json_depth}),
    v1_codec_(protocol::decode_limits{opts_.max_frame_bytes,
                                      protocol::default_max_json_depth}) {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  std::string why;
  auto where = apps::parse_listen_address(listen_text(opts_.host, opts_.port), why);
  if (!where)
    throw std::runtime_error("tether-hub: cannot listen on " + opts_.host + ": " + why);
  std::string iface;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
  apps::bind_exactly(info, *where, iface); // port 0: an ephemeral port, read back below
  info.protocols = protocols;
  info.user = this;
  static const lws_extension deflate[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate"},
    {nullptr, nullptr, nullptr},
  };
  if (opts_.compress)
    info.extensions = deflate;
  if (!opts_.tls_cert.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = opts_.tls_cert.c_str();
    info.ssl_private_key_filepath = opts_.tls_key.c_str();
  }
  next_session_ = opts_.first_session_id;
  if (opts_.adopt_only)
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  ctx_ = lws_create_context(&info);
  auto* vhost = ctx_ ? lws_get_vhost_by_name(ctx_, "default") : nullptr;
  if (!vhost)
    throw std::runtime_error("tether-hub: cannot listen on " + opts_.host + ":"
                             + std::to_string(opts_.port));
  port_ = opts_.adopt_only ? 0 : lws_get_vhost_listen_port(vhost);
}

void hub_server::adopt(int fd) {
  bool wake;
  {
    std::lock_guard<std::mutex> guard{adopt_mtx_};
    wake = to_adopt_.empty();
    to_adopt_.push_back(fd);
  }
  if (wake)
    lws_cancel_service(ctx_);
}

hub_server::~hub_server() {
  if (drain_timer_)
    lws_sul_cancel(&drain_timer_->timer.sul);
  if (idle_timer_)
    lws_sul_cancel(&idle_timer_->timer.sul);
  if (ctx_)
    lws_context_destroy(ctx_);
}

void hub_server::run() {
  for (;;) {
    if (stopping_ && !draining_)
      begin_drain();
    if (draining_ && (sessions_.empty() || drain_expired_))
      break;
    if (lws_service(ctx_, 0) < 0)
      break;
  }
  if (!opts_.overlap_param.empty())
    std::fprintf(stderr, "overlap max %zu\noverlap stale frames %llu\n", overlap_.max(),
                 static_cast<unsigned long long>(overlap_.stale_frames()));
}

void hub_server::begin_drain() {
  draining_ = true;
  std::fprintf(stderr, "tether-hub draining %zu sessions\n", sessions_.size());
  for (auto* s : sessions_) {
    if (!s->slow.empty()) // what Phoenix's channels still hold dies with them
      log_line("session %llu %s\n", s->id, "drops the replies it still owes");
    for (auto& p : s->slow)
      lws_sul_cancel(&p->timer.sul);
    s->slow.clear();
    close_session(*s, close_service_restart, ""); // Phoenix gives no reason
  }
  drain_timer_ = std::make_unique<drain_timer>();
  drain_timer_->timer.owner = this;
  lws_sul_schedule(ctx_, 0, &drain_timer_->timer.sul,
                   [](lws_sorted_usec_list_t* sul) {
                     owner_of<hub_server>(sul)->drain_expired_ = true;
                   },
                   static_cast<lws_usec_t>(
                     duration_cast<microseconds>(opts_.drain_timeout).count()));
}

void hub_server::stop() noexcept {
  stopping_ = true;
  if (ctx_)
    lws_cancel_service(ctx_);
}

int hub_server::on_event(lws* wsi, int reason, void* user, void* in, size_t len) {
  auto* self = static_cast<hub_server*>(lws_context_user(lws_get_context(wsi)));
  if (self && reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> guard{self->adopt_mtx_};
      fds.swap(self->to_adopt_);
    }
    auto* vhost = lws_get_vhost_by_name(self->ctx_, "default");
    for (auto fd : fds)
      if (!lws_adopt_socket_vhost(vhost, fd)) {
        std::fprintf(stderr, "tether-hub: could not take over an accepted connection\n");
        ::close(fd);
      }
    return 0;
  }
  return self ? self->on_session_event(wsi, reason, user, in, len) : 0;
}

int hub_server::on_session_event(lws* wsi, int reason, void* user, void* in,
                                 size_t len) {
  auto** slot = static_cast<session**>(user);
  auto* s = slot ? *slot : nullptr;
  switch (reason) {
    case LWS_CALLBACK_HTTP: // a plain HTTP request: only the socket lives here
      lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr);
      return -1;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      char uri[256] = {0};
      lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
      if (std::strcmp(uri, "/socket/websocket") != 0) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, nullptr);
        return -1;
      }
      if (draining_) // shutting down: no new sockets
        return refuse_upgrade(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
      // The demo socket's connect hook: token=bad is refused (Phoenix: 403).
      if (query_arg(wsi, "token=") == "bad")
        return refuse_upgrade(wsi, HTTP_STATUS_FORBIDDEN);
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      auto fresh = new session;
      fresh->id = next_session_;
      next_session_ += opts_.session_id_step;
      fresh->wsi = wsi;
      fresh->hub = this;
      fresh->v1 = query_arg(wsi, "vsn=") == protocol::v1_vsn;
      *slot = fresh;
      sessions_.insert(fresh);
      log_line("session %llu %s\n", fresh->id, "connected");
      if (!opts_.overlap_param.empty()) {
        auto value = query_arg(wsi, (opts_.overlap_param + "=").c_str());
        auto before = overlap_.max();
        auto open = overlap_.opened(value, fresh->id);
        fresh->overlap_key = value;
        if (overlap_.max() > before)
          std::fprintf(stderr, "overlap max %s=%s %zu\n", opts_.overlap_param.c_str(),
                       value.c_str(), open);
      }
      heard_from(*fresh);
      return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
      if (!s)
        return -1;
      if (s->inbound.size() + len > opts_.max_frame_bytes) {
        close_session(*s, close_too_big, "message too big");
        return 0;
      }
      s->inbound.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string message;
        message.swap(s->inbound);
        heard_from(*s);
        on_message(*s, message, lws_frame_is_binary(wsi));
      }
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      if (!s)
        return -1;
      if (!s->outbound.empty()) {
        auto binary = s->outbound.front().first;
        s->writing = std::move(s->outbound.front().second);
        s->outbound.pop_front();
        auto& bytes = s->writing;
        auto n = bytes.size() - LWS_PRE;
        if (lws_write(wsi, reinterpret_cast<unsigned char*>(bytes.data()) + LWS_PRE, n,
                      binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT)
            < static_cast<int>(n))
          return -1;
        if (!s->outbound.empty() || s->closing)
          lws_callback_on_writable(wsi);
        return 0;
      }
      if (s->closing) {
        lws_close_reason(wsi, static_cast<lws_close_status>(s->closing->first),
                         reinterpret_cast<unsigned char*>(s->closing->second.data()),
                         s->closing->second.size());
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      if (s) {
        log_line("session %llu %s\n", s->id, "closed");
        end_session(*s);
        *slot = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

void hub_server::on_message(session& s, std::string_view bytes, bool binary) {
  if (s.overlap_key && overlap_.received(*s.overlap_key, s.id))
    std::fprintf(stderr, "overlap stale frame %s=%s session %llu\n",
                 opts_.overlap_param.c_str(), s.overlap_key->c_str(),
                 static_cast<unsigned long long>(s.id));
  auto f = binary && !s.v1 ? protocol::decode_binary(bytes, protocol::binary_origin::client)
           : s.v1           ? v1_codec_.decode(bytes, protocol::wire_kind::text)
                            : codec_.decode_text(bytes);
  if (!f) { // Phoenix's socket crashes on a frame it cannot decode
    close_session(s, close_server_error, std::string{protocol::to_string(f.error())});
    return;
  }
  on_frame(s, std::move(*f));
}

void hub_server::on_frame(session& s, frame f) {
  using protocol::client_route;
  switch (protocol::route_from_client(f)) {
    case client_route::heartbeat:
      on_heartbeat(s, f);
      break;
    case client_route::join:
      on_join(s, f);
      break;
    case client_route::leave:
      on_leave(s, f);
      break;
    case client_route::push:
      on_push(s, f);
      break;
    case client_route::unhandled:
      log_line("session %llu dropped an unhandled %s frame\n", s.id, f.event.c_str());
      break;
  }
}

void hub_server::on_heartbeat(session& s, const frame& f) {
  if (!opts_.answer_heartbeats)
    return;
  std::string response = "{}";
  if (opts_.relay)
    response = peer_connected(s) ? R"({"peer_connected":true})"
                                 : R"({"peer_connected":false})";
  reply(s, std::nullopt, f.ref, f.topic, "ok", response);
}

void hub_server::on_join(session& s, const frame& f) {
  auto join_ref = f.join_ref ? f.join_ref : f.ref;
  bool presence = is_presence_topic(f.topic);
  if (!is_demo_topic(f.topic) && !presence) {
    // No channel for the topic: Phoenix's socket answers itself, with a
    // null join_ref (there is no join to refer to).
    reply(s, std::nullopt, f.ref, f.topic, "error", R"({"reason":"unmatched topic"})");
    return;
  }
  std::optional<presence_join_params> tracked;
  if (presence && !(tracked = read_presence_join(f.payload))) {
    reply(s, join_ref, f.ref, f.topic, "error", R"({"reason":"user required"})");
    return;
  }
  auto decision = presence ? join_decision{} : decide_join(f.topic);
  if (!decision.ok) {
    reply(s, join_ref, f.ref, f.topic, "error", decision.response);
    return;
  }
  auto& members = rooms_[f.topic];
  if (opts_.relay && members.size() - members.count(&s) >= 2) {
    reply(s, join_ref, f.ref, f.topic, "error", R"({"reason":"room full"})");
    return;
  }
  std::optional<std::string> previous;
  if (auto i = s.joined.find(f.topic); i != s.joined.end())
    previous = i->second;
  s.joined[f.topic] = join_ref.value_or("");
  members.insert(&s);
  if (opts_.relay)
    s.peer_state[f.topic] = f.payload;
  reply(s, join_ref, f.ref, f.topic, "ok", decision.response);
  // A second join of a topic replaces the first, which is closed (Phoenix).
  if (previous && previous != join_ref)
    send(s, make_frame(previous, previous, f.topic, "phx_close", "{}"));
  if (tracked) { // the peer's after_join: track, push the state, then the diff
    if (previous)
      broadcast_presence(f.topic, presence_.untrack(f.topic, s.id));
    auto diff = presence_.track(f.topic, s.id, tracked->user, tracked->meta);
    send(s, make_frame(join_ref, std::nullopt, f.topic, "presence_state",
                       presence_.state(f.topic)));
    broadcast_presence(f.topic, diff);
  }
}

void hub_server::broadcast_presence(const std::string& topic, std::optional<std::string> diff) {
  if (!diff)
    return;
  if (auto room = rooms_.find(topic); room != rooms_.end())
    for (auto* member : room->second)
      send(*member, make_frame(std::nullopt, std::nullopt, topic, "presence_diff", *diff)); // a broadcast
}

void hub_server::on_leave(session& s, const frame& f) {
  auto i = s.joined.find(f.topic);
  if (i == s.joined.end()) {
    // Phoenix: leaving what is not joined succeeds, echoing the join_ref.
    reply(s, f.join_ref, f.ref, f.topic, "ok", "{}");
    return;
  }
  auto join_ref = i->second;
  if (f.join_ref && *f.join_ref != join_ref) {
    // A leave of an earlier join of this topic: Phoenix ignores it, and
    // the current join stays.
    log_line("session %llu ignored a leave with a stale join_ref on %s\n", s.id,
             f.topic.c_str());
    return;
  }
  reply(s, join_ref, f.ref, f.topic, "ok", "{}");
  send(s, make_frame(join_ref, join_ref, f.topic, "phx_close", "{}"));
  unjoin(s, f.topic);
}

void hub_server::on_push(session& s, const frame& f) {
  auto i = s.joined.find(f.topic);
  if (i == s.joined.end()) {
    reply(s, std::nullopt, f.ref, f.topic, "error", R"({"reason":"unmatched topic"})");
    return;
  }
  // Routed by topic: the reply carries the current join_ref, whatever the
  // push carried (Phoenix).
  auto join_ref = i->second;
  if (opts_.log_pushes)
    std::fprintf(stderr, "handled %s on %s %s\n", f.event.c_str(), f.topic.c_str(),
                 f.format == payload_format::json ? f.payload.c_str() : "(binary)");
  if (is_presence_topic(f.topic) && f.event != "echo") {
    // The peer's PresenceChannel has two clauses: update_meta and echo;
    // anything else raises.
    if (f.event == "update_meta" && !f.payload.empty() && f.payload.front() == '{') {
      reply(s, join_ref, f.ref, f.topic, "ok", "{}");
      broadcast_presence(f.topic, presence_.update(f.topic, s.id, f.payload));
    } else {
      send(s, make_frame(join_ref, join_ref, f.topic, "phx_error", "{}"));
      unjoin(s, f.topic);
    }
    return;
  }
  auto d = decide_push(f.event, f.payload);
  using act = push_decision::action;
  switch (d.what) {
    case act::reply:
      if (f.format == payload_format::binary && d.status == "ok") {
        auto r = make_frame(join_ref, f.ref, f.topic, "phx_reply", f.payload,
                            payload_format::binary);
        r.reply_status = "ok";
        send(s, r);
      } else {
        reply(s, join_ref, f.ref, f.topic, d.status, d.response);
      }
      break;
    case act::no_reply:
      break;
    case act::broadcast:
      for (auto* member : rooms_[f.topic])
        send(*member, make_frame(std::nullopt, std::nullopt, f.topic, "bcast",
                                 f.payload, f.format));
      break;
    case act::crash:
      send(s, make_frame(join_ref, join_ref, f.topic, "phx_error", "{}"));
      unjoin(s, f.topic);
      break;
    case act::slow: {
      auto pending = std::make_unique<slow_reply>();
      std::memset(&pending->timer.sul, 0, sizeof(pending->timer.sul));
      pending->timer.owner = pending.get();
      pending->owner = &s;
      pending->join_ref = join_ref;
      pending->ref = f.ref.value_or("");
      pending->topic = f.topic;
      pending->payload = d.response;
      pending->format = f.format;
      auto* raw = pending.get();
      s.slow.push_back(std::move(pending));
      lws_sul_schedule(ctx_, 0, &raw->timer.sul,
                       [](lws_sorted_usec_list_t* sul) {
                         auto* p = owner_of<slow_reply>(sul);
                         auto& owner = *p->owner;
                         owner.hub->reply(owner, p->join_ref, p->ref, p->topic, "ok",
                                          p->payload);
                         owner.slow.remove_if([p](auto& x) { return x.get() == p; });
                       },
                       static_cast<lws_usec_t>(d.delay_ms) * 1000);
      break;
    }
    case act::stop:
      reply(s, join_ref, f.ref, f.topic, "ok", "{}");
      send(s, make_frame(join_ref, join_ref, f.topic, "phx_close", "{}"));
      unjoin(s, f.topic);
      break;
  }
}

void hub_server::reply(session& s, std::optional<std::string> join_ref,
                       const std::optional<std::string>& ref,
                       const std::string& topic, std::string_view status,
                       std::string_view response) {
  auto bytes = codec_of(s).encode_reply(std::move(join_ref), ref.value_or(""), topic,
                                        status, response);
  if (!bytes)
    return;
  s.outbound.emplace_back(false, std::string(LWS_PRE, '\0') + *bytes);
  lws_callback_on_writable(s.wsi);
}

void hub_server::send(session& s, const frame& f) {
  auto bytes = f.format == payload_format::binary
                 ? protocol::encode_binary(f, protocol::binary_origin::server)
                 : codec_of(s).encode(f);
  if (!bytes)
    return;
  s.outbound.emplace_back(f.format == payload_format::binary,
                          std::string(LWS_PRE, '\0') + *bytes);
  lws_callback_on_writable(s.wsi);
}

protocol::codec& hub_server::codec_of(const session& s) {
  if (s.v1)
    return v1_codec_;
  return codec_;
}

void hub_server::unjoin(session& s, const std::string& topic) {
  s.joined.erase(topic);
  s.peer_state.erase(topic);
  if (auto i = rooms_.find(topic); i != rooms_.end()) {
    i->second.erase(&s);
    if (i->second.empty())
      rooms_.erase(i);
  }
  if (is_presence_topic(topic)) // its channel is gone: the others see it leave
    broadcast_presence(topic, presence_.untrack(topic, s.id));
}

bool hub_server::peer_connected(const session& s) const {
  for (auto& [topic, join_ref] : s.joined)
    if (auto i = rooms_.find(topic); i != rooms_.end() && i->second.size() > 1)
      return true;
  return false;
}

void hub_server::close_session(session& s, uint16_t code, std::string reason) {
  if (s.closing)
    return;
  s.closing.emplace(code, std::move(reason));
  lws_callback_on_writable(s.wsi);
}

// The idle check keeps the sessions in the order they were last heard
// from, and one timer for the first of them: a frame moves its session to
// the end in O(1). (A timer per session cost an O(n) insert into lws's
// sorted timer list for each: 45 % of the hub's time while 10,000 clients
// connected.)
void hub_server::heard_from(session& s) {
  s.last_seen = steady_clock::now();
  if (s.closing)
    return;
  if (s.silence_place)
    by_silence_.splice(by_silence_.end(), by_silence_, *s.silence_place);
  else
    s.silence_place = by_silence_.insert(by_silence_.end(), &s);
  arm_idle_check();
}

milliseconds hub_server::idle_limit() const {
  return opts_.relay ? duration_cast<milliseconds>(opts_.heartbeat_interval * 3 / 2)
                     : opts_.idle_timeout;
}

void hub_server::arm_idle_check() {
  if (idle_armed_ || by_silence_.empty())
    return;
  idle_armed_ = true;
  auto due = by_silence_.front()->last_seen + idle_limit();
  auto wait = std::max(duration_cast<microseconds>(due - steady_clock::now()), microseconds{1});
  if (!idle_timer_)
    idle_timer_ = std::make_unique<idle_timer>();
  idle_timer_->timer.owner = this;
  lws_sul_schedule(ctx_, 0, &idle_timer_->timer.sul,
                   [](lws_sorted_usec_list_t* sul) {
                     auto* hub = owner_of<hub_server>(sul);
                     hub->idle_armed_ = false;
                     hub->on_idle_check();
                   },
                   static_cast<lws_usec_t>(wait.count()));
}

void hub_server::on_idle_check() {
  auto limit = idle_limit();
  auto now = steady_clock::now();
  while (!by_silence_.empty() && now - by_silence_.front()->last_seen >= limit) {
    auto& s = *by_silence_.front();
    by_silence_.pop_front();
    s.silence_place.reset();
    if (s.closing)
      continue; // already on its way out
    log_line("session %llu %s\n", s.id, "silent too long: closing");
    // The rest of its rooms learn that this member is gone (seed 004).
    for (auto& [topic, join_ref] : s.joined)
      for (auto* other : rooms_[topic])
        if (other != &s)
          send(*other, make_frame(std::nullopt, std::nullopt, topic, "peer_disconnected",
                                  R"({"reason":"heartbeat timeout"})"));
    if (opts_.relay) { // the relay also forgets the dead peer's session state
      s.peer_state.clear();
      close_session(s, close_heartbeat_timeout, "heartbeat timeout");
    } else { // Phoenix closes an idle socket with 1000
      close_session(s, close_normal, "idle timeout");
    }
  }
  arm_idle_check();
}

void hub_server::end_session(session& s) {
  sessions_.erase(&s);
  if (s.overlap_key)
    overlap_.closed(*s.overlap_key);
  if (s.silence_place)
    by_silence_.erase(*s.silence_place);
  for (auto& p : s.slow)
    lws_sul_cancel(&p->timer.sul);
  auto topics = s.joined;
  for (auto& [topic, join_ref] : topics) {
    unjoin(s, topic);
    auto room = rooms_.find(topic);
    if (opts_.relay && !s.closing && room != rooms_.end())
      for (auto* other : room->second)
        send(*other, make_frame(std::nullopt, std::nullopt, topic, "peer_disconnected",
                                R"({"reason":"closed"})"));
  }
  delete &s;
}

} // namespace tether::hub
