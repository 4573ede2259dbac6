#include "apps/tetherd/metrics.hpp"

#include <chrono>
#include <cstdio>

namespace tether::daemon {

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// Label values escaped as the exposition format asks (\\, \", \n).
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

} // namespace

void histogram::observe(double seconds) {
  for (size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i])
      ++buckets_[i];
  ++count_;
  sum_ += seconds;
}

void histogram::render(std::string& out, const std::string& name) const {
  for (size_t i = 0; i < bounds.size(); ++i)
    out += name + "_bucket{le=\"" + number(bounds[i]) + "\"} " + std::to_string(buckets_[i])
           + "\n";
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + number(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

void metrics::count(const std::string& account, const tree_event& e) {
  ++events;
  if (auto* r = std::get_if<supervisor_reported>(&e))
    ++supervisor_reports[{account, r->context, r->child}];
  if (auto* r = std::get_if<reconnect_scheduled>(&e)) {
    ++reconnects;
    ++reconnect_causes[r->cause];
  }
  if (auto* hb = std::get_if<heartbeat_answered>(&e))
    heartbeat_rtt.observe(std::chrono::duration<double>(hb->rtt).count());
}

void metrics::count_push(const std::string& account, const std::string& outcome) {
  ++pushes[outcome];
  ++account_pushes[{account, outcome}];
}

namespace {

/// The per-account families: a few series for each account the daemon has
/// now (docs/operations.md, "Metrics", on their cardinality).
void render_accounts(std::string& out, const metrics& m,
                     const std::map<std::string, account_status>& accounts) {
  auto line = [&](const char* name, const std::string& account, const std::string& value) {
    out += std::string{name} + "{account=\"" + label(account) + "\"} " + value + "\n";
  };
  header(out, "tether_account_up", "gauge",
         "1 while the account's socket is open (connected or joined), else 0.");
  for (auto& [name, s] : accounts)
    line("tether_account_up", name,
         s.state == account_state::connected || s.state == account_state::joined ? "1" : "0");
  header(out, "tether_account_topics_joined", "gauge", "Topics the account has joined.");
  for (auto& [name, s] : accounts) {
    size_t joined = 0;
    for (auto& [topic, state] : s.topics)
      joined += state == "joined";
    line("tether_account_topics_joined", name, std::to_string(joined));
  }
  header(out, "tether_account_reconnects_total", "counter",
         "Reconnect attempts scheduled for the account since it (re)started.");
  for (auto& [name, s] : accounts)
    line("tether_account_reconnects_total", name, std::to_string(s.reconnects));
  header(out, "tether_account_frames_dropped_total", "counter",
         "Server frames the account's tree dropped (frame_dropped) since it (re)started.");
  for (auto& [name, s] : accounts)
    line("tether_account_frames_dropped_total", name, std::to_string(s.frames_dropped));
  header(out, "tether_account_heartbeat_rtt_seconds", "gauge",
         "The account's last heartbeat round trip (absent until one was answered).");
  for (auto& [name, s] : accounts)
    if (s.rtt_us)
      line("tether_account_heartbeat_rtt_seconds", name, number(static_cast<double>(*s.rtt_us) / 1e6));
  header(out, "tether_account_pushes_total", "counter", "API pushes by account and outcome.");
  for (auto& [key, n] : m.account_pushes)
    if (accounts.count(key.first)) // a removed account's series goes with it
      out += "tether_account_pushes_total{account=\"" + label(key.first) + "\",outcome=\""
             + label(key.second) + "\"} " + std::to_string(n) + "\n";
}

} // namespace

std::string render_prometheus(const metrics& m,
                              const std::map<std::string, account_status>& accounts,
                              size_t actors_alive) {
  std::string out;
  header(out, "tether_connections", "gauge", "Accounts by connection state.");
  for (auto state : all_states) {
    size_t n = 0;
    for (auto& [name, status] : accounts)
      n += status.state == state;
    out += "tether_connections{state=\"" + std::string{to_string(state)} + "\"} "
           + std::to_string(n) + "\n";
  }
  header(out, "tether_reconnects_total", "counter", "Reconnect attempts scheduled.");
  out += "tether_reconnects_total " + std::to_string(m.reconnects) + "\n";
  header(out, "tether_reconnects_by_cause_total", "counter",
         "Reconnect attempts scheduled, by why the socket went down or never opened.");
  for (auto& [cause, n] : m.reconnect_causes)
    out += "tether_reconnects_by_cause_total{cause=\"" + label(cause) + "\"} "
           + std::to_string(n) + "\n";
  header(out, "tether_supervisor_reports_total", "counter",
         "Supervisor reports (OTP's) by account, context and child; "
         "child_terminated counts a child's restarts.");
  for (auto& [key, n] : m.supervisor_reports) {
    auto& [account, context, child] = key;
    out += "tether_supervisor_reports_total{account=\"" + label(account) + "\",context=\""
           + label(context) + "\",child=\"" + label(child) + "\"} " + std::to_string(n)
           + "\n";
  }
  header(out, "tether_heartbeat_rtt_seconds", "histogram",
         "Round trip of answered heartbeats.");
  m.heartbeat_rtt.render(out, "tether_heartbeat_rtt_seconds");
  header(out, "tether_pushes_total", "counter", "API pushes by outcome.");
  for (auto& [outcome, n] : m.pushes)
    out += "tether_pushes_total{outcome=\"" + label(outcome) + "\"} " + std::to_string(n)
           + "\n";
  header(out, "tether_pushes_in_flight", "gauge", "API pushes waiting for their outcome.");
  out += "tether_pushes_in_flight " + std::to_string(m.pushes_in_flight) + "\n";
  header(out, "tether_events_total", "counter", "Events received from connection trees.");
  out += "tether_events_total " + std::to_string(m.events) + "\n";
  header(out, "tether_api_requests_total", "counter", "Control API requests.");
  out += "tether_api_requests_total " + std::to_string(m.api_requests) + "\n";
  if (m.clustered) {
    size_t held = 0;
    for (auto& [name, status] : accounts)
      held += status.state != account_state::stopped && status.state != account_state::elsewhere;
    header(out, "tether_leases_held", "gauge", "Accounts this node holds the lease of.");
    out += "tether_leases_held " + std::to_string(held) + "\n";
    header(out, "tether_lease_claims_total", "counter",
           "Claims of free accounts, by outcome (won, or lost to another node).");
    out += "tether_lease_claims_total{outcome=\"won\"} " + std::to_string(m.claims) + "\n";
    out += "tether_lease_claims_total{outcome=\"lost\"} " + std::to_string(m.claims_refused)
           + "\n";
    header(out, "tether_lease_handoffs_total", "counter",
           "Accounts handed over to other nodes (rebalance or drain).");
    out += "tether_lease_handoffs_total " + std::to_string(m.handoffs) + "\n";
    header(out, "tether_leases_lost_total", "counter",
           "Leases found taken at renewal (the account stopped here).");
    out += "tether_leases_lost_total " + std::to_string(m.leases_lost) + "\n";
    header(out, "tether_lease_renew_failures_total", "counter",
           "Lease renewals that did not reach the store (as of the last claim round).");
    out += "tether_lease_renew_failures_total " + std::to_string(m.renew_failures) + "\n";
    header(out, "tether_lease_survey_failures_total", "counter",
           "Rounds in which the lease store could not be asked.");
    out += "tether_lease_survey_failures_total " + std::to_string(m.survey_failures) + "\n";
  }
  header(out, "tether_actors_alive", "gauge", "Actors running in the daemon.");
  out += "tether_actors_alive " + std::to_string(actors_alive) + "\n";
  render_accounts(out, m, accounts);
  return out;
}

} // namespace tether::daemon
