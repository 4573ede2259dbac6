#include "supervision/restart_intensity.hpp"

#include <algorithm>

namespace tether::sup {

bool restart_intensity::add_restart(time_point now) {
  using std::chrono::floor;
  using std::chrono::seconds;
  auto now_s = floor<seconds>(now.time_since_epoch()).count();
  auto threshold = now_s - period_.count();
  auto expired = std::find_if(restarts_.begin(), restarts_.end(),
                              [&](int64_t t) { return t >= threshold; });
  restarts_.erase(restarts_.begin(), expired);
  restarts_.push_back(now_s);
  auto limit = static_cast<size_t>(max_restarts_ < 0 ? 0 : max_restarts_);
  return restarts_.size() <= limit;
}

} // namespace tether::sup
