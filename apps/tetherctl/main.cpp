// tetherctl: the command line of tetherd's control API (docs/operations.md,
// "tetherctl"). It reads the API's address and token from tetherd's config,
// or takes them as options, sends one request per command, and exits with
// a code that says what happened.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "apps/common/version.hpp"
#include "apps/tetherctl/api_client.hpp"
#include "apps/tetherd/config.hpp"

using namespace tether;

namespace {

// Exit codes (also in the usage text and docs/operations.md).
constexpr int exit_ok = 0;
constexpr int exit_refused = 1;     // the API answered with an error
constexpr int exit_usage = 2;       // a bad command line or config
constexpr int exit_unreachable = 3; // no answer from the API

const char* usage =
  "usage: tetherctl [--config FILE | --api ADDR --token-file FILE] COMMAND ...\n"
  "\n"
  "commands:\n"
  "  status [ACCOUNT] [--json]         accounts: node, state, uptime, topics, last cause, attempt, RTT\n"
  "  push ACCOUNT TOPIC EVENT [PAYLOAD] [--timeout-ms N]\n"
  "                                    push and print the server's reply\n"
  "  join ACCOUNT TOPIC [PARAMS]       join a topic (PARAMS: a JSON object)\n"
  "  leave ACCOUNT TOPIC               leave a topic\n"
  "  reconnect ACCOUNT                 connect again now\n"
  "  disconnect ACCOUNT                close the socket, no retries\n"
  "  stop ACCOUNT | start ACCOUNT      take the account's tree down / build it again\n"
  "  presence ACCOUNT TOPIC [--json]   who is on a topic: each key with its metas\n"
  "  reload                            read the config again (as SIGHUP)\n"
  "  events [--account A] [--topic T] [--json]\n"
  "                                    follow the event stream\n"
  "  check                             validate the config (as tetherd --check)\n"
  "\n"
  "options:\n"
  "  --config FILE      tetherd's config: the API's address and token (default\n"
  "                     /etc/tetherd/tetherd.toml)\n"
  "  --api ADDR         the API's address instead (127.0.0.1:4100, unix:/path)\n"
  "  --token-file FILE  the bearer token with --api (or $TETHERCTL_TOKEN)\n"
  "  --help, --version\n"
  "\n"
  "exit codes: 0 done; 1 the API refused (its error is printed); 2 a bad command\n"
  "line or config; 3 the API cannot be reached.\n";

struct command_line {
  std::string config = "/etc/tetherd/tetherd.toml";
  bool config_given = false;
  std::string api;
  std::string token_file;
  bool json = false;
  std::optional<long> timeout_ms;
  std::string account_filter, topic_filter;
  std::vector<std::string> words; ///< the command and its arguments
};

[[noreturn]] void refuse(const std::string& why) {
  std::fprintf(stderr, "tetherctl: %s\n", why.c_str());
  std::exit(exit_usage);
}

command_line parse(int argc, char** argv) {
  command_line c;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc)
      refuse(std::string{argv[i]} + " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      std::exit(exit_ok);
    } else if (a == "--version") {
      std::printf("tetherctl %s\n", apps::version);
      std::exit(exit_ok);
    } else if (a == "--config") {
      c.config = value(i);
      c.config_given = true;
    } else if (a == "--api") {
      c.api = value(i);
    } else if (a == "--token-file") {
      c.token_file = value(i);
    } else if (a == "--json") {
      c.json = true;
    } else if (a == "--account") {
      c.account_filter = value(i);
    } else if (a == "--topic") {
      c.topic_filter = value(i);
    } else if (a == "--timeout-ms") {
      auto text = value(i);
      char* end = nullptr;
      auto n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end || n <= 0)
        refuse("--timeout-ms takes a positive number of milliseconds, not " + text);
      c.timeout_ms = n;
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      refuse("unknown option " + a + " (--help lists them)");
    } else {
      c.words.push_back(a);
    }
  }
  if (c.words.empty())
    refuse("no command (--help lists them)");
  return c;
}

std::string read_token_file(const std::string& path) {
  auto text = std::string{};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[512];
    while (auto n = std::fread(buf, 1, sizeof(buf), f))
      text.append(buf, n);
    std::fclose(f);
  } else {
    refuse("cannot read the token file " + path);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

/// The API's address and token: from --api and the token, else the config.
ctl::api_client client_of(const command_line& c) {
  try {
    if (!c.api.empty()) {
      std::string token;
      if (!c.token_file.empty())
        token = read_token_file(c.token_file);
      else if (auto* env = std::getenv("TETHERCTL_TOKEN"))
        token = env;
      else
        refuse("--api needs --token-file FILE or $TETHERCTL_TOKEN");
      return ctl::api_client{c.api, token};
    }
    auto loaded = daemon::load_config(c.config);
    if (auto* err = std::get_if<daemon::config_error>(&loaded))
      refuse(err->to_string());
    auto& cfg = std::get<daemon::daemon_config>(loaded);
    return ctl::api_client{cfg.api.listen, cfg.api.token};
  } catch (const std::exception& ex) {
    refuse(ex.what());
  }
}

std::string path_segment(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

std::string json_string(const std::string& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buf.GetString(), buf.GetSize()};
}

/// A JSON argument must be an object (payload, join params).
std::string json_object_arg(const std::string& what, const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject())
    refuse(what + " must be a JSON object, not " + text);
  return text;
}

