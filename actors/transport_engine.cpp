#include "actors/transport_engine.hpp"

#include <netdb.h>
#include <pthread.h>
#include <ev.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <optional>

#include <caf/send.hpp>
#include <libwebsockets.h>

#include "protocol/url.hpp"

namespace tether::detail {

namespace {

constexpr uint16_t close_abnormal = 1006;
constexpr uint16_t close_too_big = 1009;
constexpr const char* protocol_name = "tether-client";
constexpr char oversized_reason[] = "message too big";
constexpr uint16_t close_policy = 1008;
constexpr char stalled_reason[] = "frame stalled";
constexpr lws_usec_t frame_watch_us = 1000 * 1000;
constexpr double timer_kick_s = 0.05;
// Frames written in one writeable callback at most, so that one busy socket
// does not hold the service thread from the others.
constexpr int max_frames_per_writeable = 32;
// lws gives every socket a receive buffer of this size (4 KiB by default).
// Phoenix frames are mostly far smaller; a larger one arrives in pieces and
// is assembled in socket_record::inbound, so this bounds memory, not frames.
constexpr size_t receive_chunk_bytes = 1024;

} // namespace

struct socket_record;

/// An lws timer of a socket. lws hands its callback only the list node, and
/// finding the record from it with offsetof needs a standard-layout type,
/// which socket_record (strings, actors) is not: this small one is.
struct socket_timer {
  lws_sorted_usec_list_t sul{};
  socket_record* record = nullptr;

  static socket_record* record_of(lws_sorted_usec_list_t* sul) {
    return lws_container_of(sul, socket_timer, sul)->record;
  }
};

/// One socket. Fields marked (lws) are touched only by the service thread;
/// the others are guarded by the engine's mutex.
struct socket_record {
  socket_record() = default;
  socket_record(const socket_record&) = delete; // its timers point back at it
  socket_record& operator=(const socket_record&) = delete;

