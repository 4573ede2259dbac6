// Fuzz entry for the control API's HTTP framing (apps/common/
// http_request_reader): any bytes, read whole and read one byte at a time,
// must give the same requests, and both be refused or neither (framing
// cannot depend on how TCP cut the stream), each within its limits, every
// refusal a 4xx or 5xx with a JSON error body.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "apps/common/http_request_reader.hpp"
#include "apps/tetherd/api_routes.hpp"

using namespace tether;

namespace {

void require(bool condition) {
  if (!condition)
    std::abort();
}

struct outcome {
  std::vector<std::string> requests; ///< method, target, body of each
  int refusal = 0;
};

outcome read_all(std::string_view bytes, size_t step, const apps::http_limits& limits) {
  apps::http_request_reader reader{limits};
  outcome out;
  std::string pending;
  for (size_t at = 0; at < bytes.size() && !out.refusal;) {
    pending.append(bytes.substr(at, step));
    at += step;
    for (;;) {
      auto n = reader.feed(pending);
      require(n <= pending.size());
      pending.erase(0, n);
      if (auto& r = reader.refused()) {
        require(r->status >= 400 && r->status < 600);
        auto body = daemon::error_response(r->status, r->code, r->message).body;
        rapidjson::Document d;
        d.Parse(body.data(), body.size());
        require(!d.HasParseError() && d.IsObject());
        out.refusal = r->status;
        break;
      }
      if (!reader.ready())
        break;
      auto req = reader.take();
      require(req.body.size() <= limits.max_body_bytes);
      require(req.headers.size() <= limits.max_headers);
      out.requests.push_back(req.method + " " + req.target + " " + req.body);
      if (req.upgrade)
        return out; // the rest belongs to another protocol
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes{reinterpret_cast<const char*>(data), size};
  apps::http_limits limits;
  limits.max_header_bytes = 512;
  limits.max_headers = 16;
  limits.max_body_bytes = 256;
  auto whole = read_all(bytes, bytes.size() + 1, limits);
  auto trickled = read_all(bytes, 1, limits);
  require(whole.requests == trickled.requests);
  // Input with two faults (too long and malformed) may be refused for
  // either, depending on which one a cut reveals first; refused it is.
  require((whole.refusal != 0) == (trickled.refusal != 0));
  return 0;
}
