// Whether commands may be run from a database (SPEC §9, trigger-run-once(1) "Safety"): the
// files SQLite really uses, and every directory on the way to them, must be such that only the
// invoking user or root can change what they hold, as sshd's StrictModes asks of
// authorized_keys.
#include "store/file_safety.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "text.h"

namespace trigger {
namespace {

Error unsafe(const std::string& subject, const std::string& why) {
  return Error(ErrorKind::kUnsafe, "refusing to run commands from " + subject + ": " + why);
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The owner must be the invoking user or root: anyone else could change the file's mode.
Status check_owner(const struct stat& info, const std::string& subject) {
  if (info.st_uid == geteuid() || info.st_uid == 0) return Ok{};
  return unsafe(subject, "owned by uid " + std::to_string(info.st_uid) + ", not by you or root");
}

// The database, its -wal or its -shm file: absent (SQLite creates it with the database's mode
// and owner), or a regular file, not a link, that only its owner (the user or root) can write.
Status check_file(const std::string& file, const std::string& subject) {
  struct stat info;
  if (lstat(file.c_str(), &info) != 0) return Ok{};
  if (S_ISLNK(info.st_mode)) return unsafe(subject, "it is a symbolic link");
  if (!S_ISREG(info.st_mode)) return unsafe(subject, "it is not a regular file");
  if (info.st_mode & (S_IWGRP | S_IWOTH))
    return unsafe(subject, "mode " + mode_text(info.st_mode) + " lets others write it");
  return check_owner(info, subject);
}

// A directory on the way to the database. Its own directory must be writable by its owner
// alone: whoever can add files there can plant a -wal or -shm file. A directory above it may
// also be one with the sticky bit, such as /tmp: there only the owner of an entry (checked a
// level down), the directory's owner or root can rename or remove it.
Status check_directory(const std::string& directory, const std::string& subject,
                       bool sticky_will_do) {
  struct stat info;
  if (lstat(directory.c_str(), &info) != 0) return Ok{};
  if (S_ISLNK(info.st_mode)) return unsafe(subject, "it is a symbolic link");
  bool others_write = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (others_write && !(sticky_will_do && (info.st_mode & S_ISVTX))) {
    return unsafe(subject, "mode " + mode_text(info.st_mode) +
                               (sticky_will_do ? " lets others rename what it holds"
                                               : " lets others write it"));
  }
  return check_owner(info, subject);
}

}  // namespace

// The files of the database at `real` (its path with every link resolved, as SQLite opened
// it), named as `given` spells them when that is the same file name, else by the real path.
Status check_database_files(const std::string& real, const std::string& given) {
  if (real.empty()) return Ok{};  // an in-memory database
  std::error_code error;
  auto absolute = std::filesystem::absolute(given, error).lexically_normal();
  std::string shown = !error && absolute == real ? given : real;
  if (auto file = check_file(real, "database " + in_quotes(shown)); !file) return file;
  for (const char* suffix : {"-wal", "-shm"}) {
    const char* what = suffix[1] == 'w' ? "database journal " : "database shared memory ";
    if (auto file = check_file(real + suffix, what + in_quotes(shown + suffix)); !file) return file;
  }
  std::string directory = directory_of(real);
  if (auto own =
          check_directory(directory, "database directory " + in_quotes(directory_of(shown)), false);
      !own)
    return own;
  while (directory != "/") {
    directory = directory_of(directory);
    if (auto above = check_directory(
            directory, "directory " + in_quotes(directory) + " above database " + in_quotes(shown),
            true);
        !above)
      return above;
  }
  return Ok{};
}

Status check_database_owned_by_root(const std::string& real, const std::string& given) {
  if (real.empty()) return Ok{};
  struct stat info;
  std::string subject = "database " + in_quotes(given);
  if (lstat(real.c_str(), &info) != 0)
    return Error(ErrorKind::kUnsafe, "cannot tell who owns " + subject);
  if (info.st_uid == 0) return Ok{};
  return Error(ErrorKind::kUnsafe,
               subject + " is owned by uid " + std::to_string(info.st_uid) + ", not by root");
}

Status check_root_database_location(const std::string& path) {
  std::error_code error;
  auto real = std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
  if (error) return Ok{};  // nothing to resolve it against: opening it says why
  if (auto files = check_database_files(real.string(), path); !files) return files;
  struct stat info;
  if (lstat(real.c_str(), &info) != 0) return Ok{};  // root creates it, 0600 in 0700 directories
  return check_database_owned_by_root(real.string(), path);
}

Status check_database_safety(const std::string& path) {
  if (path.empty()) return Ok{};
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return Ok{};  // no database there: nothing to run
  std::string real = resolved;
  std::free(resolved);
  return check_database_files(real, path);
}

}  // namespace trigger
