// The event contract: one variant, one name table. Every event is described
// by the testing kit and listed in docs/architecture.md; a new alternative
// that one of them misses fails here (the consumers that visit without a
// catch-all, the testing kit's and tetherd's, fail to compile already).

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <catch2/catch.hpp>

#include <caf/deep_to_string.hpp>

#include "actors/events.hpp"
#include "testing/recording_consumer.hpp"

using namespace tether;

namespace {

template <size_t... I>
std::vector<event> every_event(std::index_sequence<I...>) {
  return {event{std::variant_alternative_t<I, event>{}}...};
}

std::vector<event> every_event() {
  return every_event(std::make_index_sequence<std::variant_size_v<event>>{});
}

} // namespace

TEST_CASE("every event has its own name, the one its type carries", "[connection]") {
  std::set<std::string_view> names;
  for (auto& e : every_event()) {
    auto name = event_name(e);
    INFO(name);
    CHECK(names.insert(name).second);
    // the name table and the type's own inspect name agree
    auto text = std::visit([](auto& x) { return caf::deep_to_string(x); }, e);
    CHECK(text.rfind(std::string{name}, 0) == 0);
  }
  CHECK(names.size() == std::variant_size_v<event>);
}

TEST_CASE("the testing kit describes every event, each kind with its own first word",
          "[connection]") {
  std::set<std::string> first_words;
  for (auto& e : every_event()) {
    auto line = testing::describe(e);
    INFO(event_name(e) << ": " << line);
    REQUIRE_FALSE(line.empty());
    CHECK(first_words.insert(line.substr(0, line.find(' '))).second);
  }
}

TEST_CASE("docs/architecture.md lists every event by its name", "[connection]") {
  std::ifstream in{TETHER_SOURCE_DIR "/docs/architecture.md"};
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto docs = ss.str();
  auto events = docs.find("## Events");
  REQUIRE(events != std::string::npos);
  for (auto name : event_names) {
    INFO(name);
    CHECK(docs.find("`" + std::string{name} + "`", events) != std::string::npos);
  }
}