  socket_id id;
  socket_options opts;
  socket_owner_actor owner;
  protocol::ws_url url;                        // (lws) kept alive for lws
  std::optional<protocol::proxy_endpoint> via; // (lws) the proxy it goes through
  bool tunnelled = false;                      // (lws) the proxy opened the tunnel
  bool compressed = false;                     // (lws) permessage-deflate accepted
  transport_engine* engine = nullptr;          // (lws)
  lws* wsi = nullptr;                          // (lws)
  bool opened = false;                         // (lws)
  bool dialing = false;                        // (lws) counted in the handshakes
  bool ended = false;                          // (lws) final event sent
  bool timed_out = false;                      // (lws)
  bool oversized = false;                      // (lws) closing with 1009
  std::string inbound;                         // (lws) message being assembled
  uint16_t peer_code = close_abnormal;         // (lws)
  std::string peer_reason;                     // (lws)
  socket_timer connect_timer{{}, this};        // (lws)
  lws_usec_t frame_stalled_since = 0;          // (lws) 0: no frame in progress
  size_t frame_remaining = 0;                  // (lws) at the last watch
  bool stalled = false;                        // (lws) closing with 1008
  bool lapsed_seen = false;                    // (lws) closing for the lease, with 1008
  protocol::check_place wheel_place;           // (lws) in the engine's frame_checks_
  std::string writing;                         // (lws) the frame lws may still read
  // guarded by the mutex:
  std::list<std::pair<protocol::wire_kind, std::string>> outbound;
  std::optional<std::pair<uint16_t, std::string>> close_request;
  /// Frames may be written only before this (the profile's lease).
  std::chrono::steady_clock::time_point send_until = std::chrono::steady_clock::time_point::max();
  bool lapsed = false; ///< its lease passed: closed by us, nothing more written
};

namespace {

socket_record* record_of(lws* wsi) {
  return wsi ? static_cast<socket_record*>(lws_get_opaque_user_data(wsi))
             : nullptr;
}

// permessage-deflate (RFC 7692), offered on every socket that asks for it
// (socket_options::compress); the server decides. No client_max_window_bits
// in the offer: Phoenix (cowboy) and lws both accept the plain offer.
const lws_extension extensions[] = {
  {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate"},
  {nullptr, nullptr, nullptr},
};

const lws_protocols protocols[] = {
  {protocol_name,
   [](lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
     return transport_engine::on_event(wsi, static_cast<int>(reason), user, in,
                                       len);
   },
   0, receive_chunk_bytes, 0, nullptr, 0},
  {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

/// Why `host` does not resolve, or nothing when it does.
std::optional<std::string> resolve_error(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found)
    ::freeaddrinfo(found);
  if (rc == 0)
    return std::nullopt;
  return std::string{::gai_strerror(rc)};
}

transport_errc classify_failure(const socket_record& rec, int status,
                                const char* detail) {
  if (rec.timed_out)
    return transport_errc::connect_timeout;
  if (status == 401 || status == 403)
    return transport_errc::auth_refused;
  if (status == 429 || status == 503)
    return transport_errc::rate_limited;
  if (rec.url.tls && detail
      && (strstr(detail, "SSL") || strstr(detail, "ssl") || strstr(detail, "cert")
          || strstr(detail, "tls") || strstr(detail, "TLS")))
    return transport_errc::tls_failed;
  // Through a proxy, a failure before the upgrade was written is the
  // proxy's: unreachable, or its answer to CONNECT was not 200 (lws 4.1
  // keeps that status to itself).
  if (rec.via && !rec.tunnelled && status == 0)
    return transport_errc::proxy_failed;
  return transport_errc::connect_failed;
}

} // namespace

transport_engine::transport_engine(transport_config cfg)
  : cfg_(std::move(cfg)), proxies_(resolve_proxy(cfg_)) {
  lws_set_log_level(LLL_ERR, nullptr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  info.user = this;
  // lws's own loop polls every socket on each wake-up: at 10,000 sockets
  // that was 1.4 % of a core while idle, and it grows with the count. Run it
  // on a libev loop over epoll instead, where a wake-up costs what is ready.
  loop_ = ev_loop_new(EVBACKEND_EPOLL);
  if (loop_ != nullptr) {
    info.options |= LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = reinterpret_cast<void**>(&loop_);
  }
  // Our own timer ends a connect at the socket's connect_timeout; lws's
  // timers of the same steps must not fire first.
  auto lws_limit = static_cast<unsigned>(max_connect_timeout.count()) + 5;
  info.timeout_secs = lws_limit;
  info.connect_timeout_secs = lws_limit;
  ctx_ = lws_create_context(&info);
  if (ctx_ == nullptr && loop_ != nullptr) {
    // lws's libev glue is a plugin of its own package
    // (libwebsockets-evlib-ev): without it, lws's own poll loop.
    ev_loop_destroy(loop_);
    loop_ = nullptr;
    info.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_LIBEV);
    info.foreign_loops = nullptr;
    ctx_ = lws_create_context(&info);
    lwsl_err("tether transport: no libev plugin for libwebsockets, "
              "using its poll loop (slower with many sockets)\n");
  }
  if (ctx_ == nullptr)
    throw std::runtime_error("libwebsockets: cannot create the client context");
  // ":0" is "no proxy": without an address of its own, lws would read
  // http_proxy itself and send every socket, ws:// and wss:// alike, through
  // it, with no regard for no_proxy.
  direct_ = make_vhost("direct", ":0");
  for (auto* chosen : {&proxies_.for_ws, &proxies_.for_wss}) {
    if (!*chosen || vhost_for(*chosen) != direct_)
      continue;
    auto& p = **chosen;
    auto spec = (p.credentials.empty() ? "" : p.credentials + "@") + p.shown();
    proxied_.emplace_back(p, make_vhost(proxied_.empty() ? "proxy-1" : "proxy-2", spec));
  }
  thread_ = std::thread{[this] { run(); }};
}

lws_vhost* transport_engine::make_vhost(const char* name, const std::string& proxy_spec) {
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.vhost_name = name;
  info.user = this;
  info.extensions = extensions;
  info.http_proxy_address = proxy_spec.c_str(); // lws copies it
  if (!cfg_.ca_file.empty())
    info.client_ssl_ca_filepath = cfg_.ca_file.c_str();
  auto* vh = lws_create_vhost(ctx_, &info);
  if (vh == nullptr) {
    lws_context_destroy(ctx_);
    throw std::runtime_error(std::string{"libwebsockets: cannot create the "} + name
                             + " client vhost");
  }
  return vh;
}

lws_vhost* transport_engine::vhost_for(const std::optional<protocol::proxy_endpoint>& via) const {
  if (via)
    for (auto& [proxy, vh] : proxied_)
      if (proxy == *via)
        return vh;
  return direct_;
}

transport_engine::~transport_engine() {
  stopping_ = true;
  lws_cancel_service(ctx_);
  if (thread_.joinable())
    thread_.join();
  lws_context_destroy(ctx_); // closes what is left; owners hear of it
  if (loop_ != nullptr)
    ev_loop_destroy(loop_);
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [id, rec] : sockets_)
    if (!rec->ended)
      caf::anon_send(rec->owner,
                     socket_failed{id, transport_errc::stopped, 0, -1, "transport stopped"});
  sockets_.clear();
}

void transport_engine::run() {
  // Named so that a profiler, top -H or the benchmarks can tell its CPU apart.
  pthread_setname_np(pthread_self(), "tether.lws");
  if (loop_ != nullptr) {
    ev_timer kick;
    ev_timer_init(&kick,
                  [](struct ev_loop*, ev_timer* w, int) {
                    auto* engine = static_cast<transport_engine*>(w->data);
                    lws_cancel_service(engine->ctx_);
                    engine->pace_kick();
                  },
                  timer_kick_s, timer_kick_s);
    kick.data = this;
    kick_ = &kick;
    ev_run(loop_, 0); // until the stop's wake-up breaks it
    ev_timer_stop(loop_, &kick);
    kick_ = nullptr;
    return;
  }
  while (!stopping_)
    lws_service(ctx_, 0);
}

socket_id transport_engine::open(socket_options opts, socket_owner_actor owner) {
  auto id = next_id_++;
  auto url = protocol::parse_ws_url(opts.url);
  if (!url) {
    caf::anon_send(owner, socket_failed{id, transport_errc::bad_url, 0, -1,
                                        std::string{protocol::to_string(url.error())}});
    return id;
  }
  auto rec = std::make_unique<socket_record>();
  rec->id = id;
  rec->opts = std::move(opts);
  rec->owner = std::move(owner);
  rec->url = std::move(*url);
  rec->engine = this;
  bool wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    sockets_.emplace(id, std::move(rec));
    wake = queue_command(to_connect_, id);
  }
  if (wake)
    lws_cancel_service(ctx_);
  return id;
}

caf::error transport_engine::send(socket_id id, protocol::wire_kind kind,
                                  std::string bytes) {
  bool wake;
  caf::error refused;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = sockets_.find(id);
    if (i == sockets_.end() || i->second->close_request)
      return make_error(transport_errc::unknown_socket);
    auto& rec = *i->second;
    if (std::chrono::steady_clock::now() >= rec.send_until) {
      rec.outbound.clear();
      rec.lapsed = true;
      rec.close_request.emplace(close_policy, std::string{lease_expired_reason});
      refused = make_error(transport_errc::lease_expired);
    } else if (rec.outbound.size() >= rec.opts.max_outbound_frames) {
      return make_error(transport_errc::queue_full);
    } else {
      bytes.insert(0, LWS_PRE, '\0'); // lws writes its header in front
      rec.outbound.emplace_back(kind, std::move(bytes));
    }
    wake = queue_command(to_wake_, id);
  }
  if (wake)
    lws_cancel_service(ctx_);
  return refused;
}

