#include "protocol/ack_table.hpp"

namespace tether::protocol {

std::string_view to_string(push_outcome x) noexcept {
  switch (x) {
    case push_outcome::ok:
      return "ok";
    case push_outcome::rejected:
      return "rejected";
    case push_outcome::ack_timeout:
      return "ack_timeout";
    case push_outcome::never_sent:
      return "never_sent";
    case push_outcome::sender_crashed:
      return "sender_crashed";
  }
  return "unknown";
}

void ack_table::add(uint64_t ticket, std::string topic, time_point deadline) {
  entries_.emplace(ticket, entry{std::move(topic), deadline, std::nullopt});
  by_deadline_.emplace(deadline, ticket);
}

void ack_table::assign_ref(uint64_t ticket, std::string ref) {
  auto i = entries_.find(ticket);
  if (i == entries_.end() || i->second.ref)
    return;
  by_ref_.emplace(ref, ticket);
  i->second.ref = std::move(ref);
}

void ack_table::unassign_ref(uint64_t ticket) {
  auto i = entries_.find(ticket);
  if (i == entries_.end() || !i->second.ref || i->second.sent)
    return;
  by_ref_.erase(*i->second.ref);
  i->second.ref.reset();
}

void ack_table::mark_sent(uint64_t ticket) {
  if (auto i = entries_.find(ticket); i != entries_.end())
    i->second.sent = true;
}

void ack_table::mark_sent(uint64_t ticket, std::string ref) {
  assign_ref(ticket, std::move(ref));
  mark_sent(ticket);
}

resolved_push ack_table::resolve(uint64_t ticket, push_outcome outcome,
                                 std::string response) {
  auto i = entries_.find(ticket);
  auto [lo, hi] = by_deadline_.equal_range(i->second.deadline);
  for (auto j = lo; j != hi; ++j)
    if (j->second == ticket) {
      by_deadline_.erase(j);
      break;
    }
  if (i->second.ref)
    by_ref_.erase(*i->second.ref);
  auto topic = std::move(i->second.topic);
  entries_.erase(i);
  return {ticket, outcome, std::move(response), std::move(topic)};
}

std::optional<resolved_push> ack_table::on_reply(std::string_view ref, bool ok,
                                                 std::string response) {
  auto i = by_ref_.find(std::string{ref});
  if (i == by_ref_.end())
    return std::nullopt; // unknown, or already resolved: first reply won
  return resolve(i->second, ok ? push_outcome::ok : push_outcome::rejected,
                 std::move(response));
}

std::vector<resolved_push> ack_table::expire(time_point now) {
  std::vector<uint64_t> due;
  for (auto i = by_deadline_.begin(); i != by_deadline_.end() && i->first <= now; ++i)
    due.push_back(i->second);
  std::vector<resolved_push> out;
  for (auto ticket : due) {
    bool sent = entries_.at(ticket).sent;
    out.push_back(resolve(ticket, sent ? push_outcome::ack_timeout
                                       : push_outcome::never_sent));
  }
  return out;
}

std::optional<resolved_push> ack_table::fail(uint64_t ticket, push_outcome why) {
  if (!contains(ticket))
    return std::nullopt;
  return resolve(ticket, why);
}

std::vector<resolved_push> ack_table::fail_unsent(std::string_view topic,
                                                  push_outcome why) {
  std::vector<uint64_t> hit;
  for (auto& [ticket, e] : entries_)
    if (e.topic == topic && !e.sent)
      hit.push_back(ticket);
  std::vector<resolved_push> out;
  for (auto ticket : hit)
    out.push_back(resolve(ticket, why));
  return out;
}

std::vector<resolved_push> ack_table::drain() {
  std::vector<resolved_push> out;
  while (!entries_.empty()) {
    auto ticket = entries_.begin()->first;
    bool sent = entries_.begin()->second.sent;
    out.push_back(resolve(ticket, sent ? push_outcome::ack_timeout
                                       : push_outcome::never_sent));
  }
  return out;
}

std::optional<time_point> ack_table::next_deadline() const {
  if (by_deadline_.empty())
    return std::nullopt;
  return by_deadline_.begin()->first;
}

bool ack_table::has_unsent(std::string_view topic) const {
  for (auto& [ticket, e] : entries_)
    if (e.topic == topic && !e.sent)
      return true;
  return false;
}

} // namespace tether::protocol
