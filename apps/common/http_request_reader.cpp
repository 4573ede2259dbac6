#include "apps/common/http_request_reader.hpp"

#include <algorithm>
#include <cctype>

#include <http_parser.h>

namespace tether::apps {

namespace {

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

http_refusal refusal_for(http_errno e) {
  switch (e) {
    case HPE_HEADER_OVERFLOW:
      return {431, "headers_too_large", "the request's headers are too large"};
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return {400, "bad_framing",
              "Content-Length twice, or together with Transfer-Encoding"};
    case HPE_INVALID_CONTENT_LENGTH:
      return {400, "bad_framing", "Content-Length is not a number"};
    case HPE_INVALID_TRANSFER_ENCODING:
      // RFC 9112 6.3: without chunked as the last coding the body's length
      // cannot be known; 400, then close.
      return {400, "bad_framing", "Transfer-Encoding must end with chunked"};
    case HPE_INVALID_CHUNK_SIZE:
      return {400, "bad_framing", "a chunk's size is not hexadecimal"};
    case HPE_INVALID_METHOD:
      return {501, "not_implemented", "unknown method"};
    default:
      return {400, "bad_request", std::string{"not HTTP/1.1: "} + http_errno_description(e)};
  }
}

} // namespace

struct http_request_reader::impl {
  http_parser parser;
  http_parser_settings settings;
  bool last_was_value = true; ///< the next header name starts a new header

  static http_request_reader& of(http_parser* p) {
    return *static_cast<http_request_reader*>(p->data);
  }

  /// Counts request-line and header bytes; false (and a 431) past the limit.
  static bool count(http_request_reader& r, size_t n) {
    r.header_bytes_ += n;
    if (r.header_bytes_ <= r.limits_.max_header_bytes)
      return true;
    r.refusal_ = http_refusal{431, "headers_too_large",
                              "the request line and headers exceed "
                                + std::to_string(r.limits_.max_header_bytes) + " bytes"};
    return false;
  }

  static int on_message_begin(http_parser* p) {
    auto& r = of(p);
    r.current_ = http_request{};
    r.header_bytes_ = 0;
    r.started_ = true;
    r.impl_->last_was_value = true;
    return 0;
  }

  static int on_url(http_parser* p, const char* at, size_t n) {
    auto& r = of(p);
    if (!count(r, n))
      return 1;
    r.current_.target.append(at, n);
    return 0;
  }

  static int on_header_field(http_parser* p, const char* at, size_t n) {
    auto& r = of(p);
    auto& headers = r.current_.headers;
    bool starts = r.impl_->last_was_value; // a name may come in several pieces
    if (!count(r, n + (starts ? 4 : 0))) // a new header's ": " and CRLF
      return 1;
    if (starts) {
      if (headers.size() >= r.limits_.max_headers) {
        r.refusal_ = http_refusal{431, "headers_too_large",
                                  "more than " + std::to_string(r.limits_.max_headers)
                                    + " headers"};
        return 1;
      }
      headers.emplace_back();
      r.impl_->last_was_value = false;
    }
    for (size_t i = 0; i < n; ++i)
      headers.back().first.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
    return 0;
  }

  static int on_header_value(http_parser* p, const char* at, size_t n) {
    auto& r = of(p);
    if (!count(r, n))
      return 1;
    r.current_.headers.back().second.append(at, n);
    r.impl_->last_was_value = true;
    return 0;
  }

  static int on_headers_complete(http_parser* p) {
    auto& r = of(p);
    for (auto& [name, value] : r.current_.headers) // optional whitespace after a value
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.pop_back();
    r.current_.method = http_method_str(static_cast<http_method>(p->method));
    r.current_.keep_alive = http_should_keep_alive(p) != 0;
    bool has_body = (p->flags & F_CHUNKED) != 0
                    || ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > 0);
    if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > r.limits_.max_body_bytes) {
      r.refusal_ = too_large(r);
      return -1; // refused before a byte of the body is read
    }
    if (auto* expect = r.current_.header("expect");
        expect && has_body && same_ignoring_case(*expect, "100-continue"))
      r.continue_wanted_ = true;
    return 0;
  }

  static int on_body(http_parser* p, const char* at, size_t n) {
    auto& r = of(p);
    if (r.current_.body.size() + n > r.limits_.max_body_bytes) {
      r.refusal_ = too_large(r);
      return 1;
    }
    r.current_.body.append(at, n);
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    auto& r = of(p);
    r.current_.upgrade = p->upgrade != 0;
    r.ready_ = true;
    r.continue_wanted_ = false; // the body is here already
    http_parser_pause(p, 1); // one request at a time: the rest waits its turn
    return 0;
  }

  static http_refusal too_large(const http_request_reader& r) {
    return {413, "body_too_large",
            "the body exceeds " + std::to_string(r.limits_.max_body_bytes) + " bytes"};
  }
};

std::optional<std::string> percent_decoded(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size())
      return std::nullopt;
    int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

const std::string* http_request::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k == name)
      return &v;
  return nullptr;
}

std::string http_request::path() const {
  return target.substr(0, target.find('?'));
}

std::string http_request::query() const {
  auto q = target.find('?');
  return q == std::string::npos ? std::string{} : target.substr(q + 1);
}

http_request_reader::http_request_reader(http_limits limits)
  : limits_(limits), impl_(std::make_unique<impl>()) {
  http_parser_init(&impl_->parser, HTTP_REQUEST);
  impl_->parser.data = this;
  http_parser_settings_init(&impl_->settings);
  auto& s = impl_->settings;
  s.on_message_begin = &impl::on_message_begin;
  s.on_url = &impl::on_url;
  s.on_header_field = &impl::on_header_field;
  s.on_header_value = &impl::on_header_value;
  s.on_headers_complete = &impl::on_headers_complete;
  s.on_body = &impl::on_body;
  s.on_message_complete = &impl::on_message_complete;
}

http_request_reader::~http_request_reader() = default;

size_t http_request_reader::feed(std::string_view bytes) {
  if (refusal_ || ready_ || bytes.empty())
    return 0;
  auto& p = impl_->parser;
  if (HTTP_PARSER_ERRNO(&p) == HPE_PAUSED)
    http_parser_pause(&p, 0);
  auto n = http_parser_execute(&p, &impl_->settings, bytes.data(), bytes.size());
  auto e = HTTP_PARSER_ERRNO(&p);
  if (e != HPE_OK && e != HPE_PAUSED && !refusal_)
    refusal_ = refusal_for(e);
  if (refusal_)
    ready_ = false;
  return n;
}

http_request http_request_reader::take() {
  ready_ = false;
  started_ = false;
  return std::move(current_);
}

} // namespace tether::apps
