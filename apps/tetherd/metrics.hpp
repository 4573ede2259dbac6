#pragma once
// The daemon's counters and their Prometheus text rendering (pure).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "apps/tetherd/account_status.hpp"

namespace tether::daemon {

/// A Prometheus histogram with fixed bucket bounds (seconds).
class histogram {
public:
  static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  void observe(double seconds);
  uint64_t count() const noexcept {
    return count_;
  }
  /// Appends the _bucket, _sum and _count lines of `name`.
  void render(std::string& out, const std::string& name) const;

private:
  std::array<uint64_t, bounds.size()> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

struct metrics {
  histogram heartbeat_rtt;
  std::map<std::string, uint64_t> pushes; ///< outcome -> count
  /// (account, outcome) -> count: the same pushes, per account
  std::map<std::pair<std::string, std::string>, uint64_t> account_pushes;
  uint64_t reconnects = 0;
  std::map<std::string, uint64_t> reconnect_causes; ///< cause -> reconnects scheduled
  uint64_t pushes_in_flight = 0; ///< API pushes not answered yet
  uint64_t events = 0;
  uint64_t api_requests = 0;
  /// Cluster mode: claims tried and won, refused (another node was first),
  /// accounts handed over to other nodes, and leases lost to another node.
  uint64_t claims = 0;
  uint64_t claims_refused = 0;
  uint64_t handoffs = 0;
  uint64_t leases_lost = 0;
  uint64_t survey_failures = 0; ///< the store could not be asked
  uint64_t renew_failures = 0;  ///< lease renewals that did not reach the store (as last told)
  bool clustered = false;
  /// Supervisor reports by account, context and child: a child's
  /// child_terminated count is how often its tree restarted it.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> supervisor_reports;

  /// Folds an account's event into the counters.
  void count(const std::string& account, const tree_event& e);
  /// An API push of `account` ended with `outcome` (ok, rejected, …).
  void count_push(const std::string& account, const std::string& outcome);
};

/// The Prometheus text exposition (version 0.0.4) of the counters, the
/// accounts by state, and the actor system's running actors.
std::string render_prometheus(const metrics& m,
                              const std::map<std::string, account_status>& accounts,
                              size_t actors_alive);

} // namespace tether::daemon
