#pragma once
// Small helpers shared by the supervision suites.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <caf/send.hpp>

#include "supervision/errors.hpp"
#include "supervision/supervisor.hpp"
#include "testing/deterministic_system.hpp"
#include "support/test_workers.hpp"

namespace tether::testing {

/// The `which` rows of a supervisor (either kind), failing the test if it
/// does not answer.
template <class Handle>
std::vector<sup::child_info> which(deterministic_system& t, const Handle& sup) {
  auto rows = t.template request<std::vector<sup::child_info>>(
    sup, sup::which_atom::value);
  REQUIRE(rows.has_value());
  REQUIRE(static_cast<bool>(*rows));
  return **rows;
}

/// The running actor of child `id`, or an invalid handle.
template <class Handle>
caf::actor child(deterministic_system& t, const Handle& sup,
                 const std::string& id) {
  for (auto& row : which(t, sup))
    if (row.id == id)
      return row.handle;
  return {};
}

inline void crash(deterministic_system& t, const caf::actor& whom) {
  REQUIRE(whom);
  caf::anon_send(whom, crash_atom::value);
  t.run();
}

inline void finish(deterministic_system& t, const caf::actor& whom) {
  REQUIRE(whom);
  caf::anon_send(whom, finish_atom::value);
  t.run();
}

/// True if `err` is the supervision error `code`.
inline bool is(const caf::error& err, sup::supervision_errc code) {
  return err == sup::make_error(code);
}

} // namespace tether::testing
