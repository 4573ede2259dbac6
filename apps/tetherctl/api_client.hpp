#pragma once
// tetherctl's way to the control API: one blocking HTTP/1.1 request per
// connection (TCP or a Unix socket, as api.listen says), and the /events
// WebSocket stream read line by line. A command-line tool waits for its
// answer, so blocking sockets are the simple and right choice here.

#include <functional>
#include <optional>
#include <string>

namespace tether::ctl {

struct http_answer {
  int status = 0;
  std::string body;
};

class api_client {
public:
  /// `listen` as in tetherd's config: "127.0.0.1:4100", "[::1]:4100" or
  /// "unix:/path". Throws std::runtime_error if it does not parse.
  api_client(const std::string& listen, std::string token);

  /// Sends one request; nothing on a failure to connect or a broken answer,
  /// with the reason in `why`.
  std::optional<http_answer> request(const std::string& method, const std::string& path,
                                     const std::string& body, std::string& why) const;

  /// Opens GET `path` as a WebSocket and hands each text message to
  /// `on_line` until the server closes or `on_line` returns false. The
  /// refusal's HTTP answer comes back in `refused`; false with `why` on any
  /// other failure.
  bool stream(const std::string& path, const std::function<bool(const std::string&)>& on_line,
              std::optional<http_answer>& refused, std::string& why) const;

private:
  int open_socket(std::string& why) const;

  std::string host_;   ///< an address literal, or the Unix socket's path
  int port_ = 0;
  bool unix_ = false;
  bool ipv6_ = false;
  std::string token_;
};

} // namespace tether::ctl
