#include "protocol/liveness.hpp"

namespace tether::protocol {

time_point liveness_judge::on_ping(std::string nonce, time_point now) {
  outstanding_ = std::move(nonce);
  answered_ = false;
  heard_since_ = false;
  return now + cfg_.timeout;
}

bool liveness_judge::on_pong(std::string_view nonce) {
  if (!outstanding_ || answered_ || *outstanding_ != nonce)
    return false;
  answered_ = true;
  ever_answered_ = true;
  return true;
}

void liveness_judge::on_void(std::string_view nonce) {
  if (outstanding_ && *outstanding_ == nonce)
    outstanding_.reset();
}

void liveness_judge::on_activity() {
  heard_since_ = true;
}

verdict liveness_judge::on_check() {
  if (!outstanding_)
    return verdict::alive;
  bool alive = answered_ || heard_since_;
  outstanding_.reset(); // a pong arriving after this point is late: ignored
  if (alive) {
    missed_ = 0;
    return verdict::alive;
  }
  ++missed_;
  if (ever_answered_ && missed_ > cfg_.max_missed)
    return verdict::dead;
  return verdict::missed;
}

void liveness_judge::on_new_socket() noexcept {
  outstanding_.reset();
  answered_ = false;
  heard_since_ = false;
  missed_ = 0;
}

duration heartbeat_interval(const heartbeat_config& cfg,
                            std::optional<time_point> last_activity,
                            time_point now) {
  if (cfg.fast && last_activity && now - *last_activity < cfg.window)
    return *cfg.fast;
  return cfg.slow;
}

} // namespace tether::protocol
