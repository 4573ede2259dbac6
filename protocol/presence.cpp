#include "protocol/presence.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <unordered_set>

#include <simdjson.h>

#include "protocol/json_writer.hpp"

namespace tether::protocol {

namespace {

/// True for the keys JavaScript lists first, in numeric order: canonical
/// decimal integers from 0 to 2^32 − 2 ("array indices").
std::optional<uint32_t> array_index(std::string_view key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0'))
    return std::nullopt;
  uint64_t n = 0;
  for (char c : key) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n >= 0xffffffffULL)
    return std::nullopt;
  return static_cast<uint32_t>(n);
}

std::string quoted(std::string_view text) {
  std::string out;
  detail::string_sink sink{&out};
  detail::json_writer w{sink};
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return out;
}

/// phx_ref as JavaScript's === sees it: strings by their text, numbers by
/// their value, the rest by their JSON.
std::string ref_of(simdjson::dom::element v) {
  switch (v.type()) {
    case simdjson::dom::element_type::STRING:
      return "s" + std::string{v.get_string().value_unsafe()};
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
    {
      // JavaScript holds every number as a double: 1, 1.0 and 1e0 are one.
      char buf[32];
      double d = v.get_double().value_unsafe();
      auto end = std::to_chars(buf, buf + sizeof buf, d == 0 ? 0.0 : d).ptr; // -0 === 0
      return "n" + std::string(buf, end);
    }
    default:
      return "j" + simdjson::minify(v);
  }
}

std::optional<presence> decode_presence(simdjson::dom::element v) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj))
    return std::nullopt;
  presence p;
  bool has_metas = false;
  for (auto field : obj) {
    if (field.key != "metas") {
      if (!p.extra.empty())
        p.extra += ',';
      p.extra += quoted(field.key) + ':' + simdjson::minify(field.value);
      continue;
    }
    simdjson::dom::array metas;
    if (field.value.get_array().get(metas))
      return std::nullopt;
    has_metas = true;
    p.metas.clear(); // a repeated "metas": the last one counts, as in JSON.parse
    for (auto m : metas) {
      simdjson::dom::object meta;
      if (m.get_object().get(meta))
        return std::nullopt;
      presence_meta pm;
      simdjson::dom::element ref;
      if (!meta["phx_ref"].get(ref))
        pm.ref = ref_of(ref);
      pm.json = simdjson::minify(m);
      p.metas.push_back(std::move(pm));
    }
  }
  if (!has_metas)
    return std::nullopt;
  return p;
}

std::optional<presence_map> decode_map(simdjson::dom::element v) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj))
    return std::nullopt;
  presence_map out;
  for (auto field : obj) {
    auto p = decode_presence(field.value);
    if (!p)
      return std::nullopt;
    out.set(std::string{field.key}, std::move(*p));
  }
  return out;
}

std::unordered_set<std::string> refs_of(const presence& p) {
  std::unordered_set<std::string> out;
  for (auto& m : p.metas)
    out.insert(m.ref);
  return out;
}

/// The metas of `p` whose ref is not in `refs`, in order.
std::vector<presence_meta> without(const std::vector<presence_meta>& metas,
                                   const std::unordered_set<std::string>& refs) {
  std::vector<presence_meta> out;
  for (auto& m : metas)
    if (refs.count(m.ref) == 0)
      out.push_back(m);
  return out;
}

} // namespace

std::string presence::to_json() const {
  std::string out = "{\"metas\":[";
  for (size_t i = 0; i < metas.size(); ++i) {
    if (i > 0)
      out += ',';
    out += metas[i].json;
  }
  out += ']';
  if (!extra.empty())
    out += ',' + extra;
  out += '}';
  return out;
}

const presence* presence_map::find(const std::string& key) const {
  auto i = by_key_.find(key);
  return i == by_key_.end() ? nullptr : &i->second.first;
}

void presence_map::set(const std::string& key, presence p) {
  if (auto i = by_key_.find(key); i != by_key_.end()) {
    i->second.first = std::move(p);
    return;
  }
  order_.emplace(added_, key);
  by_key_.emplace(key, std::make_pair(std::move(p), added_++));
}

void presence_map::erase(const std::string& key) {
  if (auto i = by_key_.find(key); i != by_key_.end()) {
    order_.erase(i->second.second);
    by_key_.erase(i);
  }
}

