// tetherd's config: what an operator's file turns into, and how a bad one is
// refused (file:line, the key, the reason; nothing starts).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "apps/tetherd/config.hpp"
#include "apps/tetherd/daemon.hpp"
#include "storage/scratch_dir.hpp"

using namespace tether::daemon;
using namespace std::chrono_literals;

namespace {

const char* minimal = R"(
[api]
token = "t"

[[account]]
name = "alice"
url = "ws://127.0.0.1:4000/socket/websocket"
)";

daemon_config parse_ok(const std::string& text) {
  auto r = parse_config(text, "d.toml", "/etc/tetherd");
  if (auto* err = std::get_if<config_error>(&r))
    FAIL(err->to_string());
  return std::get<daemon_config>(r);
}

std::string refusal(const std::string& text) {
  auto r = parse_config(text, "d.toml", "/etc/tetherd");
  REQUIRE(std::holds_alternative<config_error>(r));
  return std::get<config_error>(r).to_string();
}

} // namespace

TEST_CASE("a minimal config takes every default", "[tetherd]") {
  auto cfg = parse_ok(minimal);
  CHECK(cfg.api.listen == "127.0.0.1:4100");
  CHECK(cfg.api.token == "t");
  CHECK(cfg.storage.type == storage_config::kind::none);
  CHECK(cfg.drain_timeout == 5000ms);
  REQUIRE(cfg.accounts.size() == 1);
  auto& a = cfg.accounts[0];
  CHECK(a.name == "alice");
  CHECK(a.topics.empty());
  CHECK_FALSE(a.offline);
  CHECK(a.verify_tls);
  CHECK(a.timing == timing_settings{});
}

TEST_CASE("the daemon's heartbeats fire on a 100 ms grid unless timer_slack_ms says "
          "otherwise, per account or for all",
          "[tetherd]") {
  auto cfg = parse_ok(std::string{minimal} + R"(
[[account]]
name = "exact"
url = "ws://127.0.0.1:4000/socket/websocket"
timer_slack_ms = 0
)");
  CHECK(connection_settings(cfg, cfg.accounts[0]).heartbeat.slack == default_timer_slack);
  CHECK(default_timer_slack == 100ms);
  CHECK(connection_settings(cfg, cfg.accounts[1]).heartbeat.slack == 0ms);
  auto all = parse_ok(std::string{minimal} + "[defaults]\ntimer_slack_ms = 250\n");
  CHECK(connection_settings(all, all.accounts[0]).heartbeat.slack == 250ms);
}

TEST_CASE("accounts carry params, topics with join params, overrides and "
          "relative paths resolved from the config's folder",
          "[tetherd]") {
  auto cfg = parse_ok(R"(
log = "json"
drain_timeout_ms = 2000
[api]
listen = "unix:/run/tetherd.sock"
token = "t"
[storage]
kind = "sqlite"
path = "state/t.db"
[defaults]
heartbeat_ms = 15000
ack_timeout_ms = 5000
[[account]]
name = "a"
url = "wss://example.test/socket/websocket"
params = { token = "abc", device = "d1" }
topics = ["room:lobby", { topic = "room:b", params = { since = 42, tags = ["x"] } }]
heartbeat_ms = 5000
liveness_max_missed = 0
timer_slack_ms = 0
reconnect_jitter = true
offline = true
[[account]]
name = "b"
url = "ws://127.0.0.1:4000/socket/websocket"
params_file = "secrets/b.toml"
)");
  CHECK(cfg.log == daemon_config::log_format::json);
  CHECK(cfg.drain_timeout == 2000ms);
  CHECK(cfg.api.listen == "unix:/run/tetherd.sock");
  CHECK(cfg.storage.type == storage_config::kind::sqlite);
  CHECK(cfg.storage.path == "/etc/tetherd/state/t.db");
  CHECK(cfg.defaults.heartbeat == 15000ms);
  CHECK(cfg.defaults.ack_timeout == 5000ms);
  auto& a = cfg.accounts[0];
  // TOML tables have no order: params come sorted by key
  CHECK(a.params
        == std::vector<std::pair<std::string, std::string>>{{"device", "d1"},
                                                            {"token", "abc"}});
  CHECK(a.topics.at("room:lobby") == "{}");
  CHECK(a.topics.at("room:b") == R"({"since":42,"tags":["x"]})");
  CHECK(a.timing.heartbeat == 5000ms);
  CHECK(a.timing.liveness_max_missed == 0u);
  CHECK(a.timing.timer_slack == 0ms);
  CHECK_FALSE(cfg.defaults.timer_slack);
  CHECK(a.timing.reconnect_jitter == true);
  CHECK(a.offline);
  CHECK(cfg.accounts[1].params_file == "/etc/tetherd/secrets/b.toml");
}

