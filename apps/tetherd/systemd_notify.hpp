#pragma once
// systemd's notify protocol (Type=notify): READY once serving, STOPPING on
// drain, and the watchdog interval systemd asked for. Every call is a no-op
// when the daemon does not run under systemd.

#include <chrono>
#include <string>

#include <systemd/sd-daemon.h>

namespace tether::daemon {

inline void notify_ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

inline void notify_stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=draining");
}

/// WatchdogSec= of the unit, or zero.
inline std::chrono::microseconds watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0)
    return std::chrono::microseconds{usec};
  return std::chrono::microseconds{0};
}

} // namespace tether::daemon
