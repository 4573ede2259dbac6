#include "supervision/restart_intensity.hpp"

namespace tether::sup {

bool restart_intensity::add_restart(time_point now) {
  while (!restarts_.empty() && now - restarts_.front() > period_)
    restarts_.pop_front();
  restarts_.push_back(now);
  return restarts_.size() <= static_cast<size_t>(max_restarts_ < 0 ? 0 : max_restarts_);
}

} // namespace tether::sup