int answered(const std::optional<ctl::http_answer>& a, const std::string& why, bool print_ok) {
  if (!a) {
    std::fprintf(stderr, "tetherctl: %s\n", why.c_str());
    return exit_unreachable;
  }
  if (a->status >= 200 && a->status < 300) {
    if (print_ok)
      std::printf("%s\n", a->body.c_str());
    return exit_ok;
  }
  rapidjson::Document d;
  d.Parse(a->body.c_str());
  std::string message = a->body;
  if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString())
    message = std::string{d["error"].IsString() ? d["error"].GetString() : ""} + ": "
              + d["message"].GetString();
  std::fprintf(stderr, "tetherctl: %d %s\n", a->status, message.c_str());
  if (print_ok && !a->body.empty() && d.IsObject() && d.HasMember("response"))
    std::printf("%s\n", a->body.c_str()); // a rejected push: the server's reply
  return exit_refused;
}

std::string text_of(const rapidjson::Value& v) {
  if (v.IsString())
    return v.GetString();
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

/// "-", "42s", "3m07s", "2h05m", "3d04h": an uptime readable at a glance.
std::string duration_text(const rapidjson::Value& ms) {
  if (!ms.IsInt64() || ms.GetInt64() < 0)
    return "-";
  auto s = ms.GetInt64() / 1000;
  char out[32];
  if (s < 60)
    std::snprintf(out, sizeof(out), "%llds", static_cast<long long>(s));
  else if (s < 3600)
    std::snprintf(out, sizeof(out), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else if (s < 86400)
    std::snprintf(out, sizeof(out), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else
    std::snprintf(out, sizeof(out), "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  return out;
}

void print_table(const rapidjson::Value& accounts) {
  std::vector<std::vector<std::string>> rows{
    {"ACCOUNT", "NODE", "STATE", "UPTIME", "ATTEMPT", "RTT_MS", "LAST_CAUSE", "TOPICS"}};
  for (auto& a : accounts.GetArray()) {
    std::string topics;
    if (a.HasMember("topics") && a["topics"].IsObject())
      for (auto& t : a["topics"].GetObject())
        topics += (topics.empty() ? "" : " ") + std::string{t.name.GetString()} + "="
                  + text_of(t.value);
    auto field = [&](const char* k) { return a.HasMember(k) ? text_of(a[k]) : ""; };
    auto rtt = field("heartbeat_rtt_ms");
    auto uptime = a.HasMember("uptime_ms") ? duration_text(a["uptime_ms"]) : "-";
    rows.push_back({field("name"), field("node"), field("state"), uptime, field("attempt"),
                    rtt == "null" ? "-" : rtt, field("last_cause").empty() ? "-" : field("last_cause"),
                    topics.empty() ? "-" : topics});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  for (auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += r[i] + (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
    std::printf("%s\n", line.c_str());
  }
}

int status(const ctl::api_client& api, const command_line& c) {
  auto path = c.words.size() > 1 ? "/accounts/" + path_segment(c.words[1]) : "/accounts";
  std::string why;
  auto a = api.request("GET", path, "", why);
  if (!a || a->status != 200)
    return answered(a, why, false);
  if (c.json) {
    std::printf("%s\n", a->body.c_str());
    return exit_ok;
  }
  rapidjson::Document d;
  d.Parse(a->body.c_str());
  if (d.HasParseError()) {
    std::fprintf(stderr, "tetherctl: the API's answer is not JSON\n");
    return exit_unreachable;
  }
  if (d.IsObject()) { // one account
    rapidjson::Document list;
    list.SetArray();
    list.PushBack(rapidjson::Value{d, list.GetAllocator()}, list.GetAllocator());
    print_table(list);
  } else {
    print_table(d);
  }
  return exit_ok;
}

int events(const ctl::api_client& api, const command_line& c) {
  auto path = "/events" + (c.account_filter.empty() ? "" : "?account=" + path_segment(c.account_filter));
  std::optional<ctl::http_answer> refused;
  std::string why;
  bool ok = api.stream(path, [&](const std::string& line) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (!c.topic_filter.empty()) {
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("topic")
          || text_of(d["topic"]) != c.topic_filter)
        return true;
    }
    if (c.json || d.HasParseError() || !d.IsObject()) {
      std::printf("%s\n", line.c_str());
    } else { // "alice topic_joined topic=room:a response={}"
      std::string out = (d.HasMember("account") ? text_of(d["account"]) : "?") + " "
                        + (d.HasMember("type") ? text_of(d["type"]) : "?");
      for (auto& m : d.GetObject()) {
        std::string key = m.name.GetString();
        if (key != "account" && key != "type")
          out += " " + key + "=" + text_of(m.value);
      }
      std::printf("%s\n", out.c_str());
    }
    std::fflush(stdout);
    return true;
  }, refused, why);
  if (refused)
    return answered(refused, "", false);
  if (!ok) {
    std::fprintf(stderr, "tetherctl: %s\n", why.c_str());
    return exit_unreachable;
  }
  std::fprintf(stderr, "tetherctl: the event stream ended (tetherd stopped?)\n");
  return exit_unreachable;
}

/// GET .../presence/TOPIC: one line per key, "KEY  N  META META…" (or the
/// JSON with --json).
int presence(const ctl::api_client& api, const command_line& c) {
  std::string why;
  auto a = api.request("GET", "/accounts/" + path_segment(c.words[1]) + "/presence/"
                                + path_segment(c.words[2]), "", why);
  if (!a || a->status != 200 || c.json)
    return answered(a, why, true);
  rapidjson::Document d;
  d.Parse(a->body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("list") || !d["list"].IsArray())
    return answered(a, why, true);
  for (auto& e : d["list"].GetArray()) {
    if (!e.IsObject() || !e.HasMember("key") || !e.HasMember("presence"))
      continue;
    auto& metas = e["presence"]["metas"];
    std::string line = text_of(e["key"]) + "  " + std::to_string(metas.Size());
    for (auto& m : metas.GetArray())
      line += "  " + text_of(m);
    std::printf("%s\n", line.c_str());
  }
  return exit_ok;
}

int check(const command_line& c) {
  auto loaded = daemon::load_config(c.config);
  if (auto* err = std::get_if<daemon::config_error>(&loaded)) {
    std::fprintf(stderr, "tetherctl: %s\n", err->to_string().c_str());
    return exit_usage;
  }
  auto n = std::get<daemon::daemon_config>(loaded).accounts.size();
  std::printf("tetherctl: %s is valid (%zu %s)\n", c.config.c_str(), n,
              n == 1 ? "account" : "accounts");
  return exit_ok;
}

void need(const command_line& c, size_t at_least, size_t at_most, const char* form) {
  if (c.words.size() < at_least || c.words.size() > at_most)
    refuse(std::string{"usage: tetherctl "} + form);
}

} // namespace

int main(int argc, char** argv) {
  auto c = parse(argc, argv);
  auto& cmd = c.words[0];
  if (cmd == "check") {
    need(c, 1, 1, "check");
    return check(c);
  }
  static const std::map<std::string, const char*> simple = {
    {"reconnect", "reconnect"}, {"disconnect", "disconnect"}, {"stop", "stop"},
    {"start", "start"}};
  if (cmd == "status") {
    need(c, 1, 2, "status [ACCOUNT] [--json]");
    return status(client_of(c), c);
  }
  if (cmd == "presence") {
    need(c, 3, 3, "presence ACCOUNT TOPIC [--json]");
    return presence(client_of(c), c);
  }
  if (cmd == "events") {
    need(c, 1, 1, "events [--account A] [--topic T] [--json]");
    return events(client_of(c), c);
  }
  std::string method = "POST", path, body, why;
  bool print = false;
  if (cmd == "push") {
    need(c, 4, 5, "push ACCOUNT TOPIC EVENT [PAYLOAD] [--timeout-ms N]");
    body = "{\"topic\":" + json_string(c.words[2]) + ",\"event\":" + json_string(c.words[3])
           + ",\"payload\":" + (c.words.size() > 4 ? json_object_arg("PAYLOAD", c.words[4]) : "{}")
           + (c.timeout_ms ? ",\"timeout_ms\":" + std::to_string(*c.timeout_ms) : "") + "}";
    path = "/accounts/" + path_segment(c.words[1]) + "/push";
    print = true;
  } else if (cmd == "join") {
    need(c, 3, 4, "join ACCOUNT TOPIC [PARAMS]");
    body = "{\"topic\":" + json_string(c.words[2]) + ",\"params\":"
           + (c.words.size() > 3 ? json_object_arg("PARAMS", c.words[3]) : "{}") + "}";
    path = "/accounts/" + path_segment(c.words[1]) + "/join";
  } else if (cmd == "leave") {
    need(c, 3, 3, "leave ACCOUNT TOPIC");
    body = "{\"topic\":" + json_string(c.words[2]) + "}";
    path = "/accounts/" + path_segment(c.words[1]) + "/leave";
  } else if (simple.count(cmd)) {
    need(c, 2, 2, (cmd + " ACCOUNT").c_str());
    path = "/accounts/" + path_segment(c.words[1]) + "/" + simple.at(cmd);
  } else if (cmd == "reload") {
    need(c, 1, 1, "reload");
    path = "/reload";
  } else {
    refuse("unknown command " + cmd + " (--help lists them)");
  }
  auto api = client_of(c);
  return answered(api.request(method, path, body, why), why, print);
}
