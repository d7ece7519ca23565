#!/bin/sh
# Set up trigger on a fresh Debian 12 machine, as root (or with sudo).
#
#   tools/setup.sh demo   install the dependencies, build, install, and run a short demo
#                         on the default database
#   tools/setup.sh test   install the dependencies, build, and run the whole test suite
#   tools/setup.sh bench  install the dependencies and APScheduler, build, and run the benchmarks
#   tools/setup.sh deps   install the dependencies only
#
# BUILD_DIR (default: build) is the meson build directory.
set -eu

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

# Every dependency, from Debian's packages (SPEC §11; nlohmann-json3-dev for JSON).
PACKAGES="meson ninja-build g++ pkg-config python3 \
  libboost-program-options-dev libboost-date-time-dev \
  libsqlitecpp-dev libsqlite3-dev catch2 libhowardhinnant-date-dev nlohmann-json3-dev \
  tzdata mandoc"

# The fuzzers' compiler and runtime (tools/setup.sh test builds and runs them).
FUZZ_PACKAGES="clang libclang-rt-14-dev"
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  missing=$(for p in $PACKAGES ${1:-}; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"; done)
  [ -z "$missing" ] && return 0
  echo "installing: $missing" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

build() {
  [ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" --buildtype=debugoptimized
  ninja -C "$BUILD_DIR"
}

# Build the libFuzzer targets (clang, with ASan and UBSan) and run each for FUZZ_SECONDS on its
# checked-in corpus; a crash fails the run and leaves the input in the build directory.
fuzz() {
  fuzz_dir="$BUILD_DIR-fuzz"
  [ -f "$fuzz_dir/build.ninja" ] || CXX=clang++ meson setup "$fuzz_dir" -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link
  ninja -C "$fuzz_dir" test/fuzz/cron_fuzz test/fuzz/time_fuzz
  failed=0
  for target in cron time; do
    work=$(mktemp -d)
    echo "fuzzing $target for ${FUZZ_SECONDS}s"
    if ! "$fuzz_dir/test/fuzz/${target}_fuzz" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
        -artifact_prefix="$fuzz_dir/" "$work" "test/fuzz/corpus/$target" > "$work.log" 2>&1; then
      failed=1
      tail -n 40 "$work.log"
    fi
    grep -E '^(Done|stat::number_of_executed_units)' "$work.log" || true
    rm -rf "$work" "$work.log"
  done
  return $failed
}

run_tests() {
  status=0
  meson test -C "$BUILD_DIR" --print-errorlogs || status=$?
  fuzz || status=$?
  # One closing line a CI reader understands, from meson's own log.
  python3 - "$BUILD_DIR/meson-logs/testlog.json" <<'PY'
import json, sys
results = [json.loads(line)['result'] for line in open(sys.argv[1])]
print(f"{results.count('OK')} passed, {len(results) - results.count('OK') - results.count('SKIP')} failed, {results.count('SKIP')} skipped")
PY
  return $status
}

demo() {
  as_root meson install -C "$BUILD_DIR" --quiet
  echo "== trigger is installed: $(trigger --version)"
  echo "== defining three triggers on the default database (import updates them by name on a rerun)"
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
  echo "== done: the triggers are in the default database (see FILES in 'man trigger')."
  echo "   To run them for real, add to root's crontab:  * * * * * $(command -v trigger) run-once"
}

# The benchmarks (README, Performance): the pass at scale, next-time computation, and APScheduler
# (Debian's python3-apscheduler) doing the same work for comparison.
bench() {
  meson test -C "$BUILD_DIR" --benchmark --print-errorlogs
}

case "${1:-}" in
  deps) deps ;;
  demo) deps; build; demo ;;
  test) deps "$FUZZ_PACKAGES"; build; run_tests ;;
  bench) deps "python3-apscheduler python3-sqlalchemy"; build; bench ;;
  *) echo "usage: tools/setup.sh demo|test|bench|deps" >&2; exit 64 ;;
esac
