// When the transport reads a socket's frame in progress: the check policy
// and the wheel that holds each socket until its next check.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

#include "protocol/frame_watch.hpp"

using namespace tether::protocol;
using namespace std::chrono_literals;

namespace {

struct entry {
  int id;
  check_place wheel_place;
};

/// The ids handed out at each of the next `ticks` ticks.
std::vector<std::vector<int>> run(check_wheel<entry>& wheel, int ticks) {
  std::vector<std::vector<int>> out;
  for (int i = 0; i < ticks; ++i) {
    std::vector<int> ids;
    for (auto* e : wheel.take_due())
      ids.push_back(e->id);
    std::sort(ids.begin(), ids.end());
    out.push_back(ids);
  }
  return out;
}

} // namespace

TEST_CASE("an idle socket is read every quarter of its frame timeout, from 1 to 8 s",
          "[policy]") {
  CHECK(idle_check_period(2s) == 1);
  CHECK(idle_check_period(8s) == 2);
  CHECK(idle_check_period(30s) == 7);
  CHECK(idle_check_period(10min) == max_check_seconds);
  CHECK(idle_check_period(0s) == 1);
}

TEST_CASE("the check wheel hands out each entry at the tick it was due, once",
          "[policy]") {
  check_wheel<entry> wheel;
  entry a{1, {}}, b{2, {}}, c{3, {}};
  wheel.schedule(&a, 1);
  wheel.schedule(&b, 3);
  wheel.schedule(&c, max_check_seconds);
  CHECK(wheel.size() == 3);
  CHECK(wheel.due_in(&b) == 3);
  auto ticks = run(wheel, 9);
  std::vector<std::vector<int>> expected(9);
  expected[0] = {1};
  expected[2] = {2};
  expected[max_check_seconds - 1] = {3};
  CHECK(ticks == expected);
  CHECK(wheel.empty());
  CHECK_FALSE(a.wheel_place.watched());
}

TEST_CASE("the check wheel moves a rescheduled entry and forgets a removed one",
          "[policy]") {
  check_wheel<entry> wheel;
  std::vector<entry> entries;
  for (int i = 0; i < 5; ++i)
    entries.push_back({i, {}});
  for (auto& e : entries)
    wheel.schedule(&e, 4);
  wheel.schedule(&entries[1], 1); // a frame began: read it next second
  wheel.remove(&entries[2]);      // the socket ended
  wheel.remove(&entries[2]);      // twice is harmless
  CHECK(wheel.size() == 4);
  auto ticks = run(wheel, 4);
  CHECK(ticks[0] == std::vector<int>{1});
  CHECK(ticks[3] == std::vector<int>{0, 3, 4});
}

TEST_CASE("an entry scheduled while the due ones are handled comes due again "
          "after its wait, not at once", "[policy]") {
  check_wheel<entry> wheel;
  entry a{7, {}};
  wheel.schedule(&a, 1);
  for (auto* e : wheel.take_due())
    wheel.schedule(e, max_check_seconds);
  auto ticks = run(wheel, max_check_seconds);
  CHECK(ticks.back() == std::vector<int>{7});
  for (size_t i = 0; i + 1 < ticks.size(); ++i)
    CHECK(ticks[i].empty());
}
