#include "protocol/json_walk.hpp"

namespace tether::protocol::detail {

namespace od = simdjson::ondemand;

namespace {

constexpr auto malformed = codec_errc::malformed_json;

std::optional<codec_errc> walk(od::value v, size_t depth, size_t max_depth);

/// simdjson's get_number refuses integers beyond 64 bits, which are valid
/// JSON; get_double reads them.
template <class Value>
std::optional<codec_errc> check_number(Value& v) {
  od::number n;
  if (!v.get_number().get(n))
    return std::nullopt;
  double d;
  auto ec = v.get_double().get(d);
  if (ec && ec != simdjson::NUMBER_OUT_OF_RANGE)
    return malformed;
  return std::nullopt;
}

template <class Value>
std::optional<codec_errc> walk_scalar(Value& v, od::json_type type) {
  switch (type) {
    case od::json_type::number:
      return check_number(v);
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s))
        return malformed;
      return std::nullopt;
    }
    case od::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b))
        return malformed;
      return std::nullopt;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null)
        return malformed;
      return std::nullopt;
    }
    default:
      return malformed;
  }
}

template <class Container>
std::optional<codec_errc> walk_array(Container& a, size_t depth,
                                     size_t max_depth) {
  for (auto elem : a) {
    od::value x;
    if (elem.get(x))
      return malformed;
    if (auto err = walk(x, depth + 1, max_depth))
      return err;
  }
  return std::nullopt;
}

template <class Container>
std::optional<codec_errc> walk_object(Container& o, size_t depth,
                                      size_t max_depth) {
  for (auto item : o) {
    od::field field;
    std::string_view key;
    if (std::move(item).get(field) || field.unescaped_key().get(key))
      return malformed;
    if (auto err = walk(field.value(), depth + 1, max_depth))
      return err;
  }
  return std::nullopt;
}

std::optional<codec_errc> walk(od::value v, size_t depth, size_t max_depth) {
  if (depth > max_depth)
    return codec_errc::too_deep;
  od::json_type type;
  if (v.type().get(type))
    return malformed;
  if (type == od::json_type::array) {
    od::array a;
    if (v.get_array().get(a))
      return malformed;
    return walk_array(a, depth, max_depth);
  }
  if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o))
      return malformed;
    return walk_object(o, depth, max_depth);
  }
  return walk_scalar(v, type);
}

} // namespace

bool at_document_end(od::document& doc) {
  const char* location = nullptr;
  return doc.current_location().get(location) == simdjson::OUT_OF_BOUNDS;
}

std::optional<codec_errc> read_string_field(od::value& v, std::optional<std::string>& out,
                                            codec_errc err, bool nullable) {
  od::json_type type;
  if (v.type().get(type))
    return malformed;
  if (type == od::json_type::null && nullable) {
    bool is_null = false;
    if (v.is_null().get(is_null) || !is_null)
      return malformed;
    out.reset();
    return std::nullopt;
  }
  if (type != od::json_type::string)
    return err;
  std::string_view s;
  if (v.get_string().get(s))
    return malformed;
  out.emplace(s);
  return std::nullopt;
}

bool has_raw_control(std::string_view text) noexcept {
  for (unsigned char c : text)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return true;
  return false;
}

simdjson::padded_string_view pad(std::string& scratch, std::string_view text) {
  scratch.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  scratch.assign(text.data(), text.size());
  return simdjson::padded_string_view{scratch.data(), scratch.size(),
                                      scratch.capacity()};
}

std::optional<codec_errc> check_document(od::parser& parser,
                                         std::string& scratch,
                                         std::string_view text,
                                         size_t max_depth) {
  od::document doc;
  if (parser.iterate(pad(scratch, text)).get(doc))
    return malformed;
  od::json_type type;
  if (doc.type().get(type))
    return malformed;
  std::optional<codec_errc> err;
  if (type == od::json_type::array || type == od::json_type::object) {
    if (max_depth < 1)
      return codec_errc::too_deep;
    if (type == od::json_type::array) {
      od::array a;
      if (doc.get_array().get(a))
        return malformed;
      err = walk_array(a, 1, max_depth);
    } else {
      od::object o;
      if (doc.get_object().get(o))
        return malformed;
      err = walk_object(o, 1, max_depth);
    }
  } else {
    err = walk_scalar(doc, type);
  }
  if (err)
    return err;
  if (!at_document_end(doc))
    return malformed;
  return std::nullopt;
}

} // namespace tether::protocol::detail
