#pragma once
// Children for supervision tests: actors that write "start:<name>" and
// "stop:<name>" into a shared journal, crash or finish on command, and
// optionally ignore shutdown requests.

#include <memory>
#include <string>
#include <vector>

#include <caf/atom.hpp>

#include "supervision/child_spec.hpp"

namespace tether::testing {

using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;

struct journal {
  std::vector<std::string> lines;

  /// Lines that begin with `prefix`, in order.
  std::vector<std::string> with_prefix(const std::string& prefix) const;
  void clear() {
    lines.clear();
  }
};

using journal_ptr = std::shared_ptr<journal>;

struct worker_options {
  /// Traps exit signals and does nothing: only `kill` stops it.
  bool ignore_shutdown = false;
  /// The start function fails with this many errors before it succeeds.
  std::shared_ptr<int> failures_left;
};

/// A start function for a journaling worker named `name`.
sup::start_fn journaling_worker(journal_ptr log, std::string name,
                                worker_options opts = {});

/// A permanent worker spec around `journaling_worker`.
sup::child_spec journaling_spec(journal_ptr log, std::string name,
                                sup::restart_type restart
                                = sup::restart_type::permanent,
                                worker_options opts = {});

} // namespace tether::testing
