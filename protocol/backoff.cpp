#include "protocol/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace tether::protocol {

std::string_view to_string(drop_cause cause) noexcept {
  switch (cause) {
    case drop_cause::connect_error:
      return "connect_error";
    case drop_cause::closed_by_peer:
      return "closed_by_peer";
    case drop_cause::heartbeat_timeout:
      return "heartbeat_timeout";
    case drop_cause::join_timeout:
      return "join_timeout";
    case drop_cause::auth:
      return "auth";
    case drop_cause::rate_limited:
      return "rate_limited";
    case drop_cause::network_change:
      return "network_change";
    case drop_cause::wake:
      return "wake";
    case drop_cause::crashed:
      return "crashed";
    case drop_cause::connect_timeout:
      return "connect_timeout";
    case drop_cause::tls_failed:
      return "tls_failed";
    case drop_cause::frame_too_large:
      return "frame_too_large";
    case drop_cause::frame_stalled:
      return "frame_stalled";
    case drop_cause::dns_failed:
      return "dns_failed";
    case drop_cause::lease_expired:
      return "lease_expired";
    case drop_cause::proxy_failed:
      return "proxy_failed";
    case drop_cause::requested:
      return "requested";
  }
  return "unknown";
}

duration backoff::curve(uint32_t attempt) const {
  // initial * factor^(attempt-1), computed in double to avoid overflow.
  auto scaled = static_cast<double>(cfg_.initial.count())
                * std::pow(cfg_.factor, static_cast<double>(attempt - 1));
  auto cap = static_cast<double>(cfg_.ceiling.count());
  return duration{static_cast<duration::rep>(std::min(scaled, cap))};
}

retry_decision backoff::on_failure(time_point now, drop_cause cause,
                                   std::optional<duration> retry_after,
                                   uint64_t random) {
  // Only a connection that joined and then stayed up resets the budget.
  bool was_established = joined_at_.has_value();
  if (joined_at_ && now - *joined_at_ >= cfg_.stable_after) {
    attempts_ = 0;
    outage_start_.reset();
  }
  joined_at_.reset();
  if (!outage_start_)
    outage_start_ = now;
  retry_decision out;
  out.attempt = ++attempts_;
  out.outage = now - *outage_start_;
  if (immediate_ || cause == drop_cause::network_change || cause == drop_cause::wake) {
    immediate_ = false;
    out.delay = duration{0};
  } else {
    out.delay = curve(out.attempt);
    if (cfg_.full_jitter) {
      // Uniform in [0, curve]; after an established drop in [floor, floor +
      // curve]. Clamping to the floor instead would send every client that
      // lost the same server at the same instant, which jitter is there to
      // prevent.
      auto spread = duration{static_cast<duration::rep>(
        static_cast<long double>(out.delay.count())
        * (static_cast<long double>(random) / static_cast<long double>(UINT64_MAX)))};
      out.delay = was_established ? cfg_.floor_after_drop + spread : spread;
    } else if (was_established) {
      out.delay = std::max(out.delay, cfg_.floor_after_drop);
    }
    if (cause == drop_cause::auth)
      out.delay = std::max(out.delay, cfg_.auth_retry);
    if (retry_after)
      out.delay = std::max(out.delay, *retry_after);
  }
  if (cfg_.window && out.outage + out.delay > *cfg_.window)
    out.give_up = true;
  return out;
}

void backoff::on_joined(time_point now) {
  joined_at_ = now;
}

void backoff::on_network_event() {
  attempts_ = 0;
  immediate_ = true;
}

} // namespace tether::protocol
