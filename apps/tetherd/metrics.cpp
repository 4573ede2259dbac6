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
  header(out, "tether_actors_alive", "gauge", "Actors running in the daemon.");
  out += "tether_actors_alive " + std::to_string(actors_alive) + "\n";
  return out;
}

} // namespace tether::daemon
