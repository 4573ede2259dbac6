// Idempotency keys added to push payloads.

#include <catch2/catch.hpp>

#include "protocol/idempotency.hpp"

using tether::protocol::add_idempotency_key;

TEST_CASE("an idempotency key becomes the payload object's last member",
          "[protocol][idempotency]") {
  CHECK(add_idempotency_key("{}", "idempotency_key", "k1")
        == std::string{R"({"idempotency_key":"k1"})"});
  CHECK(add_idempotency_key(R"({"n":1})", "idempotency_key", "k1")
        == std::string{R"({"n":1,"idempotency_key":"k1"})"});
  CHECK(add_idempotency_key(" { \"n\" : [1] } \n", "id", "a\"b")
        == std::string{R"({ "n" : [1] ,"id":"a\"b"})"});
}

TEST_CASE("a payload that is not an object, or a key that is not UTF-8, takes no key",
          "[protocol][idempotency]") {
  CHECK_FALSE(add_idempotency_key("[1,2]", "id", "k"));
  CHECK_FALSE(add_idempotency_key("\"text\"", "id", "k"));
  CHECK_FALSE(add_idempotency_key("{}", "id", "\xff"));
}
