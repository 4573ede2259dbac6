// Fuzz entry for the control API's request handling past HTTP framing:
// routes, bodies, the bearer check and the event stream's filter. Every
// answer to a bad request must be JSON with an error code.

#include <cstdint>
#include <cstdlib>
#include <string>

#include <rapidjson/document.h>

#include "apps/tetherd/api_routes.hpp"

using namespace tether::daemon;

namespace {

void require(bool condition) {
  if (!condition)
    std::abort();
}

void check_error(const api_response& r) {
  rapidjson::Document d;
  d.Parse(r.body.data(), r.body.size());
  require(!d.HasParseError() && d.IsObject() && d.HasMember("error"));
  require(r.status >= 400 && r.status < 600);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input{reinterpret_cast<const char*>(data), size};
  // the first line is the method and path, the rest is the body
  auto nl = input.find('\n');
  std::string head = input.substr(0, nl);
  std::string body = nl == std::string::npos ? std::string{} : input.substr(nl + 1);
  auto space = head.find(' ');
  std::string method = head.substr(0, space);
  std::string path = space == std::string::npos ? std::string{} : head.substr(space + 1);
  try {
    (void) match_route(method, path);
    auto push = parse_push_body(body);
    if (auto* r = std::get_if<api_response>(&push))
      check_error(*r);
    auto topic = parse_topic_body(body);
    if (auto* r = std::get_if<api_response>(&topic))
      check_error(*r);
    (void) bearer_matches(body, "token");
    (void) account_filter(path);
  } catch (...) {
    std::abort();
  }
  return 0;
}