std::vector<std::string> presence_map::keys() const {
  std::vector<std::pair<uint32_t, std::string>> indices;
  std::vector<std::string> names;
  for (auto& [place, key] : order_) {
    if (auto n = array_index(key))
      indices.emplace_back(*n, key);
    else
      names.push_back(key);
  }
  std::sort(indices.begin(), indices.end());
  std::vector<std::string> out;
  out.reserve(order_.size());
  for (auto& [n, key] : indices)
    out.push_back(std::move(key));
  for (auto& key : names)
    out.push_back(std::move(key));
  return out;
}

std::vector<std::pair<std::string, presence>> presence_map::list() const {
  std::vector<std::pair<std::string, presence>> out;
  for (auto& key : keys())
    out.emplace_back(key, *find(key));
  return out;
}

std::optional<presence_map> decode_presence_state(std::string_view payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(payload.data(), payload.size()).get(root))
    return std::nullopt;
  return decode_map(root);
}

std::optional<presence_diff> decode_presence_diff(std::string_view payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(payload.data(), payload.size()).get(root))
    return std::nullopt;
  simdjson::dom::element joins, leaves;
  if (root["joins"].get(joins) || root["leaves"].get(leaves))
    return std::nullopt;
  auto j = decode_map(joins);
  auto l = decode_map(leaves);
  if (!j || !l)
    return std::nullopt;
  return presence_diff{std::move(*j), std::move(*l)};
}

presence_changes sync_state(presence_map& state, const presence_map& incoming) {
  presence_diff diff;
  for (auto& key : state.keys())
    if (!incoming.find(key))
      diff.leaves.set(key, *state.find(key));
  for (auto& key : incoming.keys()) {
    auto& next = *incoming.find(key);
    auto* now = state.find(key);
    if (!now) {
      diff.joins.set(key, next);
      continue;
    }
    auto joined = without(next.metas, refs_of(*now));
    auto left = without(now->metas, refs_of(next));
    if (!joined.empty())
      diff.joins.set(key, presence{std::move(joined), next.extra});
    if (!left.empty())
      diff.leaves.set(key, presence{std::move(left), now->extra});
  }
  return sync_diff(state, diff);
}

presence_changes sync_diff(presence_map& state, const presence_diff& diff) {
  presence_changes out;
  for (auto& key : diff.joins.keys()) {
    auto& joined = *diff.joins.find(key);
    std::optional<presence> before;
    if (auto* now = state.find(key))
      before = *now;
    presence next = joined;
    if (before) { // metas already here stay first, unless the join names them again
      auto kept = without(before->metas, refs_of(joined));
      next.metas.insert(next.metas.begin(), kept.begin(), kept.end());
    }
    state.set(key, std::move(next));
    out.joins.push_back(presence_joined{key, std::move(before), joined});
  }
  for (auto& key : diff.leaves.keys()) {
    auto* now = state.find(key);
    if (!now)
      continue;
    auto& left = *diff.leaves.find(key);
    presence remaining{without(now->metas, refs_of(left)), now->extra};
    bool gone = remaining.metas.empty();
    out.leaves.push_back(presence_left{key, remaining, left});
    if (gone)
      state.erase(key);
    else
      state.set(key, std::move(remaining));
  }
  return out;
}

presence_tracker::result presence_tracker::on_state(std::string_view payload,
                                                    const std::string& join_ref) {
  auto incoming = decode_presence_state(payload);
  if (!incoming)
    return {outcome::invalid, {}};
  synced_join_ = join_ref;
  auto changes = sync_state(state_, *incoming);
  for (auto& diff : pending_) {
    auto more = sync_diff(state_, diff);
    std::move(more.joins.begin(), more.joins.end(), std::back_inserter(changes.joins));
    std::move(more.leaves.begin(), more.leaves.end(), std::back_inserter(changes.leaves));
  }
  pending_.clear();
  return {outcome::synced, std::move(changes)};
}

presence_tracker::result presence_tracker::on_diff(std::string_view payload,
                                                   const std::string& join_ref) {
  auto diff = decode_presence_diff(payload);
  if (!diff)
    return {outcome::invalid, {}};
  if (!synced_join_ || *synced_join_ != join_ref) {
    pending_.push_back(std::move(*diff));
    return {outcome::held, {}};
  }
  return {outcome::synced, sync_diff(state_, *diff)};
}

} // namespace tether::protocol
