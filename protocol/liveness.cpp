#include "protocol/liveness.hpp"

#include <algorithm>

namespace tether::protocol {

time_point liveness_judge::on_ping(std::string nonce, time_point now,
                                   std::optional<time_point> sent) {
  out_.push_back({std::move(nonce), sent.value_or(now), false});
  return now + cfg_.timeout;
}

bool liveness_judge::awaiting(std::string_view nonce) const noexcept {
  return std::any_of(out_.begin(), out_.end(),
                     [&](const ping& p) { return p.nonce == nonce; });
}

std::optional<time_point> liveness_judge::on_pong(std::string_view nonce) {
  auto i = std::find_if(out_.begin(), out_.end(),
                        [&](const ping& p) { return p.nonce == nonce; });
  if (i == out_.end() || i->answered)
    return std::nullopt; // mismatched, late, or a second answer
  auto sent = i->sent;
  i->answered = true;
  ever_answered_ = true;
  on_activity();
  return sent;
}

void liveness_judge::on_void(std::string_view nonce) {
  out_.erase(std::remove_if(out_.begin(), out_.end(),
                            [&](const ping& p) { return p.nonce == nonce; }),
             out_.end());
}

void liveness_judge::on_activity() {
  for (auto& p : out_)
    p.heard = true;
}

verdict liveness_judge::on_check(std::string_view nonce) {
  auto i = std::find_if(out_.begin(), out_.end(),
                        [&](const ping& p) { return p.nonce == nonce; });
  if (i == out_.end())
    return verdict::alive;
  bool alive = i->heard;
  out_.erase(i); // a pong arriving after this point is late: ignored
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
  out_.clear();
  missed_ = 0;
}

duration heartbeat_interval(const heartbeat_config& cfg,
                            std::optional<time_point> last_activity,
                            time_point now) {
  if (cfg.fast && last_activity && now - *last_activity < cfg.window)
    return *cfg.fast;
  return cfg.slow;
}

time_point coalesce(time_point due, duration slack) {
  if (slack <= duration::zero())
    return due;
  auto since_epoch = due.time_since_epoch();
  auto steps = since_epoch / slack;
  if (since_epoch % slack != duration::zero())
    ++steps;
  return time_point{steps * slack};
}

} // namespace tether::protocol
