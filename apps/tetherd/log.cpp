#include "apps/tetherd/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actors/events.hpp" // overloaded

namespace tether::daemon {

namespace {

const char* name_of(log_level l) {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch())
            % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

} // namespace

void logger::write(log_level level, std::string_view message,
                   std::initializer_list<field> fields) {
  std::string line;
  if (json_) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w{buf};
    w.StartObject();
    w.Key("ts");
    auto ts = timestamp();
    w.String(ts.data(), static_cast<rapidjson::SizeType>(ts.size()));
    w.Key("level");
    w.String(name_of(level));
    w.Key("msg");
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
    for (auto& [key, value] : fields) {
      w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
      std::visit(overloaded{[&](const std::string& text) {
                              w.String(text.data(),
                                       static_cast<rapidjson::SizeType>(text.size()));
                            },
                            [&](long long number) { w.Int64(number); },
                            [&](bool flag) { w.Bool(flag); }},
                 value.get());
    }
    w.EndObject();
    line.assign(buf.GetString(), buf.GetSize());
  } else {
    line = timestamp() + " " + name_of(level) + " " + std::string{message};
    for (auto& [key, value] : fields) {
      line += " " + std::string{key} + "=";
      std::visit(overloaded{[&](const std::string& text) { line += text; },
                            [&](long long number) { line += std::to_string(number); },
                            [&](bool flag) { line += flag ? "true" : "false"; }},
                 value.get());
    }
  }
  line += '\n';
  std::lock_guard guard{mutex_};
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

std::string redact_url(std::string_view url) {
  auto cut = url.find_first_of("?#");
  std::string out{url.substr(0, cut)};
  auto scheme = out.find("://");
  auto at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme)
    out.erase(scheme + 3, at - scheme - 2);
  return out;
}

} // namespace tether::daemon
