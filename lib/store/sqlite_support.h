// What the SQLite backend's files share (private to lib/store/): errors that name the
// database, binding a statement's parameters in one call, reading optional columns, and the
// cache of prepared statements.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "text.h"
#include "trigger/error.h"

namespace trigger::sqlite {

/// The error for SQLite result `code` on the database at `path`: kBusy, kIO (read-only, full,
/// damaged, unreadable) or kInternal, each message naming the database.
Error error_of(const std::string& path, int code, const std::string& what);

/// A stored value that cannot be decoded: that row is damaged, not the database (kDamaged).
class DamagedValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Run `body`, turning SQLite exceptions, damaged values and damaged JSON into errors that
/// name the database at `path`.
template <class Body>
auto guarded(const std::string& path, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    // The extended code when it refines the primary one (SQLITE_READONLY_DIRECTORY).
    int extended = e.getExtendedErrorCode();
    bool refines = extended > 0 && (extended & 0xff) == (e.getErrorCode() & 0xff);
    return error_of(path, refines ? extended : e.getErrorCode(), e.getErrorStr());
  } catch (const DamagedValue& e) {
    return Error(ErrorKind::kDamaged, "database " + in_quotes(path) + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorKind::kDamaged,
                 "database " + in_quotes(path) + " holds a damaged value: " + e.what());
  }
}

inline std::optional<std::int64_t> optional_int(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

inline std::optional<std::string> optional_text(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

// Binding: integers as INTEGER, bool as 0/1, text, and an empty optional as NULL.
template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
void bind_one(SQLite::Statement& s, int index, T value) {
  s.bind(index, static_cast<std::int64_t>(value));
}
inline void bind_one(SQLite::Statement& s, int index, bool value) { s.bind(index, value ? 1 : 0); }
inline void bind_one(SQLite::Statement& s, int index, const std::string& value) {
  s.bind(index, value);
}
inline void bind_one(SQLite::Statement& s, int index, std::string_view value) {
  s.bind(index, std::string(value));
}
inline void bind_one(SQLite::Statement& s, int index, const char* value) {
  s.bind(index, std::string(value));
}
inline void bind_one(SQLite::Statement& s, int index, std::nullopt_t) { s.bind(index); }
template <class T>
void bind_one(SQLite::Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    bind_one(s, index, *value);
  } else {
    s.bind(index);
  }
}

/// Bind `args` to the parameters ?1, ?2, ... of `s`, in order.
template <class... Args>
void bind_all(SQLite::Statement& s, const Args&... args) {
  int index = 1;
  (bind_one(s, index++, args), ...);
}

/// A cached statement and whether a use of it is under way.
struct CachedStatement {
  std::unique_ptr<SQLite::Statement> statement;
  bool in_use = false;
};

/// A statement from the cache, reset (its row and read lock released) when the use ends. A
/// statement already in use further up the stack is not shared: the use gets its own.
class Prepared {
 public:
  Prepared(SQLite::Statement* statement, std::unique_ptr<SQLite::Statement> own, bool* in_use)
      : statement_(statement), own_(std::move(own)), in_use_(in_use) {}
  Prepared(Prepared&& other) noexcept
      : statement_(other.statement_), own_(std::move(other.own_)), in_use_(other.in_use_) {
    other.statement_ = nullptr;
    other.in_use_ = nullptr;
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  Prepared& operator=(Prepared&&) = delete;
  ~Prepared() {
    if (statement_ != nullptr && !own_) statement_->tryReset();
    if (in_use_ != nullptr) *in_use_ = false;
  }
  SQLite::Statement& operator*() const { return *statement_; }
  SQLite::Statement* operator->() const { return statement_; }
  /// Bind `args` from ?1 on for another run of the statement (after reset()).
  template <class... Args>
  void rebind(const Args&... args) {
    statement_->reset();
    bind_all(*statement_, args...);
  }

 private:
  SQLite::Statement* statement_;
  std::unique_ptr<SQLite::Statement> own_;
  bool* in_use_;
};

}  // namespace trigger::sqlite
