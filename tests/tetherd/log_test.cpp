// tetherd's log lines: a JSON log keeps each field's type, a text log reads
// the same fields as key=value.

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "apps/tetherd/log.hpp"

using namespace tether::daemon;

namespace {

/// Everything `write` put into a temporary file.
template <class Write>
std::string logged(bool json, Write write) {
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  {
    logger log{json, out};
    write(log);
  }
  std::rewind(out);
  std::string text;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof(buf), out))
    text.append(buf, n);
  std::fclose(out);
  return text;
}

} // namespace

TEST_CASE("a JSON log line keeps numbers and booleans as JSON numbers and booleans",
          "[tetherd]") {
  auto line = logged(true, [](logger& log) {
    log.info("api listening", {{"listen", "127.0.0.1:0"},
                               {"port", 4300},
                               {"attempt", uint32_t{3}},
                               {"delay_ms", int64_t{-1}},
                               {"offline", true},
                               {"name", std::string{"a\"b"}}});
  });
  CHECK(line.find(R"("msg":"api listening","listen":"127.0.0.1:0","port":4300,)"
                  R"("attempt":3,"delay_ms":-1,"offline":true,"name":"a\"b"})")
        != std::string::npos);
  CHECK(line.back() == '\n');
}

TEST_CASE("a text log line shows the same fields as key=value", "[tetherd]") {
  auto line = logged(false, [](logger& log) {
    log.warn("disconnected", {{"cause", "auth"}, {"http_status", 403}, {"offline", false}});
  });
  CHECK(line.find(" warn disconnected cause=auth http_status=403 offline=false\n")
        != std::string::npos);
}
