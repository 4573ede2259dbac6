// The hub's overlap witness (pure): sockets open at once per value, and
// frames on a socket after a later one of the same value opened.

#include <catch2/catch.hpp>

#include "apps/hub/overlap_tracker.hpp"

using tether::hub::overlap_tracker;

TEST_CASE("the overlap witness counts sockets open at once, and frames from superseded "
          "sockets",
          "[hub]") {
  overlap_tracker t;
  CHECK(t.opened("a", 1) == 1);
  CHECK_FALSE(t.received("a", 1));
  t.closed("a");
  CHECK(t.opened("a", 2) == 1); // one after the other: never two at once
  CHECK(t.max() == 1);
  CHECK(t.opened("a", 3) == 2); // a second while the first is open
  CHECK(t.max() == 2);
  CHECK(t.max_value() == "a");
  CHECK(t.received("a", 2)); // the older socket spoke after the newer opened
  CHECK_FALSE(t.received("a", 3));
  CHECK(t.stale_frames() == 1);
  CHECK(t.opened("b", 4) == 1);
  CHECK_FALSE(t.received("b", 4));
}
