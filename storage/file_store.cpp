#include "storage/file_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tether {

namespace {

constexpr caf::atom_value storage_category = caf::atom("tether_sto");
constexpr int format_version = 1;

caf::error io_error(const std::string& what, const std::filesystem::path& p) {
  return make_error(storage_errc::io_failed,
                    what + " " + p.string() + ": " + std::strerror(errno));
}

/// Letters, digits, '-' and '_' stay; every other byte becomes %XX. No name
/// can become "..", a slash, or a hidden file.
std::string escape(const std::string& name) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

/// The name escape() made `file` from, or nothing if it is not one of ours.
std::optional<std::string> unescape(const std::string& file) {
  std::string out;
  for (size_t i = 0; i < file.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(file[i]);
    if (std::isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
      continue;
    }
    if (c != '%' || i + 2 >= file.size() || !std::isxdigit(static_cast<unsigned char>(file[i + 1]))
        || !std::isxdigit(static_cast<unsigned char>(file[i + 2])))
      return std::nullopt;
    out += static_cast<char>(std::stoi(file.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

/// Writes all of `text` to `fd`.
bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

} // namespace

caf::error make_error(storage_errc code, std::string detail) {
  return {static_cast<uint8_t>(code), storage_category,
          caf::make_message(std::move(detail))};
}

const char* to_string(storage_errc code) {
  switch (code) {
    case storage_errc::io_failed:
      return "io_failed";
    case storage_errc::corrupt:
      return "corrupt";
    case storage_errc::bad_name:
      return "bad_name";
  }
  return "unknown_storage_error";
}

void add_storage_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(storage_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text = to_string(static_cast<storage_errc>(code));
                           if (!ctx.empty())
                             text += caf::deep_to_string(ctx);
                           return text;
                         });
}

std::string to_json(const stored_profile& record) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("version");
  w.Int(format_version);
  w.Key("connect_params");
  w.StartArray();
  for (auto& [key, value] : record.connect_params) {
    w.StartArray();
    w.String(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    w.EndArray();
  }
  w.EndArray();
  w.Key("topics");
  w.StartObject();
  for (auto& [topic, params] : record.topics) {
    w.Key(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
    // Join params were checked as JSON when the topic was joined.
    w.RawValue(params.data(), params.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

caf::expected<stored_profile> stored_profile_from_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  auto corrupt = [](const std::string& why) {
    return make_error(storage_errc::corrupt, why);
  };
  if (doc.HasParseError() || !doc.IsObject())
    return corrupt("not a JSON object");
  auto version = doc.FindMember("version");
  if (version == doc.MemberEnd() || !version->value.IsInt()
      || version->value.GetInt() != format_version)
    return corrupt("unknown format version");
  stored_profile out;
  auto params = doc.FindMember("connect_params");
  if (params == doc.MemberEnd() || !params->value.IsArray())
    return corrupt("connect_params is not an array");
  for (auto& pair : params->value.GetArray()) {
    if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString() || !pair[1].IsString())
      return corrupt("a connect param is not a [key, value] pair of strings");
    out.connect_params.emplace_back(
      std::string{pair[0].GetString(), pair[0].GetStringLength()},
      std::string{pair[1].GetString(), pair[1].GetStringLength()});
  }
  auto topics = doc.FindMember("topics");
  if (topics == doc.MemberEnd() || !topics->value.IsObject())
    return corrupt("topics is not an object");
  for (auto& t : topics->value.GetObject()) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w{buf};
    t.value.Accept(w);
    out.topics.emplace(std::string{t.name.GetString(), t.name.GetStringLength()},
                       std::string{buf.GetString(), buf.GetSize()});
  }
  return out;
}

file_store::file_store(std::filesystem::path dir) : dir_(std::move(dir)) {
  // The folder itself is made if missing (0700); its parent must exist, so
  // a typo in a path fails on the first write instead of growing folders.
  if (::mkdir(dir_.c_str(), 0700) == 0)
    return;
  ::chmod(dir_.c_str(), 0700);
}

std::filesystem::path file_store::path_of(const std::string& profile) const {
  return dir_ / (escape(profile) + ".json");
}

caf::expected<std::optional<stored_profile>> file_store::load(const std::string& profile) {
  if (profile.empty())
    return make_error(storage_errc::bad_name, "empty profile name");
  auto path = path_of(profile);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return std::optional<stored_profile>{};
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return io_error("cannot read", path);
  std::stringstream text;
  text << in.rdbuf();
  auto record = stored_profile_from_json(text.str());
  if (!record)
    return make_error(storage_errc::corrupt,
                      path.string() + ": " + caf::to_string(record.error().context()));
  return std::optional<stored_profile>{std::move(*record)};
}

caf::error file_store::save(const std::string& profile, const stored_profile& record) {
  if (profile.empty())
    return make_error(storage_errc::bad_name, "empty profile name");
  auto path = path_of(profile);
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error("cannot create", tmp);
  ::fchmod(fd, 0600); // the umask may not lower it, but an old file may be wider
  bool ok = write_all(fd, to_json(record)) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    auto err = io_error("cannot write", tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = io_error("cannot replace", path);
    ::unlink(tmp.c_str());
    return err;
  }
  fsync_dir(dir_);
  return {};
}

caf::expected<std::vector<std::string>> file_store::profiles() {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator{dir_, ec}) {
    auto file = entry.path().filename().string();
    constexpr std::string_view suffix = ".json"; // a ".json.tmp" is a write cut short
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    if (auto name = unescape(file.substr(0, file.size() - suffix.size())))
      names.push_back(std::move(*name));
  }
  if (ec)
    return make_error(storage_errc::io_failed, "cannot list " + dir_.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

caf::error file_store::erase(const std::string& profile) {
  auto path = path_of(profile);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return io_error("cannot remove", path);
  return {};
}

} // namespace tether