TEST_CASE("a bad config is refused with file, line, key and reason", "[tetherd]") {
  // an unknown key (a typo must not be ignored)
  CHECK(refusal(std::string{minimal} + "heartbeet_ms = 5\n")
        == "d.toml:8: account[1].heartbeet_ms: unknown key");
  CHECK(refusal("colour = 1\n[api]\ntoken = \"t\"\n") == "d.toml:1: colour: unknown key");
  // a wrong type
  CHECK(refusal(std::string{minimal} + "heartbeat_ms = \"5s\"\n")
        == "d.toml:8: account[1].heartbeat_ms: expected an integer, found a string");
  // a missing required key, reported where its table starts
  CHECK(refusal("[api]\ntoken = \"t\"\n\n[[account]]\nname = \"a\"\n")
        == "d.toml:4: account[1].url: required key is missing");
  CHECK(refusal("[[account]]\nname = \"a\"\nurl = \"ws://h/s\"\n")
        == "d.toml:1: api: required key is missing");
  // values out of range or of the wrong form
  CHECK(refusal(std::string{minimal} + "url2 = 1\n") == "d.toml:8: account[1].url2: unknown key");
  CHECK(refusal("[api]\ntoken = \"t\"\n[[account]]\nname = \"a\"\nurl = \"http://h\"\n")
        == "d.toml:5: account[1].url: must start with ws:// or wss://");
  CHECK(refusal("[api]\ntoken = \"t\"\n[storage]\nkind = \"redis\"\n")
        == "d.toml:4: storage.kind: expected \"none\", \"file\" or \"sqlite\"");
  CHECK(refusal("[api]\ntoken = \"t\"\n[defaults]\nliveness_max_missed = -1\n")
        == "d.toml:4: defaults.liveness_max_missed: must be between 0 and 1000");
  // two accounts with one name would mean two sockets on one credential
  CHECK(refusal(std::string{minimal} + "[[account]]\nname = \"alice\"\nurl = \"ws://h/s\"\n")
        == "d.toml:8: account[2].name: account \"alice\" is defined twice");
  // TOML syntax errors keep the parser's own message and line
  CHECK(refusal("[api]\ntoken = \n").rfind("d.toml:2: ", 0) == 0);
  // a nested table is checked too
  CHECK(refusal(std::string{minimal} + "topics = [{ topic = \"r\", parms = {} }]\n")
        == "d.toml:8: account[1].topics.parms: unknown key");
}

TEST_CASE("the token may come from a file, and the params from a params file",
          "[tetherd]") {
  scratch_dir dir;
  std::ofstream{dir.path / "token"} << "s3cret\n";
  std::filesystem::permissions(dir.path / "token", std::filesystem::perms::owner_read
                                                     | std::filesystem::perms::owner_write);
  std::ofstream{dir.path / "alice.toml"} << "token = \"abc\"\nregion = \"eu\"\n";
  std::ofstream{dir.path / "d.toml"} << "[api]\ntoken_file = \"token\"\n[[account]]\n"
                                        "name = \"a\"\nurl = \"ws://h/s\"\n"
                                        "params_file = \"alice.toml\"\n";
  auto r = load_config(dir.path / "d.toml");
  REQUIRE(std::holds_alternative<daemon_config>(r));
  auto& cfg = std::get<daemon_config>(r);
  CHECK(cfg.api.token == "s3cret");
  auto params = load_params_file(*cfg.accounts[0].params_file);
  REQUIRE(params.index() == 0);
  CHECK(std::get<0>(params)
        == std::vector<std::pair<std::string, std::string>>{{"region", "eu"},
                                                            {"token", "abc"}});
  std::ofstream{dir.path / "alice.toml"} << "token = 5\n";
  auto bad = load_params_file(*cfg.accounts[0].params_file);
  REQUIRE(bad.index() == 1);
  CHECK(std::get<1>(bad).key == "token");
}