void transport_engine::close(socket_id id, uint16_t code, std::string reason) {
  bool wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = sockets_.find(id);
    if (i == sockets_.end() || i->second->close_request)
      return;
    i->second->close_request.emplace(code, std::move(reason));
    wake = queue_command(to_wake_, id);
  }
  if (wake)
    lws_cancel_service(ctx_);
}

void transport_engine::send_until(socket_id id, std::chrono::steady_clock::time_point until) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = sockets_.find(id); i != sockets_.end())
    i->second->send_until = until;
}

size_t transport_engine::socket_count() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sockets_.size();
}

bool transport_engine::holds(socket_id id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sockets_.count(id) > 0;
}

void transport_engine::drain_commands() {
  std::vector<socket_id> connects, wakes;
  std::vector<socket_record*> records_to_connect, records_to_wake;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    connects.swap(to_connect_);
    wakes.swap(to_wake_);
    for (auto id : connects)
      if (auto i = sockets_.find(id); i != sockets_.end())
        records_to_connect.push_back(i->second.get());
    for (auto id : wakes)
      if (auto i = sockets_.find(id); i != sockets_.end())
        records_to_wake.push_back(i->second.get());
  }
  // Records are erased only on this thread, so the pointers stay valid.
  for (auto* rec : records_to_connect) {
    if (may_dial())
      connect(*rec);
    else
      waiting_to_dial_.push_back(rec->id);
  }
  pace_kick(); // handshakes under way or waiting: wake lws every 50 ms
  for (auto* rec : records_to_wake) {
    if (rec->wsi && rec->opened) {
      lws_callback_on_writable(rec->wsi);
      continue;
    }
    bool closing;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      closing = rec->close_request.has_value();
    }
    if (!closing)
      continue;
    if (rec->wsi) // still connecting: abandon the attempt
      lws_set_timeout(rec->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    else if (!rec->dialing && !rec->ended)
      connect(*rec); // waiting for its turn to dial: ends now, undialed (its
                     // id left in the queue is skipped)
  }
}

