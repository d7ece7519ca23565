#!/bin/sh
# Set up trigger on a fresh Debian 12 machine, as root (or with sudo).
#
#   tools/setup.sh demo   install the dependencies, build, install, and run a short demo
#                         on a database of its own (TRIGGER_DEMO_DB, default ~/trigger-demo.db)
#   tools/setup.sh test   install the dependencies, build, and run the whole test suite, then
#                         again under ASan and UBSan, then each fuzzer for FUZZ_SECONDS; then
#                         build the Debian package and check it installed (deb, deb-check)
#   tools/setup.sh bench  install the dependencies and APScheduler, build, and run the benchmarks
#   tools/setup.sh deb    install the dependencies and Debian's packaging tools, build
#                         trigger_VERSION_ARCH.deb at the repository's top, and lintian it
#   tools/setup.sh deb-check  install the built package here, check it, remove and purge it
#   tools/setup.sh deps   install the dependencies only
#
# BUILD_DIR (default: build) is the meson build directory; BUILD_DIR-fuzz is the second one,
# clang with ASan and UBSan, where the test suite runs again and the fuzzers are built.
set -eu

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
SANITIZER_DIR="$BUILD_DIR-fuzz"
FUZZ_TARGETS="clock cron crontab duration import time zone"

# Every dependency, from Debian's packages (SPEC §11; nlohmann-json3-dev for JSON).
PACKAGES="meson ninja-build g++ pkg-config python3 \
  libboost-program-options-dev libboost-date-time-dev \
  libsqlitecpp-dev libsqlite3-dev catch2 libhowardhinnant-date-dev nlohmann-json3-dev \
  tzdata mandoc"

# What only the tests need: the fuzzers' and sanitizers' compiler and runtime, and prometheus
# for promtool, which checks `status --format openmetrics` (its server is not started: the
# package is installed with policy-rc.d refusing service starts).
TEST_PACKAGES="clang libclang-rt-14-dev prometheus"
# Seconds of fuzzing per target (seven targets); the sanitizer build's test timeouts are the
# suites' own times this multiplier.
FUZZ_SECONDS=${FUZZ_SECONDS:-35}
# What building the Debian package needs besides PACKAGES (debian/control's Build-Depends).
DEB_PACKAGES="debhelper dpkg-dev fakeroot lintian"
# What the installed package's check needs: man -w, and systemd-analyze verify.
DEB_TEST_PACKAGES="man-db systemd"
SANITIZER_TIMEOUT_MULTIPLIER=${SANITIZER_TIMEOUT_MULTIPLIER:-8}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  missing=$(for p in $PACKAGES ${1:-}; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"; done)
  [ -z "$missing" ] && return 0
  echo "installing: $missing" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # No package started as a service here (prometheus would be): a policy-rc.d that refuses,
  # for the length of the install, unless the machine has one of its own.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy"
    own_policy=1
  fi
  # shellcheck disable=SC2086
  status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
    status=$?
  [ "$own_policy" -eq 1 ] && as_root rm -f "$policy"
  return $status
}