TEST_CASE("a token file others can read is refused, as ssh refuses such a key",
          "[tetherd]") {
  scratch_dir dir;
  std::ofstream{dir.path / "token"} << "s3cret\n";
  std::filesystem::permissions(dir.path / "token",
                               std::filesystem::perms::owner_read
                                 | std::filesystem::perms::owner_write
                                 | std::filesystem::perms::group_read
                                 | std::filesystem::perms::others_read);
  std::ofstream{dir.path / "d.toml"} << "[api]\ntoken_file = \"token\"\n";
  auto r = load_config(dir.path / "d.toml");
  REQUIRE(std::holds_alternative<config_error>(r));
  CHECK(std::get<config_error>(r).to_string()
        == (dir.path / "d.toml").string() + ":2: api.token_file: " + (dir.path / "token").string()
             + " can be read by group or others; chmod 600 it");
}

TEST_CASE("the API's listen address is checked, and one other machines can reach "
          "needs allow_remote",
          "[tetherd]") {
  auto with_listen = [](const std::string& listen, bool allow = false) {
    return "[api]\ntoken = \"t\"\nlisten = \"" + listen + "\"\n"
           + (allow ? "allow_remote = true\n" : "");
  };
  CHECK(parse_ok(with_listen("127.0.0.1:4100")).api.listen == "127.0.0.1:4100");
  CHECK(parse_ok(with_listen("[::1]:0")).api.listen == "[::1]:0");
  CHECK(parse_ok(with_listen("localhost:4100")).api.listen == "localhost:4100");
  CHECK(parse_ok(with_listen("unix:/run/tetherd.sock")).api.listen == "unix:/run/tetherd.sock");
  CHECK(refusal(with_listen("0.0.0.0:4100"))
        == "d.toml:3: api.listen: \"0.0.0.0:4100\" is reachable from other machines; set "
           "allow_remote = true to mean it");
  CHECK(refusal(with_listen("[::]:4100")).find("allow_remote") != std::string::npos);
  CHECK(parse_ok(with_listen("0.0.0.0:4100", true)).api.allow_remote);
  CHECK(refusal(with_listen("example.com:4100")).find("not an IPv4 address") != std::string::npos);
  CHECK(refusal(with_listen("127.0.0.1:99999")).find("0 to 65535") != std::string::npos);
  CHECK(refusal(with_listen("unix:relative")).find("absolute path") != std::string::npos);
}

TEST_CASE("files the fuzzer found are refused with a reason, in every build",
          "[tetherd]") {
  // They tripped toml++'s debug assertions (an abort in the Debug build)
  // before config.cpp turned them off.
  auto dir = std::filesystem::path{TETHER_SOURCE_DIR} / "tests/fuzz/config_regressions";
  size_t seen = 0;
  for (auto& entry : std::filesystem::directory_iterator{dir}) {
    std::ifstream in{entry.path(), std::ios::binary};
    std::string text{std::istreambuf_iterator<char>{in}, {}};
    auto r = parse_config(text, "f.toml", "/etc/tetherd");
    INFO(entry.path());
    REQUIRE(std::holds_alternative<config_error>(r));
    CHECK_FALSE(std::get<config_error>(r).to_string().empty());
    ++seen;
  }
  CHECK(seen >= 2);
}

TEST_CASE("what would fail at run time is refused when the config is read", "[tetherd]") {
  auto account = [](const std::string& lines) {
    return "[api]\ntoken = \"t\"\n[[account]]\n" + lines;
  };
  // a URL the connection could not use (port 99999 was "not a ws:// URL" at run time)
  CHECK(refusal(account("name = \"a\"\nurl = \"ws://127.0.0.1:99999/socket\"\n"))
        == "d.toml:5: account[1].url: not a usable WebSocket URL (bad_port)");
  CHECK(refusal(account("name = \"a\"\nurl = \"ws:///socket\"\n"))
        == "d.toml:5: account[1].url: not a usable WebSocket URL (missing_host)");
  // a name the API cannot address as /accounts/NAME
  CHECK(refusal(account("name = \"a/b c\"\nurl = \"ws://h/s\"\n")).rfind(
          "d.toml:4: account[1].name: use letters, digits", 0)
        == 0);
  CHECK(refusal(account("name = \"..\"\nurl = \"ws://h/s\"\n")).rfind("d.toml:4: account[1].name", 0)
        == 0);
  parse_ok(account("name = \"eu-west_1.alice\"\nurl = \"ws://h/s\"\n"));
  // reconnect delays that cannot grow from initial to max
  CHECK(refusal(account("name = \"a\"\nurl = \"ws://h/s\"\nreconnect_initial_ms = 5000\n"
                        "reconnect_max_ms = 1000\n"))
        == "d.toml:3: account[1].reconnect_initial_ms: is above reconnect_max_ms (5000 > 1000, "
           "with [defaults])");
  CHECK(refusal("[api]\ntoken = \"t\"\n[defaults]\nreconnect_initial_ms = 60000\n")
        == "d.toml:3: defaults.reconnect_initial_ms: is above reconnect_max_ms (60000 > 30000)");
  // an account's own initial against the max it takes from [defaults]
  CHECK(refusal("[api]\ntoken = \"t\"\n[defaults]\nreconnect_max_ms = 2000\n[[account]]\n"
                "name = \"a\"\nurl = \"ws://h/s\"\nreconnect_initial_ms = 3000\n")
          .rfind("d.toml:5: account[1].reconnect_initial_ms: is above", 0)
        == 0);
}

