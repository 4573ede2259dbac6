#pragma once
// Which of Phoenix's JSON serializers a socket speaks, chosen as Phoenix
// chooses it: from the `vsn` query parameter of the socket URL. No vsn:
// V2 (`2.0.0`, arrays, what phoenix.js sends), which tether then adds to
// the URL. `vsn=1.0.0`: V1 (objects), which older servers and older
// clients speak. Any other vsn is refused before a socket opens.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/codec.hpp"

namespace tether::protocol {

enum class wire_version { v1, v2 };

struct wire_choice {
  wire_version version = wire_version::v2;
  bool in_url = false; ///< the URL names it (else tether adds vsn=2.0.0)
};

/// The serializer `url` asks for; nothing for a vsn tether does not speak.
std::optional<wire_choice> wire_version_of(std::string_view url);

/// A codec for `version`.
std::unique_ptr<codec> make_codec(wire_version version, decode_limits limits = {});

} // namespace tether::protocol