build() {
  [ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" --buildtype=debugoptimized
  ninja -C "$BUILD_DIR"
}

# The second build: clang with ASan and UBSan, and the libFuzzer targets. The whole test suite
# runs in it too.
sanitizer_build() {
  [ -f "$SANITIZER_DIR/build.ninja" ] || CXX=clang++ meson setup "$SANITIZER_DIR" -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link
  ninja -C "$SANITIZER_DIR"
}

# The whole meson test suite on the sanitizer build. A report fails the run: the process that
# hits one exits 86 and leaves the report in $SANITIZER_DIR/sanitizer-report.PID (the defaults
# built into the tested programs, test/sanitizer_options.cc), which catches reports from
# processes whose exit status no test looks at.
sanitized_tests() {
  rm -f "$SANITIZER_DIR"/sanitizer-report.*
  sanitized_status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$SANITIZER_DIR" --print-errorlogs \
      --timeout-multiplier "$SANITIZER_TIMEOUT_MULTIPLIER" || sanitized_status=$?
  for report in "$SANITIZER_DIR"/sanitizer-report.*; do
    [ -e "$report" ] || continue
    echo "sanitizer report $report:"
    cat "$report"
    echo FAIL >> "$RESULTS"
    sanitized_status=1
  done
  return $sanitized_status
}

# Run each libFuzzer target for FUZZ_SECONDS on its checked-in corpus; a crash or a failed
# property fails the run and leaves the input in the build directory.
fuzz() {
  failed=0
  for target in $FUZZ_TARGETS; do
    work=$(mktemp -d)
    echo "fuzzing $target for ${FUZZ_SECONDS}s"
    if "$SANITIZER_DIR/test/fuzz/${target}_fuzz" -max_total_time="$FUZZ_SECONDS" \
        -print_final_stats=1 -artifact_prefix="$SANITIZER_DIR/" "$work" "test/fuzz/corpus/$target" \
        > "$work.log" 2>&1; then
      echo OK >> "$RESULTS"
    else
      failed=1
      echo FAIL >> "$RESULTS"
      tail -n 40 "$work.log"
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$work.log" || true
    rm -rf "$work" "$work.log"
  done
  return $failed
}

# The suite twice (g++ build, then ASan+UBSan), then the fuzzers; one closing line for both.
run_tests() {
  status=0
  RESULTS=$(mktemp)
  meson test -C "$BUILD_DIR" --print-errorlogs || status=$?
  sanitizer_build
  sanitized_tests || status=$?
  fuzz || status=$?
  # One closing line a CI reader understands, from meson's own logs and the fuzzers' results.
  python3 - "$BUILD_DIR/meson-logs/testlog.json" "$SANITIZER_DIR/meson-logs/testlog.json" \
    "$RESULTS" <<'PY'
import json, sys
results = [json.loads(line)['result'] for name in sys.argv[1:3] for line in open(name)]
results += open(sys.argv[3]).read().split()
print(f"{results.count('OK')} passed, {len(results) - results.count('OK') - results.count('SKIP')} failed, {results.count('SKIP')} skipped")
PY
  rm -f "$RESULTS"
  return $status
}

demo() {
  as_root meson install -C "$BUILD_DIR" --quiet
  echo "== trigger is installed: $(trigger --version)"
  # The demo's own database: it never writes the default one, which may hold real triggers.
  export TRIGGER_DB="${TRIGGER_DEMO_DB:-$HOME/trigger-demo.db}"
  echo "== defining three triggers in $TRIGGER_DB (import updates them by name on a rerun)"
  trigger import - <<'JSONL'
{"name": "demo-heartbeat", "clock": "--every 5m", "action": "--log 'still alive'", "labels": {"demo": "yes"}}
{"name": "demo-backup", "clock": "--daily 02:30", "tz": "Europe/Berlin", "action": "-- /bin/echo backup done", "policy": {"timeout": "2h", "retries": 2}, "labels": {"demo": "yes"}}
{"name": "demo-reminder", "clock": "--at 2099-12-31T23:59:00Z", "action": "--sh 'echo happy new century'", "labels": {"demo": "yes"}}
JSONL
  echo "== trigger run-once   (what cron runs every minute: schedules the triggers)"
  trigger run-once
  echo "== trigger fire demo-backup; trigger run-once   (a manual run, executed by the next pass)"
  trigger fire demo-backup
  trigger run-once
  echo "== trigger history demo-backup --limit 3"
  trigger history demo-backup --limit 3
  echo "== trigger list --label demo=yes"
  trigger list --label demo=yes
  echo "== trigger show demo-backup"
  trigger show demo-backup
  echo "== trigger next --every 90m --count 3 --format tsv   (a preview, nothing created)"
  trigger next --every 90m --count 3 --format tsv
  echo "== trigger status"
  trigger status || true
  echo "== done: the triggers are in $TRIGGER_DB, not in the default database (see FILES in"
  echo "   'man trigger'). To run them for real, add to your crontab (crontab -e):"
  echo "   * * * * * TRIGGER_DB=$TRIGGER_DB $(command -v trigger) run-once"
}

# The Debian package, built in a copy of the tree (the user's build directories, and
# dpkg-buildpackage's files in debian/ and beside the tree, stay out of the repository), then
# moved to the repository's top and checked by lintian: any error or warning fails.
deb_file_name() {
  echo "trigger_$(dpkg-parsechangelog -S Version)_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
}

deb() {
  version=$(dpkg-parsechangelog -S Version)
  deb_file=$(deb_file_name)
  meson_version=$(sed -n "s/^ *version : '\(.*\)',$/\1/p" meson.build)
  if [ "$version" != "$meson_version" ]; then
    echo "debian/changelog's version $version is not meson.build's $meson_version" >&2
    return 1
  fi
  work=$(mktemp -d)
  mkdir "$work/trigger-$version"
  tar -cf - --exclude=./.git --exclude='./build*' --exclude='./obj-*' --exclude='./*.deb' \
    --exclude='./debian/.debhelper' --exclude='./debian/trigger' . |
    tar -C "$work/trigger-$version" -xf -
  # No debug-symbols package (nothing uploads it); nocheck says what debian/rules does anyway.
  (cd "$work/trigger-$version" &&
    DEB_BUILD_OPTIONS="nocheck noddebs ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b -Jauto) > "$work/build.log" 2>&1 || {
    tail -n 60 "$work/build.log"; rm -rf "$work"; return 1; }
  mv "$work/$deb_file" .
  rm -rf "$work"
  echo "built $(pwd)/$deb_file"
  lintian --fail-on error,warning "$deb_file"
}

# The built package on this machine: dpkg -i, the tool, its pages, completion and units, then
# dpkg -r leaving nothing but the conffile and root's database directory, and dpkg -P removing
# those. A root database already in /var/lib/trigger is kept aside and put back after the purge.
deb_check() {
  deb_file=$(deb_file_name)
  if dpkg-query -W -f='${Status}\n' trigger 2>/dev/null | grep -q 'installed'; then
    echo "deb check skipped: the trigger package is installed here already" >&2
    return 1
  fi
  saved=$(mktemp -d)
  if [ -d /var/lib/trigger ]; then as_root tar -C /var/lib -cf "$saved/var-lib-trigger.tar" trigger; fi
  # Out of the way, so that the check sees postinst create it.
  as_root rm -rf /var/lib/trigger
  deb_status=0
  deb_installed_checks "$deb_file" "$saved" || deb_status=$?
  if [ -e "$saved/var-lib-trigger.tar" ]; then
    as_root rm -rf /var/lib/trigger
    as_root tar -C /var/lib -xpf "$saved/var-lib-trigger.tar"
  fi
  rm -rf "$saved"
  [ "$deb_status" -eq 0 ] && echo "deb check: OK" || echo "deb check: FAIL"
  return $deb_status
}

deb_installed_checks() {
  as_root dpkg -i "$1" > /dev/null || { echo "dpkg -i $1 failed"; return 1; }
  check_status=0
  deb_installed_tools || check_status=1
  dpkg -L trigger | sort > "$2/files"
  as_root dpkg -r trigger > /dev/null
  # What remove leaves: the conffile and root's database directory.
  left=$(while read -r f; do [ ! -d "$f" ] && [ -e "$f" ] && echo "$f"; done < "$2/files" |
    grep -v -x -e /etc/cron.d/trigger) || true
  [ -z "$left" ] || { echo "dpkg -r left behind: $left"; check_status=1; }
  [ -f /etc/cron.d/trigger ] || { echo "dpkg -r removed the conffile /etc/cron.d/trigger"; check_status=1; }
  as_root dpkg -P trigger > /dev/null
  for f in /var/lib/trigger /etc/cron.d/trigger; do
    [ ! -e "$f" ] || { echo "dpkg -P left $f"; check_status=1; }
  done
  return $check_status
}

# The installed package's commands, pages, completion and units; any failure is named.
deb_installed_tools() {
  ok=0
  /usr/bin/trigger --version || { echo "trigger --version failed"; ok=1; }
  man -w trigger trigger-clock > /dev/null || { echo "man -w trigger trigger-clock failed"; ok=1; }
  [ "$(stat -c %a /var/lib/trigger)" = 700 ] || { echo "/var/lib/trigger is not 0700"; ok=1; }
  completion=/usr/share/bash-completion/completions/trigger
  if [ -e "$completion" ]; then
    bash -c ". $completion && complete -p trigger" || { echo "$completion does not load"; ok=1; }
  else
    echo "no $completion in the package (yet): its check skipped"
  fi
  # verify exits 0 on an unknown key or section, printing a warning: any output fails too.
  out=$(systemd-analyze verify /lib/systemd/system/trigger.service /lib/systemd/system/trigger.timer 2>&1) ||
    ok=1
  runtime=$(mktemp -d)
  out="$out$(XDG_RUNTIME_DIR=$runtime systemd-analyze --user verify /usr/lib/systemd/user/trigger.service \
    /usr/lib/systemd/user/trigger.timer 2>&1)" || ok=1
  rm -rf "$runtime"
  [ -z "$out" ] || { echo "systemd-analyze verify: $out"; ok=1; }
  return $ok
}

# The benchmarks (README, Performance): the pass at scale, next-time computation, and APScheduler
# (Debian's python3-apscheduler) doing the same work for comparison.
bench() {
  meson test -C "$BUILD_DIR" --benchmark --print-errorlogs
}

case "${1:-}" in
  deps) deps ;;
  demo) deps; build; demo ;;
  test)
    deps "$TEST_PACKAGES $DEB_PACKAGES $DEB_TEST_PACKAGES"; build
    test_status=0
    run_tests || test_status=$?
    { deb && deb_check; } || test_status=$?
    exit $test_status ;;
  deb) deps "$DEB_PACKAGES"; deb ;;
  deb-check) deps "$DEB_TEST_PACKAGES"; deb_check ;;
  bench) deps "python3-apscheduler python3-sqlalchemy"; build; bench ;;
  *) echo "usage: tools/setup.sh demo|test|deb|deb-check|bench|deps" >&2; exit 64 ;;
esac
