#pragma once
// tether-hub: a Phoenix-channels-compatible server on libwebsockets. One
// thread runs everything (lws service loop, sessions, rooms, timers); only
// stop() may be called from elsewhere.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <vector>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "apps/hub/overlap_tracker.hpp"
#include "apps/hub/presence_channel.hpp"
#include "protocol/phoenix_json.hpp"
#include "protocol/phoenix_v1.hpp"

struct lws;
struct lws_context;
struct lws_vhost;

namespace tether::hub {

struct hub_options {
  std::string host = "127.0.0.1";
  int port = 4000; ///< 0 picks a free port
  /// A client silent this long is closed (Phoenix: 60 s, close code 1000).
  std::chrono::milliseconds idle_timeout{60000};
  /// Relay mode (seed 004): rooms pair two peers; a client is dead after
  /// 1.5 x heartbeat_interval of silence (close 4000), its peer is told and
  /// its per-session state cleared; heartbeat replies say whether the peer
  /// is connected.
  bool relay = false;
  std::chrono::milliseconds heartbeat_interval{30000};
  /// Off: heartbeats are swallowed without reply (tests of client liveness).
  bool answer_heartbeats = true;
  size_t max_frame_bytes = protocol::default_max_frame_bytes;
  /// Log every handled push ("handled EVENT on TOPIC PAYLOAD") to stderr,
  /// as Phoenix does at debug level: tests match outcomes against it.
  bool log_pushes = false;
  /// A graceful stop (SIGTERM) waits this long for clients to take their
  /// close (1012) before the hub exits anyway.
  std::chrono::milliseconds drain_timeout{5000};
  /// Non-empty: count open sockets per value of this connect param and log
  /// each new maximum ("overlap max account=alice 2") and the final one at
  /// exit ("overlap max 1"): the cluster tests' check that no account ever
  /// had two live sockets.
  std::string overlap_param;
  /// Accept permessage-deflate from clients that offer it (Phoenix:
  /// `websocket: [compress: true]`; off by default there too).
  bool compress = false;
  /// Both set: serve wss:// with this certificate chain and key (PEM).
  std::string tls_cert;
  std::string tls_key;
  /// Listen on nothing: serve only the connections handed to adopt() (the
  /// service threads of tether-hub --threads, a benchmark mode).
  bool adopt_only = false;
  /// Session ids: first, first + step, ... (distinct across --threads).
  uint64_t first_session_id = 1;
  uint64_t session_id_step = 1;
};

struct session;
struct drain_timer;
struct idle_timer;

/// "HOST:PORT" for --host HOST, an IPv6 address in brackets.
std::string listen_text(const std::string& host, int port);

class hub_server {
public:
  explicit hub_server(hub_options opts);
  ~hub_server();

  /// The port actually listened on.
  int port() const noexcept {
    return port_;
  }

  /// Serves until stop() and the drain that follows are done.
  void run();

  /// A graceful stop, as Phoenix's on SIGTERM: no new sockets; every open
  /// one is closed with 1012 (service restart) after what was already
  /// answered, and the replies channels still owe are dropped.
  /// Thread-safe and async-signal-safe.
  void stop() noexcept;

  static int on_event(lws* wsi, int reason, void* user, void* in, size_t len);

  /// Serves a connection accepted elsewhere (thread-safe; the hub owns fd).
  void adopt(int fd);

private:
  friend struct session;
  int on_session_event(lws* wsi, int reason, void* user, void* in, size_t len);
  void on_message(session& s, std::string_view bytes, bool binary);
  void on_frame(session& s, protocol::frame f);
  void on_join(session& s, const protocol::frame& f);
  void on_leave(session& s, const protocol::frame& f);
  void on_push(session& s, const protocol::frame& f);
  void on_heartbeat(session& s, const protocol::frame& f);
  /// Sends a presence_diff to every member of `topic` (none: nothing).
  void broadcast_presence(const std::string& topic, std::optional<std::string> diff);
  void send(session& s, const protocol::frame& f);
  protocol::codec& codec_of(const session& s);
  void reply(session& s, std::optional<std::string> join_ref,
             const std::optional<std::string>& ref, const std::string& topic,
             std::string_view status, std::string_view response);
  void unjoin(session& s, const std::string& topic);
  void close_session(session& s, uint16_t code, std::string reason);
  void heard_from(session& s);
  std::chrono::milliseconds idle_limit() const;
  void arm_idle_check();
  void on_idle_check();
  void end_session(session& s);
  void begin_drain();
  bool peer_connected(const session& s) const;

  hub_options opts_;
  lws_context* ctx_ = nullptr;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  bool draining_ = false;
  bool drain_expired_ = false;
  std::set<session*> sessions_;
  std::mutex adopt_mtx_;
  std::vector<int> to_adopt_; ///< guarded by adopt_mtx_
  std::list<session*> by_silence_; ///< open sessions, the longest silent first
  std::unique_ptr<idle_timer> idle_timer_;
  bool idle_armed_ = false;
  overlap_tracker overlap_;
  std::unique_ptr<drain_timer> drain_timer_;
  protocol::phoenix_json_codec codec_;
  protocol::phoenix_v1_codec v1_codec_; ///< for sockets that asked for vsn=1.0.0
  uint64_t next_session_ = 1;
  /// topic -> members, in join order.
  std::unordered_map<std::string, std::set<session*>> rooms_;
  presence_rooms presence_; ///< who is tracked on each presence:* topic
};

} // namespace tether::hub
