#include "process.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "runner.h"
#include "trigger/env.h"

using trigger::Liveness;
using trigger::ProcessIdentity;

TEST_CASE("this process is alive, with its start time and boot", "[process]") {
  const ProcessIdentity& self = trigger::this_process();
  CHECK(self.pid == getpid());
  CHECK(self.start_ticks > 0);
  CHECK(!self.host.empty());
  CHECK(self.boot_id.size() == 36);
  CHECK(trigger::liveness(self) == Liveness::kAlive);
}

TEST_CASE("a process that ended is dead, and so is a pid now held by another process",
          "[process]") {
  pid_t child = fork();
  if (child == 0) _exit(0);
  ProcessIdentity holder = trigger::this_process();
  holder.pid = child;
  holder.start_ticks = trigger::process_start_ticks(child);
  // Ended but not yet reaped: a zombie is already dead.
  usleep(100000);
  CHECK(trigger::liveness(holder) == Liveness::kDead);
  waitpid(child, nullptr, 0);
  CHECK(trigger::liveness(holder) == Liveness::kDead);

  ProcessIdentity reused = trigger::this_process();
  reused.start_ticks += 1;  // the same pid, started at another time: not the recorded process
  CHECK(trigger::liveness(reused) == Liveness::kDead);
}

TEST_CASE("a holder from another boot is dead; one on another host is unknown", "[process]") {
  ProcessIdentity holder = trigger::this_process();
  holder.boot_id = "00000000-0000-0000-0000-000000000000";
  CHECK(trigger::liveness(holder) == Liveness::kDead);
  holder = trigger::this_process();
  holder.host = "elsewhere.example";
  CHECK(trigger::liveness(holder) == Liveness::kUnknown);
}

TEST_CASE("a command reads its input whole however large, and /dev/null without one",
          "[process][runner]") {
  trigger::ProcessPool pool(trigger::Env::system());
  trigger::RunRequest request;
  request.argv = {"/bin/sh", "-c", "sleep 0.2; wc -c"};  // reads nothing until the pipe would be full
  request.input = std::string(1 << 20, 'x');
  auto large = pool.start(request);
  REQUIRE(large.ok());
  request.input.reset();
  auto none = pool.start(request);
  REQUIRE(none.ok());
  std::map<int, trigger::RunResult> ended;
  for (int i = 0; i < 100 && ended.size() < 2; ++i) {
    for (auto& [handle, result] : pool.wait(std::chrono::milliseconds(100))) ended[handle] = result;
  }
  REQUIRE(ended.size() == 2);
  CHECK(ended[large->handle].output == "1048576\n");
  CHECK(ended[none->handle].output == "0\n");
}

namespace {

// Start each request and wait for all of them to end: their results, in order.
std::vector<trigger::RunResult> run_all(const std::vector<trigger::RunRequest>& requests) {
  trigger::ProcessPool pool(trigger::Env::system());
  std::vector<int> handles;
  for (const auto& request : requests) {
    auto started = pool.start(request);
    REQUIRE(started.ok());
    handles.push_back(started->handle);
  }
  std::map<int, trigger::RunResult> ended;
  for (int i = 0; i < 100 && ended.size() < requests.size(); ++i) {
    for (auto& [handle, result] : pool.wait(std::chrono::milliseconds(100))) ended[handle] = result;
  }
  REQUIRE(ended.size() == requests.size());
  std::vector<trigger::RunResult> results;
  for (int handle : handles) results.push_back(ended[handle]);
  return results;
}

}  // namespace

TEST_CASE("a program is looked up in the PATH of its own environment, not the pass's",
          "[process][runner]") {
  char pattern[] = "/tmp/trigger-path-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::string dir = pattern;
  std::string program = dir + "/only-here";
  {
    std::ofstream script(program);
    script << "#!/bin/sh\necho \"found as $0\"\n";
  }
  REQUIRE(chmod(program.c_str(), 0755) == 0);
  std::string not_runnable = dir + "/not-runnable";
  std::ofstream(not_runnable) << "#!/bin/sh\n";
  trigger::RunRequest found;
  found.argv = {"only-here"};
  found.env = {"PATH=/nonexistent:" + dir};
  trigger::RunRequest relative = found;  // an empty directory in PATH is the command's --cwd
  relative.env = {"PATH=/nonexistent:"};
  relative.cwd = dir;
  trigger::RunRequest missing = found;
  missing.env = {"PATH=/nonexistent:/tmp"};
  trigger::RunRequest denied = found;
  denied.argv = {"not-runnable"};
  auto results = run_all({found, relative, missing, denied});
  CHECK(results[0].output == "found as " + program + "\n");
  CHECK(results[0].exit_status == 0);
  CHECK(results[1].output == "found as " + dir + "/./only-here\n");
  CHECK(results[2].exit_status == 127);
  CHECK(results[2].start_error == "cannot run 'only-here': No such file or directory");
  CHECK(results[2].output == "trigger: cannot run 'only-here': No such file or directory\n");
  CHECK(results[3].exit_status == 127);
  CHECK(results[3].start_error == "cannot run 'not-runnable': Permission denied");
  std::filesystem::remove_all(dir);
}

namespace {

trigger::Account nobody_account() {
  trigger::Account account;
  account.name = "nobody";
  account.uid = 65534;
  account.gid = 65534;
  account.groups = {65534};
  account.home = "/";
  account.shell = "/bin/sh";
  return account;
}

}  // namespace

TEST_CASE("a command that cannot take its account's groups never runs: exit status 125",
          "[process][runner]") {
  char pattern[] = "/tmp/trigger-account-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::string marker = std::string(pattern) + "/ran";
  trigger::RunRequest request;
  request.argv = {"/bin/sh", "-c", "touch " + marker};
  request.account = nobody_account();
  // More groups than the kernel takes (NGROUPS_MAX): setgroups fails, for root too.
  request.account->groups.assign(70000, 65534);
  auto results = run_all({request});
  CHECK(results[0].exit_status == trigger::kCannotBecomeUser);
  CHECK(results[0].start_error == "cannot take the groups of user 'nobody': Invalid argument");
  CHECK(results[0].output ==
        "trigger: cannot take the groups of user 'nobody': Invalid argument\n");
  CHECK_FALSE(std::filesystem::exists(marker));
  std::filesystem::remove_all(pattern);
}

TEST_CASE("a command run as an account has its ids and groups, and its timeout still ends it",
          "[process][runner]") {
  if (geteuid() != 0) {
    WARN("skipped: only root can run a command as another user");
    return;
  }
  trigger::RunRequest request;
  request.argv = {"/bin/sh", "-c", "id -u; id -g; id -G; pwd; exec sleep 30"};
  request.account = nobody_account();
  request.cwd = "/";
  request.timeout_seconds = 1;
  request.kill_grace_seconds = 1;
  auto started = std::chrono::steady_clock::now();
  auto results = run_all({request});
  CHECK(results[0].output == "65534\n65534\n65534\n/\n");
  CHECK(results[0].timed_out);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("a refused command ends at once with exit status 127 and why", "[process][runner]") {
  trigger::ProcessPool pool(trigger::Env::system());
  auto refused = pool.refuse("--user 'x': only root can run commands as another user");
  CHECK(refused.pgid == -1);
  auto ended = pool.wait(std::chrono::milliseconds(100));
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].first == refused.handle);
  CHECK(ended[0].second.exit_status == 127);
  CHECK(ended[0].second.start_error ==
        "not run: --user 'x': only root can run commands as another user");
}
