// Errors are values: the library returns them, only cmd/ turns them into words on stderr and
// an exit status (cmd/exit_codes.h).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace trigger {

/// What went wrong, coarse enough for a caller to act on. Each kind maps to one exit status.
enum class ErrorKind {
  kUsage,         ///< a bad option value or argument (a time, duration, zone, clock, name)
  kData,          ///< input that conflicts with stored data, or a bad input file
  kNotFound,      ///< no such trigger
  kInternal,      ///< a bug or an impossible state
  kCannotCreate,  ///< the database or its directory could not be created
  kIO,            ///< reading or writing the database failed (read-only, full, corrupt)
  kDamaged,       ///< one stored row holds a value that cannot be decoded; the rest reads fine
  kBusy,          ///< the database stayed locked beyond the busy timeout
  kUnsafe,        ///< refused for safety (a file others can write)
  kTooNew,        ///< the database was written by a newer trigger
};

/// `text` with its control characters written as escapes (a newline as \n, a tab as \t, any
/// other as \xHH), so that user text quoted in a message keeps it on one line.
inline std::string one_line(std::string text) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto is_control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  bool any = false;
  for (char c : text) any = any || is_control(c);
  if (!any) return text;
  std::string out;
  for (char c : text) {
    if (!is_control(c)) {
      out += c;
    } else if (c == '\n' || c == '\t' || c == '\r') {
      out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r";
    } else {
      out += {'\\', 'x', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
    }
  }
  return out;
}

/// An error: a kind and a one-line message naming the value at fault, lowercase, no full stop.
/// Control characters in the message (from user text it quotes) are escaped: see one_line().
class Error {
 public:
  Error(ErrorKind kind, std::string message)
      : kind_(kind), message_(one_line(std::move(message))) {}
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

 private:
  ErrorKind kind_;
  std::string message_;
};

inline Error usage_error(std::string message) { return {ErrorKind::kUsage, std::move(message)}; }
inline Error data_error(std::string message) { return {ErrorKind::kData, std::move(message)}; }

/// Either a value or an Error. Check ok() before value(); value() on an error is a bug.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// A result that carries no value.
struct Ok {};
using Status = Result<Ok>;

}  // namespace trigger
