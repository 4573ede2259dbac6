#include "supervision/restart_intensity.hpp"

namespace tether::sup {

bool restart_intensity::add_restart(time_point now) {
  using std::chrono::floor;
  using std::chrono::seconds;
  auto now_s = floor<seconds>(now.time_since_epoch()).count();
  auto threshold = now_s - period_.count();
  while (!restarts_.empty() && restarts_.front() < threshold)
    restarts_.pop_front();
  restarts_.push_back(now_s);
  auto limit = static_cast<size_t>(max_restarts_ < 0 ? 0 : max_restarts_);
  return restarts_.size() <= limit;
}

} // namespace tether::sup
