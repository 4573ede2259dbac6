#pragma once
// A self-signed certificate for 127.0.0.1, made with openssl for a test.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

namespace tether::testing {

/// A self-signed certificate for 127.0.0.1 in a fresh temp folder.
struct test_certificate {
  std::filesystem::path dir;
  std::string cert, key;

  test_certificate() {
    char pattern[] = "/tmp/tether-tls-XXXXXX";
    dir = mkdtemp(pattern);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
               " -addext subjectAltName=IP:127.0.0.1 -keyout "
               + key + " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }

  ~test_certificate() {
    std::filesystem::remove_all(dir);
  }
};

} // namespace tether::testing