/// lws 4.1's libev glue re-arms its timer watcher with ev_timer_start, which
/// does nothing while the watcher runs: a timer scheduled sooner than the
/// one pending (a connect timeout under lws's 35 s ones, the frame sweep)
/// waits for that one, or for the next socket event. Our own libev timer
/// wakes lws to serve its due timers: every 50 ms while a handshake is in
/// progress or waits, so that connect timeouts and abandoned attempts end on
/// time; every second while sockets are open, which bounds how late the
/// frame sweep and lws's own timers (a close waiting for its answer) run;
/// not at all with no socket. 20 wake-ups a second for an idle process were
/// a quarter of the transport thread's idle CPU at 10,000 sockets.
void transport_engine::pace_kick() {
  if (kick_ == nullptr)
    return;
  double period = handshaking() ? timer_kick_s : frame_checks_.empty() ? 0.0 : 1.0;
  if (period == 0.0) {
    ev_timer_stop(loop_, kick_);
    return;
  }
  if (ev_is_active(kick_) && kick_->repeat == period)
    return;
  kick_->repeat = period;
  ev_timer_again(loop_, kick_);
}

void transport_engine::handshake_over(socket_record& rec) {
  if (!rec.dialing)
    return;
  rec.dialing = false;
  --handshakes_;
  // Dialed from the service loop, not from here: this runs inside lws's
  // callbacks, some of them inside lws_client_connect_via_info itself.
  if (!waiting_to_dial_.empty() && !dial_armed_) {
    dial_armed_ = true;
    lws_sul_schedule(ctx_, 0, &dial_next_.sul,
                     [](lws_sorted_usec_list_t* sul) {
                       auto* engine = lws_container_of(sul, engine_timer, sul)->engine;
                       engine->dial_armed_ = false;
                       engine->dial_waiting();
                     },
                     1);
  }
}

void transport_engine::dial_waiting() {
  while (may_dial() && !waiting_to_dial_.empty()) {
    auto id = waiting_to_dial_.front();
    waiting_to_dial_.pop_front();
    socket_record* next = nullptr;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (auto i = sockets_.find(id); i != sockets_.end())
        next = i->second.get();
    }
    if (next != nullptr) // gone meanwhile: closed before its turn
      connect(*next);
  }
}

