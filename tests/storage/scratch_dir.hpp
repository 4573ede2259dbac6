#pragma once
// A fresh directory under the system's temp dir, removed at the end.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

struct scratch_dir {
  std::filesystem::path path;
  scratch_dir() {
    std::string tmpl
      = (std::filesystem::temp_directory_path() / "tether-store-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
