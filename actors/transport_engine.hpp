#pragma once
// Internal: the libwebsockets client engine behind transport_actor. One
// lws_context and one service thread for all sockets. Other threads talk to
// it through a mutex-guarded command list and lws_cancel_service; it talks
// back only by sending messages to each socket's owner, never by touching
// actor state.

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/error.hpp>
#include <libwebsockets.h>

#include "actors/transport.hpp"
#include "protocol/frame_watch.hpp"

struct ev_loop;
struct ev_timer;
struct lws;
struct lws_context;
struct lws_vhost;

namespace tether::detail {

struct socket_record;

class transport_engine {
public:
  explicit transport_engine(transport_config cfg);
  ~transport_engine(); ///< stops the thread; owners of open sockets get closed

  transport_engine(const transport_engine&) = delete;
  transport_engine& operator=(const transport_engine&) = delete;

  /// Thread-safe. Never blocks on the network.
  socket_id open(socket_options opts, socket_owner_actor owner);
  caf::error send(socket_id id, protocol::wire_kind kind, std::string bytes);
  void close(socket_id id, uint16_t code, std::string reason);
  /// No frame of `id` is written at or after `until` (steady clock, the
  /// clock actors use): see transport_actor's lease_atom.
  void send_until(socket_id id, std::chrono::steady_clock::time_point until);
  size_t socket_count() const;
  bool holds(socket_id id) const;

  /// The lws protocol callback (service thread only).
  static int on_event(lws* wsi, int reason, void* user, void* in, size_t len);

  /// (Re)schedules an open socket's next check of its frame in progress,
  /// `in_seconds` sweeps from now (lws thread).
  void watch_frames(socket_record& rec, unsigned in_seconds);

private:
  void run();
  /// Adds a command for the lws thread (mtx_ held). True when the lists were
  /// empty: only that command wakes the thread (lws_cancel_service, a pipe
  /// write and a poll return), and the one wake-up carries every command
  /// queued before the thread drains them.
  bool queue_command(std::vector<socket_id>& list, socket_id id) {
    bool first = to_connect_.empty() && to_wake_.empty();
    list.push_back(id);
    return first;
  }
  void drain_commands();
  void connect(socket_record& rec);
  void finish(socket_record& rec);
  /// A handshake ended (opened or failed): another socket may dial.
  void handshake_over(socket_record& rec);
  void dial_waiting();
  bool handshaking() const {
    return handshakes_ > 0 || !waiting_to_dial_.empty();
  }
  void pace_kick();
  bool may_dial() const {
    return cfg_.max_handshakes == 0 || handshakes_ < cfg_.max_handshakes;
  }
  void arm_frame_sweep();
  void sweep_frames();
  /// False when the socket is closing for its frame (too big, or stalled).
  bool check_frame(socket_record& rec, int64_t now_us);
  int on_socket_event(socket_record& rec, lws* wsi, int reason, void* in,
                      size_t len);

  /// The vhost a socket connects through: lws keeps one proxy per vhost,
  /// so there is one for direct sockets and one per proxy in use.
  lws_vhost* vhost_for(const std::optional<protocol::proxy_endpoint>& via) const;
  lws_vhost* make_vhost(const char* name, const std::string& proxy_spec);

  transport_config cfg_;
  protocol::proxy_settings proxies_;
  lws_context* ctx_ = nullptr;
  ::ev_loop* loop_ = nullptr;
  ::ev_timer* kick_ = nullptr; ///< (lws thread) see pace_kick
  lws_vhost* direct_ = nullptr;
  std::vector<std::pair<protocol::proxy_endpoint, lws_vhost*>> proxied_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<socket_id> next_id_{1};

  /// An lws timer of the engine (lws hands its callback only the node).
  struct engine_timer {
    lws_sorted_usec_list_t sul{};
    transport_engine* engine = nullptr;
  };
  // (lws thread only) the open sockets, each until the sweep that reads it.
  protocol::check_wheel<socket_record> frame_checks_;
  engine_timer frame_sweep_{{}, this};
  bool sweep_armed_ = false;
  // (lws thread only) sockets dialed and not yet open or failed, and the
  // ones waiting for a place among them (transport_config::max_handshakes).
  size_t handshakes_ = 0;
  std::deque<socket_id> waiting_to_dial_;
  engine_timer dial_next_{{}, this};
  bool dial_armed_ = false;

  mutable std::mutex mtx_;
  // Guarded by mtx_: the socket table and the commands for the lws thread.
  std::unordered_map<socket_id, std::unique_ptr<socket_record>> sockets_;
  std::vector<socket_id> to_connect_;
  std::vector<socket_id> to_wake_;
};

} // namespace tether::detail
