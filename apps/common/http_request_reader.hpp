#pragma once
// Reads HTTP/1.1 requests from a byte stream, one at a time, as a server
// must (RFC 9112), on Debian's http-parser: a body ends exactly where its
// Content-Length or its last chunk says, so pipelined requests stay apart;
// framing that could smuggle a request (Content-Length with
// Transfer-Encoding, two Content-Lengths) is refused; header and body sizes
// are bounded. Pure: bytes in, requests or a refusal out, no sockets.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::apps {

struct http_request {
  std::string method; ///< "GET", "POST", …
  std::string target; ///< as sent: path and query
  /// Names in lower case, in the order sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body; ///< decoded (chunked bodies are de-chunked)
  bool keep_alive = true; ///< HTTP/1.1 without "Connection: close"
  bool upgrade = false;   ///< asks for another protocol (WebSocket)

  /// The first header of that (lower-case) name.
  const std::string* header(std::string_view name) const;
  std::string path() const;  ///< the target up to '?'
  std::string query() const; ///< the target after '?', or empty
};

/// `text` with its %XX escapes decoded; nothing if an escape is malformed
/// or decodes to a NUL byte.
std::optional<std::string> percent_decoded(std::string_view text);

/// Why the connection's input cannot be read as requests: answered with
/// `status`, then the connection is closed (what follows cannot be framed).
struct http_refusal {
  int status = 400;
  std::string code;    ///< a short JSON-friendly name: bad_framing, …
  std::string message; ///< for a person
};

struct http_limits {
  size_t max_header_bytes = 16 * 1024; ///< request line and headers
  size_t max_headers = 100;
  size_t max_body_bytes = 1024 * 1024;
};

class http_request_reader {
public:
  explicit http_request_reader(http_limits limits = {});
  ~http_request_reader();
  http_request_reader(const http_request_reader&) = delete;
  http_request_reader& operator=(const http_request_reader&) = delete;

  /// Reads from `bytes` up to the end of one request and returns how many
  /// bytes it took; the rest belongs to the next request (or, after an
  /// upgrade, to the new protocol). Then, at most one of these holds:
  /// ready() (take() it), refused(). Neither: more bytes are needed.
  size_t feed(std::string_view bytes);

  bool ready() const noexcept {
    return ready_;
  }
  /// The request read; the reader then starts on the next one.
  http_request take();

  const std::optional<http_refusal>& refused() const noexcept {
    return refusal_;
  }

  /// Part of a request has been read, not all of it.
  bool mid_request() const noexcept {
    return started_ && !ready_;
  }

  /// Once per request: the client sent "Expect: 100-continue" and waits
  /// for "100 Continue" before it sends the body.
  bool take_continue() noexcept {
    return std::exchange(continue_wanted_, false);
  }

  struct impl; ///< http-parser's callbacks reach the reader through it

private:
  http_limits limits_;
  std::unique_ptr<impl> impl_;
  http_request current_;
  std::string field_; ///< the header name being read
  bool in_value_ = false;
  size_t header_bytes_ = 0;
  bool started_ = false;
  bool ready_ = false;
  bool continue_wanted_ = false;
  std::optional<http_refusal> refusal_;

  friend struct impl;
};

} // namespace tether::apps
