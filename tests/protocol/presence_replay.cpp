// Feeds presence events to tether's presence tracker and prints what it
// holds after each, for the differential test against phoenix.js
// (tests/conformance/presence_differential.mjs). One JSON object per line:
//   in:  {"op":"state"|"diff","join_ref":"3","payload":{...}}  or  {"op":"reset"}
//   out: {"outcome":"synced"|"held"|"invalid","list":[{"key":K,"presence":P}],
//         "joins":[{"key":K,"before":P|null,"joined":P}],
//         "leaves":[{"key":K,"remaining":P,"left":P}]}

#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/presence.hpp"

using tether::protocol::presence_tracker;
using json = nlohmann::ordered_json; // the payload keeps its order: it is part of the rule

int main() {
  std::ios::sync_with_stdio(false);
  presence_tracker tracker;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto in = json::parse(line);
    if (in.at("op") == "reset") {
      tracker = presence_tracker{};
      std::cout << "{}\n";
      continue;
    }
    auto payload = in.at("payload").dump();
    auto ref = in.at("join_ref").get<std::string>();
    auto r = in.at("op") == "state" ? tracker.on_state(payload, ref) : tracker.on_diff(payload, ref);
    json out;
    out["outcome"] = r.what == presence_tracker::outcome::synced ? "synced"
                     : r.what == presence_tracker::outcome::held ? "held"
                                                                   : "invalid";
    out["list"] = json::array();
    for (auto& [key, p] : tracker.current().list())
      out["list"].push_back({{"key", key}, {"presence", json::parse(p.to_json())}});
    out["joins"] = json::array();
    for (auto& j : r.changes.joins)
      out["joins"].push_back({{"key", j.key},
                              {"before", j.before ? json::parse(j.before->to_json()) : json()},
                              {"joined", json::parse(j.joined.to_json())}});
    out["leaves"] = json::array();
    for (auto& l : r.changes.leaves)
      out["leaves"].push_back({{"key", l.key},
                               {"remaining", json::parse(l.remaining.to_json())},
                               {"left", json::parse(l.left.to_json())}});
    std::cout << out.dump() << '\n';
  }
}
