#include "apps/tetherd/api_routes.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tether::daemon {

namespace {

using object = rapidjson::Value;

std::string serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

api_response bad_request(const std::string& message) {
  return error_response(400, "bad_request", message);
}

/// Parses `body` as a JSON object, or says why it is not one.
std::optional<api_response> parse_object(rapidjson::Document& doc, const std::string& body) {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    return bad_request("the body is not valid JSON");
  if (!doc.IsObject())
    return bad_request("the body must be a JSON object");
  return std::nullopt;
}

std::optional<std::string> string_member(const object& o, const char* key) {
  auto i = o.FindMember(key);
  if (i == o.MemberEnd() || !i->value.IsString() || i->value.GetStringLength() == 0)
    return std::nullopt;
  return std::string{i->value.GetString(), i->value.GetStringLength()};
}

/// Unknown members are refused rather than ignored: a typo must not pass.
std::optional<api_response> only_members(const object& o,
                                         std::initializer_list<const char*> known) {
  for (auto& m : o.GetObject()) {
    bool ok = false;
    for (auto* k : known)
      ok = ok || std::string_view{m.name.GetString()} == k;
    if (!ok)
      return bad_request(std::string{"unknown member \""} + m.name.GetString() + "\"");
  }
  return std::nullopt;
}

} // namespace

route match_route(const std::string& method, const std::string& path) {
  auto want = [&](const char* m, route_kind k, std::string account = {}) {
    return method == m ? route{k, std::move(account), {}} : route{route_kind::bad_method, {}, {}};
  };
  if (path == "/metrics")
    return want("GET", route_kind::metrics);
  if (path == "/reload")
    return want("POST", route_kind::reload);
  if (path == "/accounts" || path == "/accounts/")
    return want("GET", route_kind::list_accounts);
  static const std::string prefix = "/accounts/";
  if (path.rfind(prefix, 0) != 0)
    return {};
  auto rest = path.substr(prefix.size());
  auto slash = rest.find('/');
  auto name = rest.substr(0, slash);
  if (name.empty())
    return {};
  if (slash == std::string::npos)
    return want("GET", route_kind::get_account, name);
  auto action = rest.substr(slash + 1);
  static const std::string presence = "presence/";
  if (action.rfind(presence, 0) == 0 && action.size() > presence.size()) {
    auto r = want("GET", route_kind::presence, name);
    r.topic = action.substr(presence.size());
    return r;
  }
  static const std::pair<const char*, route_kind> actions[] = {
    {"push", route_kind::push},           {"join", route_kind::join},
    {"leave", route_kind::leave},         {"disconnect", route_kind::disconnect},
    {"reconnect", route_kind::reconnect}, {"stop", route_kind::stop},
    {"start", route_kind::start}};
  for (auto& [word, kind] : actions)
    if (action == word)
      return want("POST", kind, name);
  return {};
}

api_response error_response(int status, const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("error");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return {status, {buf.GetString(), buf.GetSize()}};
}

std::variant<push_body, api_response> parse_push_body(const std::string& body) {
  rapidjson::Document doc;
  if (auto bad = parse_object(doc, body))
    return *bad;
  if (auto bad = only_members(doc, {"topic", "event", "payload", "timeout_ms",
                                    "idempotency_key"}))
    return *bad;
  push_body out;
  auto topic = string_member(doc, "topic");
  auto event = string_member(doc, "event");
  if (!topic)
    return bad_request("\"topic\" must be a non-empty string");
  if (!event)
    return bad_request("\"event\" must be a non-empty string");
  out.topic = *topic;
  out.event = *event;
  if (auto p = doc.FindMember("payload"); p != doc.MemberEnd()) {
    if (!p->value.IsObject())
      return bad_request("\"payload\" must be a JSON object");
    out.payload = serialize(p->value);
  }
  if (auto t = doc.FindMember("timeout_ms"); t != doc.MemberEnd()) {
    if (!t->value.IsInt64() || t->value.GetInt64() <= 0
        || t->value.GetInt64() > 3'600'000)
      return bad_request("\"timeout_ms\" must be an integer from 1 to 3600000");
    out.timeout = std::chrono::milliseconds{t->value.GetInt64()};
  }
  if (auto k = doc.FindMember("idempotency_key"); k != doc.MemberEnd()) {
    if (!k->value.IsString() || k->value.GetStringLength() == 0)
      return bad_request("\"idempotency_key\" must be a non-empty string");
    out.idempotency_key = std::string{k->value.GetString(), k->value.GetStringLength()};
  }
  return out;
}

std::variant<topic_body, api_response> parse_topic_body(const std::string& body) {
  rapidjson::Document doc;
  if (auto bad = parse_object(doc, body))
    return *bad;
  if (auto bad = only_members(doc, {"topic", "params"}))
    return *bad;
  topic_body out;
  auto topic = string_member(doc, "topic");
  if (!topic)
    return bad_request("\"topic\" must be a non-empty string");
  out.topic = *topic;
  if (auto p = doc.FindMember("params"); p != doc.MemberEnd()) {
    if (!p->value.IsObject())
      return bad_request("\"params\" must be a JSON object");
    out.params = serialize(p->value);
  }
  return out;
}

bool bearer_matches(const std::string& header, const std::string& token) {
  static const std::string scheme = "Bearer ";
  if (token.empty() || header.size() != scheme.size() + token.size()
      || header.compare(0, scheme.size(), scheme) != 0)
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(header[scheme.size() + i] ^ token[i]);
  return diff == 0;
}

std::string account_filter(const std::string& query) {
  size_t pos = 0;
  while (pos <= query.size()) {
    auto end = query.find('&', pos);
    auto part = query.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (part.rfind("account=", 0) == 0)
      return part.substr(8);
    if (end == std::string::npos)
      break;
    pos = end + 1;
  }
  return {};
}

} // namespace tether::daemon
