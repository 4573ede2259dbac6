#pragma once
// Internal: rapidjson's Writer appending straight into a std::string, with
// UTF-8 validation of every string it writes.

#include <string>

#include <rapidjson/writer.h>

namespace tether::protocol::detail {

struct string_sink {
  using Ch = char;
  std::string* out;
  void Put(char c) {
    out->push_back(c);
  }
  void Flush() {
  }
};

using json_writer
  = rapidjson::Writer<string_sink, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator,
                      rapidjson::kWriteValidateEncodingFlag>;

} // namespace tether::protocol::detail
