#include "apps/hub/presence_channel.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tether::hub {

namespace {

std::string quoted(const std::string& text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return buf.GetString();
}

/// `meta` (a JSON object) with phx_ref, and phx_ref_prev when given, added.
std::string with_refs(const std::string& meta, const std::string& ref,
                      const std::string& prev = {}) {
  std::string refs = "\"phx_ref\":" + quoted(ref);
  if (!prev.empty())
    refs += ",\"phx_ref_prev\":" + quoted(prev);
  auto body = meta.substr(1, meta.size() - 2); // between the braces
  bool empty = body.find_first_not_of(" \t\r\n") == std::string::npos;
  return "{" + refs + (empty ? "" : "," + body) + "}";
}

/// {"USER":{"metas":[META]}}
std::string one(const std::string& user, const std::string& meta) {
  return "{" + quoted(user) + ":{\"metas\":[" + meta + "]}}";
}

std::string diff(const std::string& joins, const std::string& leaves) {
  return "{\"joins\":" + joins + ",\"leaves\":" + leaves + "}";
}

} // namespace

bool is_presence_topic(std::string_view topic) {
  return topic.rfind("presence:", 0) == 0;
}

std::optional<presence_join_params> read_presence_join(std::string_view params_json) {
  rapidjson::Document doc;
  doc.Parse(params_json.data(), params_json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return std::nullopt;
  auto user = doc.FindMember("user");
  if (user == doc.MemberEnd() || !user->value.IsString())
    return std::nullopt;
  presence_join_params out;
  out.user = user->value.GetString();
  if (auto meta = doc.FindMember("meta"); meta != doc.MemberEnd() && meta->value.IsObject()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w{buf};
    meta->value.Accept(w);
    out.meta = buf.GetString();
  }
  return out;
}

std::string presence_rooms::next_ref() {
  // Phoenix's refs are opaque strings; these only need to be unique.
  return "hub" + std::to_string(++refs_);
}

std::string presence_rooms::track(const std::string& topic, uint64_t session,
                                  const std::string& user, const std::string& meta) {
  auto ref = next_ref();
  auto& t = topics_[topic][session] = tracked{user, with_refs(meta, ref), ref};
  return diff(one(user, t.meta), "{}");
}

std::optional<std::string> presence_rooms::update(const std::string& topic, uint64_t session,
                                                  const std::string& meta) {
  auto room = topics_.find(topic);
  if (room == topics_.end() || room->second.count(session) == 0)
    return std::nullopt;
  auto& t = room->second[session];
  auto old = t.meta;
  auto ref = next_ref();
  t.meta = with_refs(meta, ref, t.ref);
  t.ref = ref;
  return diff(one(t.user, t.meta), one(t.user, old));
}

std::optional<std::string> presence_rooms::untrack(const std::string& topic, uint64_t session) {
  auto room = topics_.find(topic);
  if (room == topics_.end())
    return std::nullopt;
  auto i = room->second.find(session);
  if (i == room->second.end())
    return std::nullopt;
  auto out = diff("{}", one(i->second.user, i->second.meta));
  room->second.erase(i);
  if (room->second.empty())
    topics_.erase(room);
  return out;
}

std::string presence_rooms::state(const std::string& topic) const {
  std::map<std::string, std::vector<const std::string*>> by_user;
  if (auto room = topics_.find(topic); room != topics_.end())
    for (auto& [session, t] : room->second)
      by_user[t.user].push_back(&t.meta);
  std::string out = "{";
  for (auto& [user, metas] : by_user) {
    if (out.size() > 1)
      out += ',';
    out += quoted(user) + ":{\"metas\":[";
    for (size_t i = 0; i < metas.size(); ++i)
      out += (i ? "," : "") + *metas[i];
    out += "]}";
  }
  return out + "}";
}

} // namespace tether::hub
