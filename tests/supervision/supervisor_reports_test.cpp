// Supervisor reports (OTP's report_error/4): every failure a supervisor
// handles reaches the report hook of its flags, named and in order; the
// template supervisor (simple_one_for_one). The whole table is checked
// against the real OTP supervisor by otp_parity.sh; these tests pin the
// fields an owner reads.

#include "helpers.hpp"

#include <caf/exit_reason.hpp>

using namespace tether::sup;
using namespace tether::testing;
using namespace std::chrono_literals;

namespace {

struct report_log {
  std::vector<supervisor_report> reports;

  report_fn hook() {
    return [this](const supervisor_report& r) { reports.push_back(r); };
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (auto& r : reports)
      out.push_back(r.supervisor + " " + to_string(r.context) + " " + r.child_id);
    return out;
  }
};

supervisor_flags named(report_log& log, int max_restarts = 3) {
  supervisor_flags f;
  f.name = "top";
  f.max_restarts = max_restarts;
  f.report = log.hook();
  return f;
}

using lines = std::vector<std::string>;

} // namespace

TEST_CASE("a crashed child is reported with its id, actor and reason",
          "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  auto sup = spawn_supervisor(t.sys(), named(log), {journaling_spec(journal, "a")});
  t.run();
  auto a = child(t, sup, "a");
  crash(t, a);
  REQUIRE(log.reports.size() == 1);
  auto& r = log.reports.front();
  CHECK(r.supervisor == "top");
  CHECK(r.context == report_context::child_terminated);
  CHECK(r.child_id == "a");
  CHECK(r.child == a.address());
  CHECK(r.reason == caf::sec::runtime_error);
}

TEST_CASE("clean exits of transient and temporary children are not reported",
          "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  auto sup = spawn_supervisor(
    t.sys(), named(log),
    {journaling_spec(journal, "trans", restart_type::transient),
     journaling_spec(journal, "temp", restart_type::temporary),
     journaling_spec(journal, "perm")});
  t.run();
  finish(t, child(t, sup, "trans"));
  finish(t, child(t, sup, "temp"));
  CHECK(log.reports.empty());
  finish(t, child(t, sup, "perm")); // a permanent child's normal exit is
  CHECK(log.lines() == lines{"top child_terminated perm"}); // reported (OTP)
}

TEST_CASE("clean_shutdown is a clean exit that says why", "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  auto sup = spawn_supervisor(t.sys(), named(log),
                              {journaling_spec(journal, "trans", restart_type::transient)});
  t.run();
  auto why = clean_shutdown(caf::make_message(std::string{"done"}));
  CHECK(is_clean_exit(why));
  caf::anon_send(child(t, sup, "trans"), caf::exit_msg{caf::actor_addr{}, why});
  t.run();
  CHECK(log.reports.empty());
  CHECK(journal->with_prefix("start:trans").size() == 1); // not restarted
}

TEST_CASE("giving up is reported after the crash that caused it", "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  auto sup = spawn_supervisor(t.sys(), named(log, 1), {journaling_spec(journal, "a")});
  t.run();
  crash(t, child(t, sup, "a"));
  crash(t, child(t, sup, "a"));
  CHECK(log.lines()
        == lines{"top child_terminated a", "top child_terminated a", "top shutdown a"});
  CHECK(is(log.reports.back().reason, supervision_errc::reached_max_restart_intensity));
}

TEST_CASE("a failed restart is reported; a failed start the caller asked for is not",
          "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  worker_options flaky;
  flaky.failures_left = std::make_shared<int>(0);
  auto sup = spawn_supervisor(t.sys(), named(log),
                              {journaling_spec(journal, "flaky", restart_type::permanent, flaky)});
  t.run();
  *flaky.failures_left = 1;
  crash(t, child(t, sup, "flaky"));
  CHECK(log.lines() == lines{"top child_terminated flaky", "top start_error flaky"});
  CHECK(child(t, sup, "flaky")); // the retry started it
  log.reports.clear();
  worker_options failing;
  failing.failures_left = std::make_shared<int>(1);
  auto r = t.request<caf::actor>(
    sup, start_atom::value, journaling_spec(journal, "late", restart_type::permanent, failing));
  REQUIRE(r.has_value());
  CHECK(is(r->error(), supervision_errc::child_start_failed));
  CHECK(log.reports.empty()); // the caller was told
}

TEST_CASE("a child killed after its shutdown grace is a shutdown_error",
          "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  worker_options stubborn;
  stubborn.ignore_shutdown = true;
  auto spec = journaling_spec(journal, "stubborn", restart_type::permanent, stubborn);
  spec.shutdown = shutdown_policy::timeout(200ms);
  auto sup = spawn_supervisor(t.sys(), named(log), {spec, journaling_spec(journal, "polite")});
  t.run();
  auto down = t.watch(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  t.run();
  CHECK(log.reports.empty()); // polite stopped as asked
  t.advance(200ms);
  REQUIRE(down->has_value());
  CHECK(log.lines() == lines{"top shutdown_error stubborn"});
  CHECK(log.reports.back().reason == caf::exit_reason::kill);
}

TEST_CASE("a template supervisor starts each child with its own arguments, and "
          "restarts it with them",
          "[supervision]") {
  deterministic_system t;
  auto journal = std::make_shared<tether::testing::journal>();
  report_log log;
  child_template tmpl;
  tmpl.start = [journal](caf::actor_system& sys, const caf::message& extra) {
    return journaling_worker(journal, extra.get_as<std::string>(0))(sys);
  };
  dynamic_supervisor_flags flags;
  flags.name = "pool";
  flags.report = log.hook();
  auto sup = spawn_template_supervisor(t.sys(), flags, tmpl);
  for (auto name : {"w1", "w2"})
    REQUIRE(*t.request<caf::actor>(sup, start_atom::value,
                                   caf::make_message(std::string{name})));
  auto first = which(t, sup);
  REQUIRE(first.size() == 2);
  CHECK(first[0].id.empty()); // template children have no id (OTP: undefined)
  journal->clear();
  crash(t, first[0].handle);
  CHECK(journal->lines == lines{"stop:w1", "start:w1"});
  REQUIRE(log.reports.size() == 1);
  CHECK(log.reports[0].child == first[0].handle.address());
  auto rows = which(t, sup); // the restarted child is the newest
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].handle == first[1].handle);
  auto n = t.request<child_counts>(sup, count_atom::value);
  CHECK((*n)->specs == 1); // the template, as OTP's simple_one_for_one
  CHECK((*n)->active == 2);
  CHECK((*n)->workers == 2);
}
