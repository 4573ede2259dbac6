#pragma once
// Internal: full validation of an on-demand JSON document. simdjson's
// on-demand API only checks what it visits, so every value is visited once,
// with its depth counted.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "protocol/codec_error.hpp"

namespace tether::protocol::detail {

/// Parses `text` (copied into `scratch` with simdjson's padding) and visits
/// every value. Depth 1 is the root value.
std::optional<codec_errc> check_document(simdjson::ondemand::parser& parser,
                                         std::string& scratch,
                                         std::string_view text,
                                         size_t max_depth);

/// True once the document's root value has been consumed and nothing but
/// whitespace follows (simdjson 3.0.1 does not check this itself).
bool at_document_end(simdjson::ondemand::document& doc);

/// Reads a frame's string field into `out`: a string, or null (none) when
/// `nullable`; another type is `err`, a broken value malformed_json.
std::optional<codec_errc> read_string_field(simdjson::ondemand::value& v,
                                            std::optional<std::string>& out,
                                            codec_errc err, bool nullable);

/// True if `text` holds a control character JSON allows nowhere: below 0x20
/// and not tab, LF or CR (the only whitespace between tokens; inside a
/// string every control character must be escaped). simdjson 3.0.1 reads
/// such a byte after an atom as part of the atom ("false\0" passes).
bool has_raw_control(std::string_view text) noexcept;

/// Copies `text` into `scratch` with the padding simdjson needs and returns
/// the padded view.
simdjson::padded_string_view pad(std::string& scratch, std::string_view text);

} // namespace tether::protocol::detail
