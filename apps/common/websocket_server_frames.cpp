#include "apps/common/websocket_server_frames.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace tether::apps {

namespace {

/// RFC 6455 4.2.2: the key the server appends before hashing.
constexpr std::string_view handshake_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void put_length(std::string& out, size_t n) {
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xFF));
  }
}

ws_read violation(uint16_t code, std::string why) {
  ws_read r;
  r.result = ws_read::outcome::violation;
  r.close_code = code;
  r.why = std::move(why);
  return r;
}

} // namespace

std::string websocket_accept_key(std::string_view client_key) {
  std::string text{client_key};
  text += handshake_guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return {reinterpret_cast<char*>(out), static_cast<size_t>(n)};
}

std::string websocket_frame(ws_opcode op, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  out.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
  put_length(out, payload.size());
  out += payload;
  return out;
}

std::string websocket_close_frame(uint16_t code, std::string_view reason) {
  std::string body;
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xFF));
  body += reason.substr(0, 123);
  return websocket_frame(ws_opcode::close, body);
}

ws_read read_client_frame(std::string_view bytes, size_t max_payload) {
  if (bytes.size() < 2)
    return {};
  auto b0 = static_cast<uint8_t>(bytes[0]);
  auto b1 = static_cast<uint8_t>(bytes[1]);
  if (b0 & 0x70)
    return violation(1002, "reserved bits set (no extension was agreed)");
  auto op = static_cast<uint8_t>(b0 & 0x0F);
  bool control = op >= 0x8;
  if ((op > 0x2 && op < 0x8) || op > 0xA)
    return violation(1002, "unknown opcode");
  bool fin = (b0 & 0x80) != 0;
  if (control && !fin)
    return violation(1002, "a fragmented control frame");
  if (!(b1 & 0x80))
    return violation(1002, "a client frame that is not masked");
  uint64_t length = b1 & 0x7F;
  size_t at = 2;
  if (length == 126 || length == 127) {
    size_t width = length == 126 ? 2 : 8;
    if (bytes.size() < at + width)
      return {};
    length = 0;
    for (size_t i = 0; i < width; ++i)
      length = (length << 8) | static_cast<uint8_t>(bytes[at + i]);
    at += width;
  }
  if (control && length > 125)
    return violation(1002, "a control frame over 125 bytes");
  if (length > max_payload) // judged on the header alone: no waiting for 2^63 bytes
    return violation(1009, "a frame over " + std::to_string(max_payload) + " bytes");
  if (bytes.size() < at + 4 + length)
    return {};
  const char* mask = bytes.data() + at;
  at += 4;
  ws_read r;
  r.result = ws_read::outcome::frame;
  r.frame.opcode = static_cast<ws_opcode>(op);
  r.frame.fin = fin;
  r.frame.payload.resize(length);
  for (size_t i = 0; i < length; ++i)
    r.frame.payload[i] = static_cast<char>(bytes[at + i] ^ mask[i % 4]);
  r.consumed = at + length;
  return r;
}

} // namespace tether::apps
