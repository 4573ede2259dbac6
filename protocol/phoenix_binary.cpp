#include "protocol/phoenix_binary.hpp"

#include <initializer_list>

namespace tether::protocol {

namespace {

/// Reads length-prefixed fields in order from a binary frame.
class field_reader {
public:
  field_reader(std::string_view bytes, size_t header_size)
    : bytes_(bytes), offset_(header_size) {
  }

  bool take(uint8_t size, std::string& out) {
    if (bytes_.size() - offset_ < size)
      return false;
    out.assign(bytes_.substr(offset_, size));
    offset_ += size;
    return true;
  }

  std::string_view rest() const {
    return bytes_.substr(offset_);
  }

private:
  std::string_view bytes_;
  size_t offset_;
};

uint8_t at(std::string_view bytes, size_t i) {
  return static_cast<uint8_t>(bytes[i]);
}

} // namespace

decode_result decode_binary(std::string_view bytes, binary_origin from) {
  if (bytes.empty())
    return unexpected{codec_errc::truncated_binary};
  frame f;
  f.format = payload_format::binary;
  auto kind = at(bytes, 0);
  std::string join_ref, ref;
  bool ok = false;
  switch (kind) {
    case static_cast<uint8_t>(binary_kind::push): {
      bool with_ref = from == binary_origin::client;
      size_t header = with_ref ? 5 : 4;
      if (bytes.size() < header)
        return unexpected{codec_errc::truncated_binary};
      field_reader r{bytes, header};
      size_t i = 1;
      auto jr = at(bytes, i++);
      uint8_t rf = with_ref ? at(bytes, i++) : 0;
      auto tp = at(bytes, i++);
      auto ev = at(bytes, i++);
      ok = r.take(jr, join_ref) && r.take(rf, ref) && r.take(tp, f.topic)
           && r.take(ev, f.event);
      if (ok) {
        f.join_ref = join_ref;
        if (with_ref)
          f.ref = ref;
        f.payload.assign(r.rest());
      }
      break;
    }
    case static_cast<uint8_t>(binary_kind::reply): {
      if (bytes.size() < 5)
        return unexpected{codec_errc::truncated_binary};
      field_reader r{bytes, 5};
      ok = r.take(at(bytes, 1), join_ref) && r.take(at(bytes, 2), ref)
           && r.take(at(bytes, 3), f.topic) && r.take(at(bytes, 4), f.reply_status);
      if (ok) {
        f.join_ref = join_ref;
        f.ref = ref;
        f.event = "phx_reply";
        f.payload.assign(r.rest());
      }
      break;
    }
    case static_cast<uint8_t>(binary_kind::broadcast): {
      if (bytes.size() < 3)
        return unexpected{codec_errc::truncated_binary};
      field_reader r{bytes, 3};
      ok = r.take(at(bytes, 1), f.topic) && r.take(at(bytes, 2), f.event);
      if (ok)
        f.payload.assign(r.rest());
      break;
    }
    default:
      return unexpected{codec_errc::unknown_binary_kind};
  }
  if (!ok)
    return unexpected{codec_errc::truncated_binary};
  // Replies have a kind of their own: a push or broadcast calling itself
  // phx_reply would be routed as a reply to somebody's ref.
  if (kind != static_cast<uint8_t>(binary_kind::reply) && f.event == "phx_reply")
    return unexpected{codec_errc::bad_event};
  return f;
}

encode_result encode_binary(const frame& f, binary_origin from) {
  auto field = [](const std::optional<std::string>& x) -> const std::string& {
    static const std::string none;
    return x ? *x : none;
  };
  std::string out;
  auto emit = [&](binary_kind kind, std::initializer_list<const std::string*> xs)
    -> encode_result {
    out.push_back(static_cast<char>(kind));
    for (auto* x : xs) {
      if (x->size() > 255)
        return unexpected{codec_errc::field_too_long};
      out.push_back(static_cast<char>(static_cast<uint8_t>(x->size())));
    }
    for (auto* x : xs)
      out.append(*x);
    out.append(f.payload);
    return std::move(out);
  };
  if (f.event == "phx_reply") {
    if (!f.ref)
      return unexpected{codec_errc::missing_ref};
    return emit(binary_kind::reply,
                {&field(f.join_ref), &*f.ref, &f.topic, &f.reply_status});
  }
  if (!f.join_ref && !f.ref)
    return emit(binary_kind::broadcast, {&f.topic, &f.event});
  if (from == binary_origin::client) {
    if (!f.ref)
      return unexpected{codec_errc::missing_ref};
    return emit(binary_kind::push, {&field(f.join_ref), &*f.ref, &f.topic, &f.event});
  }
  return emit(binary_kind::push, {&field(f.join_ref), &f.topic, &f.event});
}

} // namespace tether::protocol
