#include "protocol/wire_version.hpp"

#include "protocol/phoenix_json.hpp"
#include "protocol/phoenix_v1.hpp"

namespace tether::protocol {

std::optional<wire_choice> wire_version_of(std::string_view url) {
  auto q = url.find('?');
  if (q == std::string_view::npos)
    return wire_choice{};
  auto query = url.substr(q + 1);
  if (auto hash = query.find('#'); hash != std::string_view::npos)
    query = query.substr(0, hash);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.rfind("vsn=", 0) != 0)
      continue;
    auto vsn = pair.substr(4);
    if (vsn == v2_vsn)
      return wire_choice{wire_version::v2, true};
    if (vsn == v1_vsn)
      return wire_choice{wire_version::v1, true};
    return std::nullopt;
  }
  return wire_choice{};
}

std::unique_ptr<codec> make_codec(wire_version version, decode_limits limits) {
  if (version == wire_version::v1)
    return std::make_unique<phoenix_v1_codec>(limits);
  return std::make_unique<phoenix_json_codec>(limits);
}

} // namespace tether::protocol
