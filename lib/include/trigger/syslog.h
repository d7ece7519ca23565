// The pass's log lines (trigger-run-once(1), "Logging"): one line per run started or ended,
// per occurrence skipped, coalesced or set aside, and per pass failure, to syslog (facility
// cron, ident "trigger", with the pid) as glibc's syslog(3) would send them, or to a test's
// capture.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trigger/env.h"
#include "trigger/time.h"

namespace trigger {

/// The syslog severities the pass uses (RFC 5424 numbers).
enum class Severity { kErr = 3, kWarning = 4, kInfo = 6 };

/// Where the pass's log lines go. log() never fails and never blocks: a line that cannot be
/// delivered is dropped.
class LogSink {
 public:
  virtual ~LogSink() = default;
  /// One line, without the ident: "'backup' (event 1-1700000060) started, attempt 1".
  virtual void log(Severity severity, const std::string& message) = 0;
};

/// The socket syslog reads (journald's too) unless TRIGGER_SYSLOG_SOCKET names another.
inline constexpr char kDefaultSyslogSocket[] = "/dev/log";

/// The datagram glibc's syslog(3) sends for LOG_CRON at `severity`, at `at` in `zone`:
/// "<PRI>Mmm dd hh:mm:ss trigger[PID]: MESSAGE" (the day padded with a space, as "Dec  4").
std::string syslog_datagram(Severity severity, Epoch at, const Zone& zone, int pid,
                            const std::string& message);

/// Sends each line as one datagram to a Unix socket (kDefaultSyslogSocket by default), with
/// MSG_DONTWAIT: a socket that is missing, refuses or is full loses the line, nothing else.
/// Timestamps are env's wall time in the system's zone (TZ, else /etc/localtime, else UTC).
class SyslogSink : public LogSink {
 public:
  explicit SyslogSink(Env& env, std::string socket_path = kDefaultSyslogSocket);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;
  void log(Severity severity, const std::string& message) override;

 private:
  Env& env_;
  std::string path_;
  /// The local zone of the timestamps, read at the first line: a pass that logs nothing (an
  /// idle one) does not pay for looking it up.
  std::optional<Zone> zone_;
  int fd_ = -1;  ///< opened at the first line
};

/// Keeps every line, for tests.
class CapturingSink : public LogSink {
 public:
  struct Line {
    Severity severity;
    std::string message;
  };
  void log(Severity severity, const std::string& message) override {
    lines.push_back({severity, message});
  }
  std::vector<Line> lines;
};

}  // namespace trigger
