// Fuzz entry for tetherd's config reader: whatever the file holds, the
// answer is a config or a config_error (file:line, key, reason), never a
// crash or an escaping exception.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "apps/tetherd/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text{reinterpret_cast<const char*>(data), size};
  try {
    auto r = tether::daemon::parse_config(text, "fuzz.toml", "/nonexistent");
    if (auto* err = std::get_if<tether::daemon::config_error>(&r))
      if (err->to_string().empty())
        std::abort(); // a refusal must say why
  } catch (...) {
    std::abort(); // libFuzzer reports the input
  }
  return 0;
}