void transport_engine::connect(socket_record& rec) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (rec.close_request) { // closed before it was ever attempted
      rec.ended = true;
      caf::anon_send(rec.owner, socket_closed{rec.id, rec.close_request->first,
                                              rec.close_request->second});
      sockets_.erase(rec.id);
      return;
    }
  }
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof(ci));
  ci.context = ctx_;
  rec.via = protocol::proxy_for(proxies_, rec.url);
  ci.vhost = vhost_for(rec.via);
  ci.address = rec.url.host.c_str();
  ci.port = rec.url.port;
  ci.path = rec.url.path.c_str();
  ci.host = rec.url.host.c_str();
  ci.origin = rec.url.host.c_str();
  ci.protocol = nullptr; // Phoenix servers negotiate no subprotocol
  ci.local_protocol_name = protocol_name;
  ci.opaque_user_data = &rec;
  ci.pwsi = &rec.wsi;
  if (rec.url.tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (!rec.opts.verify_peer)
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED
                           | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK
                           | LCCSCF_ALLOW_EXPIRED;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
              std::min<caf::timespan>(rec.opts.connect_timeout, max_connect_timeout))
              .count();
  auto id = rec.id;
  rec.dialing = true;
  ++handshakes_;
  pace_kick();
  if (!lws_client_connect_via_info(&ci)) {
    // lws may already have reported and destroyed the wsi (and so erased the
    // record) inside the call: look the record up again, by id.
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = sockets_.find(id);
    if (i == sockets_.end())
      return;
    // lws 4.1 gives up inside the call, without a reason, when the host
    // does not resolve: ask the resolver why (this is the thread lws's own
    // blocking lookup ran on a moment ago).
    // Through a proxy, lws looked up the proxy's name, not the server's.
    if (!i->second->ended) {
      auto& r = *i->second;
      auto& host = r.via ? r.via->host : r.url.host;
      auto dns = resolve_error(host);
      caf::anon_send(r.owner,
                     !dns   ? socket_failed{id, transport_errc::connect_failed, 0, -1,
                                          "connect refused by lws"}
                     : r.via ? socket_failed{id, transport_errc::proxy_failed, 0, -1,
                                             "cannot resolve the proxy " + host + ": " + *dns}
                             : socket_failed{id, transport_errc::dns_failed, 0, -1,
                                             "cannot resolve " + host + ": " + *dns});
    }
    handshake_over(*i->second);
    sockets_.erase(i);
    return;
  }
  lws_sul_schedule(ctx_, 0, &rec.connect_timer.sul,
                   [](lws_sorted_usec_list_t* sul) {
                     auto* r = socket_timer::record_of(sul);
                     if (r->opened || !r->wsi)
                       return;
                     r->timed_out = true;
                     lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK,
                                     LWS_TO_KILL_ASYNC);
                   },
                   us);
}

/// lws tells us nothing of a frame until its payload fills the receive
/// buffer or ends, so a header that announces 2^63 bytes, or a frame that
/// trickles in forever, would hold the socket until the heartbeat gives up.
/// One sweep a second reads the frame in progress of the sockets due in the
/// check wheel (protocol/frame_watch.hpp): every second while a frame is in
/// progress, every idle_check_period otherwise. One lws timer for all
/// sockets, not one each: lws keeps its timers in a sorted list (an insert
/// walks it) and wakes its poll for each, so a timer per socket cost 45 % of
/// a core at 1,000 idle sockets; and reading every socket every second was a
/// third of the thread's idle CPU at 10,000.
void transport_engine::watch_frames(socket_record& rec, unsigned in_seconds) {
  frame_checks_.schedule(&rec, in_seconds);
  if (!sweep_armed_)
    arm_frame_sweep();
  pace_kick();
}

void transport_engine::arm_frame_sweep() {
  sweep_armed_ = true;
  lws_sul_schedule(ctx_, 0, &frame_sweep_.sul,
                   [](lws_sorted_usec_list_t* sul) {
                     auto* engine = lws_container_of(sul, engine_timer, sul)->engine;
                     engine->sweep_armed_ = false;
                     engine->sweep_frames();
                     if (!engine->frame_checks_.empty())
                       engine->arm_frame_sweep();
                   },
                   frame_watch_us);
}

void transport_engine::sweep_frames() {
  auto now = lws_now_usecs();
  for (auto* r : frame_checks_.take_due()) {
    if (!r->wsi || r->ended || r->oversized || r->stalled || !check_frame(*r, now))
      continue; // no longer watched
    frame_checks_.schedule(r, r->frame_stalled_since != 0
                                ? 1u
                                : protocol::idle_check_period(r->opts.frame_timeout));
  }
}

bool transport_engine::check_frame(socket_record& rec, lws_usec_t now) {
  auto remaining = lws_remaining_packet_payload(rec.wsi);
  if (rec.inbound.size() + remaining > rec.opts.max_inbound_bytes) {
    rec.oversized = true;
    std::string{}.swap(rec.inbound);
    rec.peer_code = close_too_big;
    rec.peer_reason = oversized_reason;
    lws_callback_on_writable(rec.wsi);
    return false;
  }
  if (remaining == 0) {
    rec.frame_stalled_since = 0;
  } else if (rec.frame_stalled_since == 0 || remaining != rec.frame_remaining) {
    rec.frame_stalled_since = now; // began, or moved on
  } else if (now - rec.frame_stalled_since
             >= std::chrono::duration_cast<std::chrono::microseconds>(rec.opts.frame_timeout)
                  .count()) {
    rec.stalled = true;
    rec.peer_code = close_policy;
    rec.peer_reason = stalled_reason;
    lws_callback_on_writable(rec.wsi);
    return false;
  }
  rec.frame_remaining = remaining;
  return true;
}

