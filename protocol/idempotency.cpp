#include "protocol/idempotency.hpp"

#include "protocol/json_writer.hpp"

namespace tether::protocol {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

std::optional<std::string> add_idempotency_key(std::string_view payload,
                                               std::string_view field,
                                               std::string_view key) {
  while (!payload.empty() && is_space(payload.back()))
    payload.remove_suffix(1);
  while (!payload.empty() && is_space(payload.front()))
    payload.remove_prefix(1);
  if (payload.size() < 2 || payload.front() != '{' || payload.back() != '}')
    return std::nullopt;
  auto body = payload.substr(1, payload.size() - 2);
  bool empty = body.find_first_not_of(" \t\n\r") == std::string_view::npos;
  std::string member;
  detail::string_sink sink{&member};
  detail::json_writer w{sink};
  // The writer escapes and validates; a lone key-value pair is written as
  // an object and its braces dropped.
  if (!w.StartObject() || !w.Key(field.data(), static_cast<rapidjson::SizeType>(field.size()))
      || !w.String(key.data(), static_cast<rapidjson::SizeType>(key.size()))
      || !w.EndObject())
    return std::nullopt;
  std::string out{payload.substr(0, payload.size() - 1)};
  if (!empty)
    out += ',';
  out.append(member, 1, member.size() - 2);
  out += '}';
  return out;
}

} // namespace tether::protocol
