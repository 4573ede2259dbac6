#include "apps/tetherd/config.hpp"

#include "apps/common/listen_address.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <toml++/toml.h>

namespace tether::daemon {

namespace {

using namespace std::string_literals;

/// Thrown inside the reader only; load_config turns it into a config_error.
struct refusal {
  config_error error;
};

int line_of(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

/// Reads one table: typed getters that refuse with the key's position, and
/// a closing check that every key present was read (unknown keys refuse).
class table_reader {
public:
  table_reader(const toml::table& t, std::string prefix, const std::string& file,
               int line)
    : t_(t), prefix_(std::move(prefix)), file_(file), line_(line) {
  }

  /// Refuses the first key present that nobody read (call when done).
  void finish() const {
    for (auto&& [key, node] : t_)
      if (!read_.count(std::string{key.str()}))
        fail(node, std::string{key.str()}, "unknown key");
  }

  [[noreturn]] void fail(const toml::node& at, const std::string& key,
                         const std::string& message) const {
    throw refusal{{file_, line_of(at), dotted(key), message}};
  }

  [[noreturn]] void missing(const std::string& key) const {
    throw refusal{{file_, line_, dotted(key), "required key is missing"}};
  }

  std::string dotted(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  const toml::node* get(const std::string& key) {
    read_.insert(key);
    return t_.get(key);
  }

  std::optional<std::string> string(const std::string& key, bool non_empty = true) {
    auto* n = get(key);
    if (!n)
      return std::nullopt;
    if (!n->is_string())
      fail(*n, key, "expected a string, found "s + type_name(*n));
    auto value = *n->value<std::string>();
    if (non_empty && value.empty())
      fail(*n, key, "must not be empty");
    return value;
  }

  std::optional<bool> boolean(const std::string& key) {
    auto* n = get(key);
    if (!n)
      return std::nullopt;
    if (!n->is_boolean())
      fail(*n, key, "expected a boolean, found "s + type_name(*n));
    return *n->value<bool>();
  }

  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max) {
    auto* n = get(key);
    if (!n)
      return std::nullopt;
    if (!n->is_integer())
      fail(*n, key, "expected an integer, found "s + type_name(*n));
    auto value = *n->value<int64_t>();
    if (value < min || value > max)
      fail(*n, key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return value;
  }

  std::optional<milliseconds> millis(const std::string& key, int64_t min = 1) {
    if (auto v = integer(key, min, int64_t{24} * 3600 * 1000))
      return milliseconds{*v};
    return std::nullopt;
  }

  const toml::table* table(const std::string& key) {
    auto* n = get(key);
    if (!n)
      return nullptr;
    if (!n->is_table())
      fail(*n, key, "expected a table, found "s + type_name(*n));
    return n->as_table();
  }

  const toml::array* array(const std::string& key) {
    auto* n = get(key);
    if (!n)
      return nullptr;
    if (!n->is_array())
      fail(*n, key, "expected an array, found "s + type_name(*n));
    return n->as_array();
  }

  const std::string& file() const {
    return file_;
  }

private:
  const toml::table& t_;
  std::string prefix_;
  const std::string& file_;
  int line_;
  std::set<std::string> read_;
};

/// Join params as compact JSON (toml++'s formatter indents; re-serialise).
std::string to_json(const toml::table& t) {
  std::ostringstream out;
  out << toml::json_formatter{t};
  rapidjson::Document doc;
  doc.Parse(out.str().c_str());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  doc.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

timing_settings read_timing(table_reader& r) {
  timing_settings s;
  s.heartbeat = r.millis("heartbeat_ms");
  s.heartbeat_fast = r.millis("heartbeat_fast_ms", 0);
  s.liveness_timeout = r.millis("liveness_timeout_ms");
  if (auto v = r.integer("liveness_max_missed", 0, 1000))
    s.liveness_max_missed = static_cast<uint32_t>(*v);
  s.reconnect_initial = r.millis("reconnect_initial_ms");
  s.reconnect_max = r.millis("reconnect_max_ms");
  s.reconnect_jitter = r.boolean("reconnect_jitter");
  s.join_timeout = r.millis("join_timeout_ms");
  s.ack_timeout = r.millis("ack_timeout_ms");
  return s;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path{p};
  return path.is_absolute() ? path : base / path;
}

std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return {};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

account_config read_account(const toml::table& t, size_t index, const std::string& file,
                            const std::filesystem::path& base) {
  auto prefix = "account[" + std::to_string(index) + "]";
  table_reader r{t, prefix, file, line_of(t)};
  account_config a;
  a.line = line_of(t);
  auto name = r.string("name");
  if (!name)
    r.missing("name");
  a.name = *name;
  auto url = r.string("url");
  if (!url)
    r.missing("url");
  if (url->rfind("ws://", 0) != 0 && url->rfind("wss://", 0) != 0)
    r.fail(*t.get("url"), "url", "must start with ws:// or wss://");
  a.url = *url;
  if (auto* params = r.table("params")) {
    table_reader pr{*params, prefix + ".params", file, line_of(*params)};
    for (auto&& [key, node] : *params)
      a.params.emplace_back(std::string{key.str()}, *pr.string(std::string{key.str()}, false));
    pr.finish();
  }
  if (auto pf = r.string("params_file")) {
    if (!a.params.empty())
      r.fail(*t.get("params_file"), "params_file", "give params or params_file, not both");
    a.params_file = resolve(base, *pf);
  }
  if (auto* topics = r.array("topics")) {
    for (auto& item : *topics) {
      if (auto topic = item.value<std::string>()) {
        a.topics[*topic] = "{}";
        continue;
      }
      if (!item.is_table())
        r.fail(item, "topics", "each topic is a string or { topic = \"…\", params = { … } }");
      table_reader tr{*item.as_table(), prefix + ".topics", file, line_of(item)};
      auto topic = tr.string("topic");
      if (!topic)
        tr.missing("topic");
      auto* params = tr.table("params");
      tr.finish();
      a.topics[*topic] = params ? to_json(*params) : "{}";
    }
  }
  a.timing = read_timing(r);
  a.offline = r.boolean("offline").value_or(false);
  a.verify_tls = r.boolean("verify_tls").value_or(true);
  r.finish();
  return a;
}

daemon_config read_root(const toml::table& root, const std::string& file,
                        const std::filesystem::path& base) {
  table_reader r{root, "", file, 1};
  daemon_config cfg;
  if (auto* api = r.table("api")) {
    table_reader ar{*api, "api", file, line_of(*api)};
    if (auto listen = ar.string("listen"))
      cfg.api.listen = *listen;
    if (auto allow = ar.boolean("allow_remote"))
      cfg.api.allow_remote = *allow;
    std::string why;
    auto where = apps::parse_listen_address(cfg.api.listen, why);
    const toml::node* listen_node = api->get("listen");
    if (!listen_node)
      listen_node = api;
    if (!where)
      ar.fail(*listen_node, "listen", why);
    if (!where->loopback && !cfg.api.allow_remote)
      ar.fail(*listen_node, "listen",
              "\"" + cfg.api.listen
                + "\" is reachable from other machines; set allow_remote = true to "
                  "mean it");
    auto token = ar.string("token");
    auto token_file = ar.string("token_file");
    if (token && token_file)
      ar.fail(*api->get("token_file"), "token_file", "give token or token_file, not both");
    if (token)
      cfg.api.token = *token;
    if (token_file) {
      auto path = resolve(base, *token_file);
      // As ssh refuses a private key others can read: the token is the key.
      std::error_code ec;
      auto mode = std::filesystem::status(path, ec).permissions();
      using std::filesystem::perms;
      if (!ec && (mode & (perms::group_all | perms::others_all)) != perms::none)
        ar.fail(*api->get("token_file"), "token_file",
                path.string() + " can be read by group or others; chmod 600 it");
      cfg.api.token = read_text_file(path);
      while (!cfg.api.token.empty()
             && (cfg.api.token.back() == '\n' || cfg.api.token.back() == '\r'))
        cfg.api.token.pop_back();
      if (cfg.api.token.empty())
        ar.fail(*api->get("token_file"), "token_file",
                "cannot read a token from " + path.string());
    }
    if (cfg.api.token.empty())
      ar.missing("token");
    ar.finish();
  } else {
    r.missing("api");
  }
  if (auto* storage = r.table("storage")) {
    table_reader sr{*storage, "storage", file, line_of(*storage)};
    auto kind = sr.string("kind");
    if (!kind)
      sr.missing("kind");
    if (*kind == "file")
      cfg.storage.type = storage_config::kind::file;
    else if (*kind == "sqlite")
      cfg.storage.type = storage_config::kind::sqlite;
    else if (*kind != "none")
      sr.fail(*storage->get("kind"), "kind", "expected \"none\", \"file\" or \"sqlite\"");
    auto path = sr.string("path");
    if (cfg.storage.type != storage_config::kind::none) {
      if (!path)
        sr.missing("path");
      cfg.storage.path = resolve(base, *path);
    }
    sr.finish();
  }
  if (auto* transport = r.table("transport")) {
    table_reader tr{*transport, "transport", file, line_of(*transport)};
    if (auto ca = tr.string("ca_file"))
      cfg.ca_file = resolve(base, *ca).string();
    // the transport's bound (actors/transport.hpp, max_connect_timeout)
    if (auto v = tr.integer("connect_timeout_ms", 1, 120 * 1000))
      cfg.connect_timeout = milliseconds{*v};
    if (auto v = tr.integer("max_frame_bytes", 1024, int64_t{1} << 30))
      cfg.max_frame_bytes = static_cast<size_t>(*v);
    tr.finish();
  }
  if (auto* defaults = r.table("defaults")) {
    table_reader dr{*defaults, "defaults", file, line_of(*defaults)};
    cfg.defaults = read_timing(dr);
    dr.finish();
  }
  if (auto v = r.millis("drain_timeout_ms", 0))
    cfg.drain_timeout = *v;
  if (auto log = r.string("log")) {
    if (*log == "json")
      cfg.log = daemon_config::log_format::json;
    else if (*log == "text")
      cfg.log = daemon_config::log_format::text;
    else if (*log != "auto")
      r.fail(*root.get("log"), "log", "expected \"auto\", \"json\" or \"text\"");
  }
  if (auto* accounts = r.array("account")) {
    std::set<std::string> names;
    size_t index = 0;
    for (auto& item : *accounts) {
      ++index;
      if (!item.is_table())
        r.fail(item, "account", "each account is a table ([[account]])");
      auto a = read_account(*item.as_table(), index, file, base);
      if (!names.insert(a.name).second)
        throw refusal{{file, a.line, "account[" + std::to_string(index) + "].name",
                       "account \"" + a.name + "\" is defined twice"}};
      cfg.accounts.push_back(std::move(a));
    }
  }
  r.finish();
  return cfg;
}

} // namespace

std::string config_error::to_string() const {
  auto out = file + ":" + std::to_string(line) + ": ";
  if (!key.empty())
    out += key + ": ";
  return out + message;
}

std::variant<daemon_config, config_error>
parse_config(std::string_view text, const std::string& file_name,
             const std::filesystem::path& base) {
  try {
    auto root = toml::parse(text, file_name);
    return read_root(root, file_name, base);
  } catch (const toml::parse_error& e) {
    return config_error{file_name, static_cast<int>(e.source().begin.line), "",
                        std::string{e.description()}};
  } catch (refusal& r) {
    return std::move(r.error);
  }
}

std::variant<daemon_config, config_error> load_config(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return config_error{path.string(), 0, "", "cannot read the file"};
  std::stringstream text;
  text << in.rdbuf();
  auto base = path.has_parent_path() ? path.parent_path() : std::filesystem::path{"."};
  return parse_config(text.str(), path.string(), base);
}

std::variant<std::vector<std::pair<std::string, std::string>>, config_error>
load_params_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return config_error{path.string(), 0, "", "cannot read the params file"};
  std::stringstream text;
  text << in.rdbuf();
  auto name = path.string();
  try {
    auto root = toml::parse(text.str(), name);
    std::vector<std::pair<std::string, std::string>> out;
    table_reader r{root, "", name, 1};
    for (auto&& [key, node] : root)
      out.emplace_back(std::string{key.str()}, *r.string(std::string{key.str()}, false));
    return out;
  } catch (const toml::parse_error& e) {
    return config_error{name, static_cast<int>(e.source().begin.line), "",
                        std::string{e.description()}};
  } catch (refusal& r) {
    return std::move(r.error);
  }
}

} // namespace tether::daemon