void transport_engine::finish(socket_record& rec) {
  handshake_over(rec);
  lws_sul_cancel(&rec.connect_timer.sul);
  frame_checks_.remove(&rec);
  std::lock_guard<std::mutex> guard{mtx_};
  sockets_.erase(rec.id);
}

int transport_engine::on_event(lws* wsi, int reason, void*, void* in, size_t len) {
  auto* ctx = lws_get_context(wsi);
  auto* self = ctx ? static_cast<transport_engine*>(lws_context_user(ctx)) : nullptr;
  if (!self)
    return 0;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    // lws tells every vhost; the commands are drained once.
    if (lws_get_vhost(wsi) == self->direct_) {
      self->drain_commands();
      if (self->stopping_ && self->loop_)
        ev_break(self->loop_, EVBREAK_ALL);
    }
    return 0;
  }
  auto* rec = record_of(wsi);
  if (!rec)
    return 0;
  return self->on_socket_event(*rec, wsi, reason, in, len);
}

int transport_engine::on_socket_event(socket_record& rec, lws* wsi, int reason,
                                      void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      // The upgrade request is being written: any proxy said yes before.
      rec.tunnelled = true;
      return 0;
    case LWS_CALLBACK_CLIENT_CONFIRM_EXTENSION_SUPPORTED:
      return rec.opts.compress ? 0 : 1; // non-zero: lws leaves it out of the offer
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
      // The server's answer is in, its headers still readable (gone by
      // ESTABLISHED): Sec-WebSocket-Extensions says what it accepted.
      char accepted[128] = {0};
      rec.compressed = lws_hdr_copy(wsi, accepted, sizeof(accepted), WSI_TOKEN_EXTENSIONS) > 0
                       && std::strstr(accepted, "permessage-deflate") != nullptr;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      rec.opened = true;
      lws_sul_cancel(&rec.connect_timer.sul);
      handshake_over(rec);
      watch_frames(rec, 1);
      caf::anon_send(rec.owner, socket_opened{rec.id, rec.compressed});
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (rec.oversized)
        return 0; // the rest of a message we refused
      // What the frame header announces counts, not only what has come:
      // a header claiming 2^63 bytes is refused at its first bytes instead
      // of holding the socket until the heartbeat gives up.
      auto announced = rec.inbound.size() + len + lws_remaining_packet_payload(wsi);
      if (announced > rec.opts.max_inbound_bytes) {
        // Returning -1 here, in the middle of a frame, corrupts lws 4.1's
        // parser (a double free once the frame is larger than one receive
        // chunk). Drop the rest and close from the writeable callback.
        rec.oversized = true;
        std::string{}.swap(rec.inbound);
        rec.peer_code = close_too_big;
        rec.peer_reason = oversized_reason;
        lws_callback_on_writable(wsi);
        return 0;
      }
      rec.inbound.append(static_cast<const char*>(in), len);
      bool complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
      // A frame in progress is read every second from now on, not only
      // at the socket's next idle check.
      if (!complete && frame_checks_.due_in(&rec) != 1)
        watch_frames(rec, 1);
      if (complete) {
        auto kind = lws_frame_is_binary(wsi) ? protocol::wire_kind::binary
                                             : protocol::wire_kind::text;
        std::string message;
        message.swap(rec.inbound);
        caf::anon_send(rec.owner, socket_received{rec.id, kind, std::move(message),
                                                  caf::actor_clock::clock_type::now()});
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (rec.oversized) {
        lws_close_reason(wsi, static_cast<lws_close_status>(close_too_big),
                         (unsigned char*) oversized_reason, sizeof(oversized_reason) - 1);
        return -1;
      }
      if (rec.stalled) {
        lws_close_reason(wsi, static_cast<lws_close_status>(close_policy),
                         (unsigned char*) stalled_reason, sizeof(stalled_reason) - 1);
        return -1;
      }
      // Several frames per callback while the socket takes them: one
      // callback per frame cost an epoll round trip and two epoll_ctl calls
      // each, and the service thread was the ceiling of pipelined pushes.
      // One frame at a time on a compressed socket: lws 4.1 takes an
      // lws_write made while a deflated frame still drains as that frame's
      // continuation, and lws_send_pipe_choked does not look at that state
      // (a precaution read from lws's source; no test of ours has shown it).
      int budget = rec.compressed ? 1 : max_frames_per_writeable;
      for (;;) {
        std::optional<std::pair<protocol::wire_kind, std::string>> next;
        std::optional<std::pair<uint16_t, std::string>> closing;
        bool more = false;
        {
          std::lock_guard<std::mutex> guard{mtx_};
          if (!rec.outbound.empty() && std::chrono::steady_clock::now() >= rec.send_until) {
            // Past the lease (the process may have been paused since these
            // were queued): none of them leaves, and the socket goes.
            rec.outbound.clear();
            rec.lapsed = true;
            if (!rec.close_request)
              rec.close_request.emplace(close_policy, std::string{lease_expired_reason});
          }
          rec.lapsed_seen = rec.lapsed;
          if (!rec.outbound.empty()) {
            next = std::move(rec.outbound.front());
            rec.outbound.pop_front();
          } else if (rec.close_request) {
            closing = rec.close_request;
          }
          more = !rec.outbound.empty() || rec.close_request.has_value();
        }
        if (closing) {
          rec.peer_code = closing->first;
          rec.peer_reason = closing->second;
          lws_close_reason(wsi, static_cast<lws_close_status>(closing->first),
                           (unsigned char*) closing->second.data(),
                           closing->second.size());
          return -1;
        }
        if (next) {
          // Held by the record until the next frame: on a compressed socket
          // lws deflates a large frame across several later POLLOUT events,
          // reading from this buffer each time (a frame freed on return
          // crashed zlib on the next one).
          rec.writing = std::move(next->second);
          auto& bytes = rec.writing;
          auto payload = bytes.size() - LWS_PRE;
          auto mode = next->first == protocol::wire_kind::binary ? LWS_WRITE_BINARY
                                                                 : LWS_WRITE_TEXT;
          auto written = lws_write(wsi, reinterpret_cast<unsigned char*>(bytes.data()) + LWS_PRE,
                                   payload, mode);
          if (written < static_cast<int>(payload))
            return -1;
        }
        if (!more)
          return 0;
        // The next one now only if the kernel takes it without waiting and
        // lws holds no unsent part of this one; else on the next callback.
        if (--budget == 0 || lws_send_pipe_choked(wsi)) {
          lws_callback_on_writable(wsi);
          return 0;
        }
      }
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      auto* bytes = static_cast<const unsigned char*>(in);
      if (len >= 2) {
        rec.peer_code = static_cast<uint16_t>((bytes[0] << 8) | bytes[1]);
        rec.peer_reason.assign(reinterpret_cast<const char*>(bytes) + 2, len - 2);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      if (!rec.ended) {
        rec.ended = true;
        auto status = static_cast<int>(lws_http_client_http_response(wsi));
        int retry_after = -1;
        char header[32];
        if (lws_hdr_copy(wsi, header, sizeof(header), WSI_TOKEN_HTTP_RETRY_AFTER) > 0)
          retry_after = std::atoi(header);
        auto* text = static_cast<const char*>(in); // NUL-terminated, or null
        std::string detail = rec.timed_out ? "connect timeout"
                             : text        ? text
                                           : "connect failed";
        if (rec.via && !rec.tunnelled)
          detail = "through the proxy " + rec.via->shown() + ": " + detail;
        caf::anon_send(rec.owner,
                       socket_failed{rec.id, classify_failure(rec, status, text),
                                     status, retry_after, std::move(detail)});
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (!rec.ended) {
        rec.ended = true;
        caf::anon_send(rec.owner, socket_closed{rec.id, rec.peer_code, rec.peer_reason,
                                                rec.oversized || rec.stalled || rec.lapsed_seen});
      }
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      if (!rec.ended) {
        rec.ended = true;
        if (rec.opened)
          caf::anon_send(rec.owner,
                         socket_closed{rec.id, rec.peer_code, rec.peer_reason,
                                       rec.oversized || rec.stalled || rec.lapsed_seen});
        else
          caf::anon_send(rec.owner,
                         socket_failed{rec.id, classify_failure(rec, 0, nullptr), 0,
                                       -1, rec.timed_out ? "connect timeout"
                                                         : "closed before open"});
      }
      lws_set_opaque_user_data(wsi, nullptr);
      finish(rec);
      return 0;
    default:
      return 0;
  }
}

} // namespace tether::detail
