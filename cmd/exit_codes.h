// Exit statuses (SPEC §8, trigger(1) EXIT STATUS), in one place.
#pragma once

#include "trigger/error.h"

namespace trigger::cmd {

constexpr int kExitOk = 0;
constexpr int kExitTrouble = 1;        ///< the command ran but reports trouble
constexpr int kExitUsage = 64;         ///< EX_USAGE
constexpr int kExitData = 65;          ///< EX_DATAERR
constexpr int kExitNoTrigger = 66;     ///< EX_NOINPUT: no such trigger
constexpr int kExitInternal = 70;      ///< EX_SOFTWARE
constexpr int kExitCannotCreate = 73;  ///< EX_CANTCREAT
constexpr int kExitIO = 74;            ///< EX_IOERR
constexpr int kExitBusy = 75;          ///< EX_TEMPFAIL
constexpr int kExitUnsafe = 77;        ///< EX_NOPERM
constexpr int kExitTooNew = 78;        ///< EX_CONFIG

constexpr int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kData:
      return kExitData;
    case ErrorKind::kNotFound:
      return kExitNoTrigger;
    case ErrorKind::kInternal:
      return kExitInternal;
    case ErrorKind::kCannotCreate:
      return kExitCannotCreate;
    case ErrorKind::kIO:
    case ErrorKind::kDamaged:  // to a command, a damaged row is a damaged database
      return kExitIO;
    case ErrorKind::kBusy:
      return kExitBusy;
    case ErrorKind::kUnsafe:
      return kExitUnsafe;
    case ErrorKind::kTooNew:
      return kExitTooNew;
  }
  return kExitInternal;
}

}  // namespace trigger::cmd