TEST_CASE("a config whose storage or params file is not there is refused before "
          "anything starts",
          "[tetherd]") {
  scratch_dir dir;
  auto load = [&](const std::string& text) {
    std::ofstream{dir.path / "d.toml"} << "[api]\ntoken = \"t\"\n" << text;
    return load_config(dir.path / "d.toml");
  };
  auto why = [&](const std::string& text) {
    auto r = load(text);
    REQUIRE(std::holds_alternative<config_error>(r));
    return std::get<config_error>(r).to_string();
  };
  auto file = (dir.path / "d.toml").string();
  // SQLite in a folder that does not exist (it used to be created, silently)
  CHECK(why("[storage]\nkind = \"sqlite\"\npath = \"nowhere/state.db\"\n")
        == file + ":5: storage.path: " + (dir.path / "nowhere").string()
             + " is not an existing folder (it is not created for you)");
  // file storage whose parent folder does not exist
  CHECK(why("[storage]\nkind = \"file\"\npath = \"nowhere/profiles\"\n").rfind(
          file + ":5: storage.path: ", 0)
        == 0);
  // a file where a folder should be
  std::ofstream{dir.path / "plain"} << "x";
  CHECK(why("[storage]\nkind = \"file\"\npath = \"plain\"\n").rfind(file + ":5: storage.path: ", 0)
        == 0);
  // a Unix socket for the API in a folder that does not exist (it used to
  // pass --check and then run with no API at all)
  {
    std::ofstream{dir.path / "d.toml"} << "[api]\nlisten = \"unix:" << (dir.path / "gone" / "api.sock").string()
                                        << "\"\ntoken = \"t\"\n";
    auto r = load_config(dir.path / "d.toml");
    REQUIRE(std::holds_alternative<config_error>(r));
    CHECK(std::get<config_error>(r).to_string().rfind(file + ":2: api.listen: ", 0) == 0);
  }
  // a params file that is not there (it used to connect without params)
  CHECK(why("[[account]]\nname = \"a\"\nurl = \"ws://h/s\"\nparams_file = \"gone.toml\"\n")
        == file + ":3: account[1].params_file: " + (dir.path / "gone.toml").string()
             + ":0: cannot read the params file");
  // a params file that does not parse
  std::ofstream{dir.path / "bad.toml"} << "token = 5\n";
  CHECK(why("[[account]]\nname = \"a\"\nurl = \"ws://h/s\"\nparams_file = \"bad.toml\"\n")
          .find("account[1].params_file: ")
        != std::string::npos);
  // and the same config with everything there loads
  std::filesystem::create_directory(dir.path / "state");
  std::ofstream{dir.path / "ok.toml"} << "token = \"abc\"\n";
  auto fine = load("[storage]\nkind = \"sqlite\"\npath = \"state/t.db\"\n[[account]]\n"
                   "name = \"a\"\nurl = \"ws://h/s\"\nparams_file = \"ok.toml\"\n");
  CHECK(std::holds_alternative<daemon_config>(fine));
  CHECK_FALSE(std::filesystem::exists(dir.path / "state" / "t.db")); // nothing written
}

