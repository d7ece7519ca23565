#include "trigger/syslog.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace trigger {
namespace {

constexpr int kFacilityCron = 9 << 3;  // LOG_CRON
constexpr char kIdent[] = "trigger";

}  // namespace

std::string syslog_datagram(Severity severity, Epoch at, const Zone& zone, int pid,
                            const std::string& message) {
  // Local time is UTC shifted by the zone's offset: broken down as UTC, with no clock read.
  std::time_t local = static_cast<std::time_t>(at + zone.offset_at(at));
  std::tm fields{};
  gmtime_r(&local, &fields);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &fields);
  return "<" + std::to_string(kFacilityCron | static_cast<int>(severity)) + ">" + stamp + " " +
         kIdent + "[" + std::to_string(pid) + "]: " + message;
}

SyslogSink::SyslogSink(Env& env, std::string socket_path)
    : env_(env), path_(std::move(socket_path)) {}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) close(fd_);
}

void SyslogSink::log(Severity severity, const std::string& message) {
  sockaddr_un address{};
  if (path_.size() >= sizeof address.sun_path) return;
  if (fd_ < 0) fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
  if (!zone_) {
    auto system = Zone::system_default();
    zone_ = system ? *system : Zone::utc();
  }
  std::string datagram = syslog_datagram(severity, env_.now(), *zone_, getpid(), message);
  // Missing, refused or full: the line is lost, and only the line.
  (void)sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&address), sizeof address);
}

}  // namespace trigger
