// Sanitizer settings built into the programs the test suite runs (trigger, unit_tests), in a
// build with -Db_sanitize only (see meson.build). The Python suites run trigger with an
// environment of their own, so ASAN_OPTIONS and UBSAN_OPTIONS may not reach it: these defaults
// make every report end the process with status 86 and leave the report in
// BUILD_ROOT/sanitizer-report.PID, where tools/setup.sh test looks for it after the suite.
// The same flags go to both: in a combined build each runtime reads its own.
#define TRIGGER_SANITIZER_COMMON \
  "detect_leaks=1:halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=" TRIGGER_SANITIZER_LOG

extern "C" const char* __asan_default_options() {
  return TRIGGER_SANITIZER_COMMON;
}

extern "C" const char* __ubsan_default_options() {
  return TRIGGER_SANITIZER_COMMON;
}
