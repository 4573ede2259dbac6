#pragma once
// A minimal expected<T, E> for the pure protocol layer (C++20 has none, and
// protocol/ stays free of CAF). Holds a value or an error code, never both.

#include <cassert>
#include <utility>
#include <variant>

namespace tether::protocol {

template <class E>
struct unexpected {
  E error;
};

template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class expected {
public:
  expected(T value) : data_(std::in_place_index<0>, std::move(value)) {
  }

  expected(unexpected<E> err) : data_(std::in_place_index<1>, err.error) {
  }

  bool has_value() const noexcept {
    return data_.index() == 0;
  }

  explicit operator bool() const noexcept {
    return has_value();
  }

  T& value() & {
    assert(has_value());
    return std::get<0>(data_);
  }

  const T& value() const& {
    assert(has_value());
    return std::get<0>(data_);
  }

  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(data_));
  }

  T& operator*() & {
    return value();
  }

  const T& operator*() const& {
    return value();
  }

  T* operator->() {
    return &value();
  }

  const T* operator->() const {
    return &value();
  }

  E error() const {
    assert(!has_value());
    return std::get<1>(data_);
  }

private:
  std::variant<T, E> data_;
};

} // namespace tether::protocol