TEST_CASE("[cluster] takes its defaults, and refuses what would make leases unsafe",
          "[tetherd]") {
  auto cfg = parse_ok(std::string{minimal} + R"(
[cluster]
redis = "redis://127.0.0.1:6379"
node = "n1"
)");
  REQUIRE(cfg.cluster);
  CHECK(cfg.cluster->node == "n1");
  CHECK(cfg.cluster->key_prefix == "tether:");
  CHECK(cfg.cluster->lease == 15000ms);
  CHECK(cfg.cluster->margin == 3000ms);
  CHECK(cfg.cluster->claim_interval == 2000ms);
  CHECK(cfg.cluster->slack == 1);
  auto with = [](const std::string& lines) {
    return refusal(std::string{minimal} + "[cluster]\n" + lines);
  };
  CHECK_THAT(with("node = \"n1\"\n"), Catch::Contains("cluster.redis"));
  CHECK_THAT(with("redis = \"http://x\"\n"), Catch::Contains("cluster.redis"));
  // The lease holder is written NODE@INSTANCE: a node name with @ or a
  // space could pass for another node's.
  CHECK_THAT(with("redis = \"unix:/r.sock\"\nnode = \"n1@x\"\n"),
             Catch::Contains("no @"));
  CHECK_THAT(with("redis = \"unix:/r.sock\"\nnode = \"n 1\"\n"), Catch::Contains("no spaces"));
  CHECK_THAT(with("redis = \"unix:/r.sock\"\nnode = \"\"\n"), Catch::Contains("cluster.node: must not be empty"));
  CHECK_THAT(with("redis = \"unix:/r.sock\"\nlease_ms = 3000\nmargin_ms = 3000\n"),
             Catch::Contains("cluster.margin_ms"));
}

TEST_CASE("[transport] max_handshakes bounds the handshakes at once: 256 unless set, 0 "
          "for no limit, never negative",
          "[tetherd]") {
  CHECK(parse_ok(minimal).max_handshakes == 256);
  CHECK(parse_ok(minimal + std::string{"\n[transport]\nmax_handshakes = 32\n"}).max_handshakes
        == 32);
  CHECK(parse_ok(minimal + std::string{"\n[transport]\nmax_handshakes = 0\n"}).max_handshakes
        == 0);
  CHECK(refusal(minimal + std::string{"\n[transport]\nmax_handshakes = -1\n"})
        == "d.toml:10: transport.max_handshakes: must be between 0 and 1000000");
}

TEST_CASE("[transport] proxy and no_proxy each win over their environment variables",
          "[tetherd][proxy]") {
  std::map<std::string, std::string> vars{{"http_proxy", "http://env-plain:1"},
                                          {"https_proxy", "http://env-secure:2"},
                                          {"no_proxy", "env.example"}};
  tether::protocol::environment_reader env = [&](const char* name) -> const char* {
    auto i = vars.find(name);
    return i == vars.end() ? nullptr : i->second.c_str();
  };
  auto proxies = [&](const std::string& transport) {
    auto cfg = parse_ok(minimal + transport);
    auto r = resolve_proxies(cfg, env);
    REQUIRE(std::holds_alternative<tether::protocol::proxy_settings>(r));
    return std::get<tether::protocol::proxy_settings>(r);
  };
  SECTION("nothing configured: the environment decides") {
    auto p = proxies("");
    CHECK(p.for_ws->host == "env-plain");
    CHECK(p.for_wss->host == "env-secure");
    CHECK(bypasses(p.bypass, "env.example", 80));
  }
  SECTION("proxy configured: both schemes use it, the environment's bypass list stays") {
    auto p = proxies("\n[transport]\nproxy = \"http://u:p@conf:3128\"\n");
    CHECK(p.for_ws->host == "conf");
    CHECK(p.for_wss->host == "conf");
    CHECK(p.for_wss->credentials == "u:p");
    CHECK(bypasses(p.bypass, "env.example", 80));
  }
  SECTION("no_proxy configured replaces the environment's; \"*\" turns proxies off") {
    auto p = proxies("\n[transport]\nno_proxy = \"*\"\n");
    CHECK(p.bypass.everything);
    CHECK_FALSE(bypasses(proxies("\n[transport]\nno_proxy = \"\"\n").bypass, "env.example", 80));
  }
  SECTION("an unusable variable is named, and the start refused") {
    vars["https_proxy"] = "https://secure:443";
    auto r = resolve_proxies(parse_ok(minimal), env);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK_THAT(std::get<std::string>(r), Catch::Contains("https_proxy"));
  }
  SECTION("a configured proxy URL tether cannot use is refused at its line") {
    CHECK(refusal(minimal + std::string{"\n[transport]\nproxy = \"socks5://p:1080\"\n"})
          == "d.toml:10: transport.proxy: not a usable proxy URL (unsupported_scheme): "
             "expected http://[user:password@]host:port");
  }
}
