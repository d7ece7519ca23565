#include "trigger/syslog.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using trigger::Severity;

constexpr trigger::Epoch kDec4 = 1796353505;  // 2026-12-04T03:05:05Z

// A datagram socket bound in a temporary directory, as syslogd binds /dev/log.
class Listener {
 public:
  Listener() {
    char pattern[] = "/tmp/trigger-syslog-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir_ = pattern;
    path_ = dir_ + "/log";
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~Listener() {
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }
  // The next datagram, or "" if none is waiting.
  std::string receive() {
    char buffer[4096];
    ssize_t got = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    return got < 0 ? "" : std::string(buffer, static_cast<std::size_t>(got));
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("syslog datagrams are glibc's: <PRI>Mmm dd hh:mm:ss trigger[pid]: ", "[syslog]") {
  auto utc = trigger::Zone::utc();
  CHECK(trigger::syslog_datagram(Severity::kInfo, kDec4, utc, 42, "'a' (event 1-60) started") ==
        "<78>Dec  4 03:05:05 trigger[42]: 'a' (event 1-60) started");
  CHECK(trigger::syslog_datagram(Severity::kWarning, kDec4, utc, 42, "w").substr(0, 4) == "<76>");
  CHECK(trigger::syslog_datagram(Severity::kErr, kDec4, utc, 42, "e").substr(0, 4) == "<75>");
  auto tokyo = trigger::Zone::locate("Asia/Tokyo");
  REQUIRE(tokyo.ok());
  CHECK(trigger::syslog_datagram(Severity::kErr, kDec4 + 20 * 3600, *tokyo, 7, "x") ==
        "<75>Dec  5 08:05:05 trigger[7]: x");
}

TEST_CASE("SyslogSink sends one datagram per line, stamped with the Env's time", "[syslog]") {
  Listener listener;
  trigger::FixedEnv env(kDec4);
  setenv("TZ", "UTC", 1);
  trigger::SyslogSink sink(env, listener.path());
  sink.log(Severity::kErr, "'bad' (event 1-60) failed after 0.1 s, attempt 1: exit status 3");
  CHECK(listener.receive() == "<75>Dec  4 03:05:05 trigger[" + std::to_string(getpid()) +
                                  "]: 'bad' (event 1-60) failed after 0.1 s, attempt 1: "
                                  "exit status 3");
  CHECK(listener.receive().empty());
}

TEST_CASE("SyslogSink drops lines a missing or full socket cannot take, and goes on", "[syslog]") {
  trigger::FixedEnv env(kDec4);
  trigger::SyslogSink missing(env, "/nonexistent/trigger-test/log");
  missing.log(Severity::kInfo, "lost");  // returns: nothing to check but that it does
  Listener listener;
  trigger::SyslogSink sink(env, listener.path());
  // Nobody reads: the socket's queue fills, and the rest are dropped without waiting.
  for (int i = 0; i < 10000; ++i) sink.log(Severity::kInfo, std::string(1000, 'x'));
  int received = 0;
  while (!listener.receive().empty()) ++received;
  CHECK(received > 0);
  CHECK(received < 10000);
}
