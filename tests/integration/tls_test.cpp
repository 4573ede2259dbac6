// wss:// against tether-hub serving a self-signed certificate made for the
// test: verification is on by default, a CA file makes it pass, and turning
// verification off is possible but explicit.

#include "integration/socket_fixture.hpp"
#include "integration/test_certificate.hpp"

using namespace tether;
using namespace tether::testing;

TEST_CASE("wss verifies the server certificate by default", "[integration]") {
  test_certificate tls;
  hub_process hub{{"--tls-cert", tls.cert, "--tls-key", tls.key}};
  SECTION("an unknown issuer is refused with tls_failed") {
    socket_fixture f;
    f.open({hub.url()});
    auto failed = f.next<socket_failed>();
    CHECK(failed.why == transport_errc::tls_failed);
    INFO(failed.detail);
  }
  SECTION("trusting the certificate through ca_file lets it through") {
    transport_config cfg;
    cfg.ca_file = tls.cert;
    socket_fixture f{cfg};
    auto id = f.open({hub.url()});
    CHECK(f.next<socket_opened>().id == id);
    REQUIRE_FALSE(f.send(id, *f.codec.encode_heartbeat("1")));
    CHECK(f.next_frame().ref == "1");
  }
  SECTION("verify_peer = false accepts it, by explicit choice") {
    socket_fixture f;
    socket_options opts{hub.url()};
    opts.verify_peer = false;
    auto id = f.open(opts);
    CHECK(f.next<socket_opened>().id == id);
  }
}
