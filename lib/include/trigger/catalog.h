// The catalog: the operations on triggers that `trigger`'s commands offer, for any application
// that links lib/. Each write owns its transaction (nested inside a caller's, it follows it)
// and appends its edit record to the history ("created; next - -> 2026-12-01T09:00:00Z"), so
// that an application changes triggers exactly as the commands do. An edit record says what
// was done, then what changed, field by field (edit_diff()), then the next time before and
// after ("paused; state: active -> paused; next 2026-12-01T09:00:00Z -> -"), and names who
// made it (HistoryRecord::editor: current_identity() of the process). Each read is one
// transaction. Every function takes the store and the time it acts at; none prints.
//
// Errors every function may return besides those it names: the store's (kIO, kBusy, kDamaged),
// after which nothing was written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trigger/error.h"
#include "trigger/store.h"
#include "trigger/time.h"
#include "trigger/trigger.h"

namespace trigger {

// --- reading -------------------------------------------------------------------------------

/// The trigger named by `ref` (all digits: an id, else a name). kNotFound naming `ref`.
Result<Trigger> load_trigger(Store& store, std::string_view ref);

/// The triggers matching `filter`, by id.
Result<std::vector<Trigger>> load_triggers(Store& store, const TriggerFilter& filter);

/// A trigger with its newest history records (what `trigger show` prints).
struct TriggerDetail {
  Trigger trigger;
  std::vector<HistoryRecord> recent;  ///< newest first, at most the count asked for
};

/// The trigger named by `ref` and its `recent` newest history records, read together.
/// kNotFound naming `ref`.
Result<TriggerDetail> load_trigger_detail(Store& store, std::string_view ref, std::size_t recent);

/// The history records matching `filter`, newest first; when `ref` is given, only those of the
/// trigger it names (filter.trigger_id is then set from it). kNotFound naming `ref`.
Result<std::vector<HistoryRecord>> load_history(Store& store, std::optional<std::string_view> ref,
                                                HistoryFilter filter);

/// The queue's figures at `now` (what `trigger status` judges).
Result<QueueFigures> load_queue_figures(Store& store, Epoch now);

// --- writing -------------------------------------------------------------------------------

/// Define a trigger from `spec` at `now` (validated as build_trigger() does) and record it
/// `created`. Returns it as stored, with its id. kUsage naming the first bad value (nothing is
/// written), kData if its name is taken.
Result<Trigger> create_trigger(Store& store, const TriggerSpec& spec, Epoch now);

/// Move the trigger named by `ref` (what `trigger schedule` does: reschedule_trigger() applied
/// and stored) and record it `scheduled`, with what changed ("scheduled: clock A -> B: zone X
/// -> Y: --retries 3"). The next pass schedules it again from its last event. Returns it as
/// stored. kNotFound naming `ref`; kUsage for a bad value or nothing to change; kData for a
/// cancelled trigger.
Result<Trigger> reschedule(Store& store, std::string_view ref, const ScheduleChange& change,
                           Epoch now);

/// What `trigger update` returns: the trigger as stored, and what changed.
struct UpdatedTrigger {
  Trigger trigger;
  std::string changes;  ///< edit_diff() of the update; "" when it changed nothing
};

/// Change the trigger named by `ref` by `update` (what `trigger update` does: apply_update(),
/// so a clock, zone or policy change moves it exactly as reschedule() does) and record it
/// "updated; DIFF; next A -> B". An update that changes nothing (edit_diff() empty: every
/// value given is the trigger's already) writes and records nothing, and returns the trigger
/// with `changes` empty. kNotFound naming `ref`; kUsage for a bad value or nothing given;
/// kData for a name taken, or a cancelled trigger given a clock, zone or policy option (but
/// for --history-keep and --history-runs). Nothing is written then.
Result<UpdatedTrigger> update_trigger(Store& store, std::string_view ref,
                                      const TriggerUpdate& update, Epoch now);

/// What changed from `before` to `after`, field by field in this order, "" when nothing did:
/// "name: a -> b; state: active -> paused; clock: A -> B; zone: X -> Y; action: A -> B; env:
/// +NEW=1 ~CHANGED=2 -REMOVED; cwd: - -> /srv; retries: 0 -> 3; labels: +k=v -old", one
/// field per policy option (policy_option_names()) that differs, "-" for a value unset, words
/// shell-quoted where they need it. Times (--until) in the zone of `after`.
std::string edit_diff(const Trigger& before, const Trigger& after);

/// The past participle of a move to `target`, as edit records and messages say it:
/// "cancelled", "paused", "resumed" (active), "finished" (done).
std::string_view moved_word(State target);

/// Move the triggers named by `refs` to `target` (pause: kPaused, resume: kActive, cancel:
/// kCancelled), all in one transaction after every name has been checked, and record each move
/// ("paused", "cancelled (2 queued runs cancelled)"). Pausing and cancelling acknowledge the
/// trigger's failure, as reset_failed() does ("paused (failure of event ID acknowledged)").
/// Cancelling removes the trigger's queued runs that no pass holds, recording each as cancelled.
/// The state machine: a trigger already in `target` is left alone (so is a done one that is
/// cancelled); a cancelled or done trigger can be neither paused nor resumed. Returns the triggers
/// moved, as stored after the move, each once however often it was named, in the order first named.
/// kNotFound for the first missing name; kData for the first trigger whose state forbids the move
/// ("trigger 'x' is cancelled; it cannot be paused"); kUsage for target kDone (only the pass
/// finishes triggers). Nothing is moved then.
/// With `skip_missed` (target kActive only, else kUsage), a paused trigger resumed owes nothing
/// for the time it was paused: its clock counts as set at `now` (the next fire time is the
/// first after `now`; --max-runs goes on counting the runs made before), its pending fire time
/// is dropped, and the record says "resumed (what fell due while paused skipped)". An active
/// trigger named is left alone either way.
Result<std::vector<Trigger>> move_triggers(Store& store, const std::vector<std::string>& refs,
                                           State target, Epoch now, bool skip_missed = false);

/// A failure acknowledged by reset_failed(): the trigger and its failed run.
struct AcknowledgedFailure {
  Trigger trigger;
  TriggerRunState run;  ///< the run acknowledged (failing is true: as it was before)
};

/// Acknowledge the failures of the triggers named by `refs`, or of every failing trigger when
/// `refs` is empty (what `trigger reset-failed` does, after systemd's): each is no longer
/// failing until a later run fails. A trigger is failing while it is active and its newest run
/// failed or timed out after the failures acknowledged (a pause and a cancel acknowledge them
/// too). All in one transaction, each recorded "reset-failed: acknowledged the failure of event
/// ID". Returns the failures acknowledged, by trigger id; a named trigger that is not failing
/// is left alone. kNotFound for the first missing name, and nothing is written.
Result<std::vector<AcknowledgedFailure>> reset_failed(Store& store,
                                                      const std::vector<std::string>& refs,
                                                      Epoch now);

/// A manual run queued by fire_trigger().
struct ManualRun {
  Trigger trigger;
  std::string event_id;  ///< "ID-mEPOCH": TRIGGER_EVENT_ID of the run
};

/// Queue one manual run of the trigger named by `ref` at `now`, outside its schedule (which is
/// left unchanged); the next pass runs it. kNotFound naming `ref`; kData for a cancelled or done
/// trigger, and when a manual run of it was already queued (or recorded) this second: its event
/// id would not be unique.
Result<ManualRun> fire_trigger(Store& store, std::string_view ref, Epoch now);

/// A trigger deleted by delete_triggers(): as it was, and what went with it.
struct DeletedOne {
  Trigger trigger;
  DeletedTrigger removed;
};

/// Delete the triggers named by `refs` for good, whatever their state (what `trigger delete`
/// does), all in one transaction after every name has been checked: each one's queued runs are
/// recorded cancelled ("the trigger was deleted before this run started"), then its
/// definition, labels, event row, queue and history go (Store::delete_trigger). With
/// `keep_history` its history stays and ends with an edit record "deleted 'NAME' by WHO (N
/// queued runs cancelled)" (WHO: current_identity().text(), also the record's editor); such
/// records, of a trigger that is gone, are pruned after kDefaultHistoryKeepSeconds. Returns the
/// triggers deleted, each once however often named, in the order first named. kNotFound for the
/// first missing name; kBusy for the first trigger with a run in progress ("trigger 'x' has a run
/// in progress (event ID); it cannot be deleted until the run ends"), so that no outcome is ever
/// recorded against a trigger that is gone. Nothing is deleted then.
Result<std::vector<DeletedOne>> delete_triggers(Store& store, const std::vector<std::string>& refs,
                                                bool keep_history, Epoch now);

/// One trigger of an import file, validated.
struct ImportEntry {
  std::size_t line_number = 0;
  Trigger trigger;
  bool has_state = false;  ///< the line gave a state; without one an update keeps the trigger's
  /// The line's clock as written; without a --from, an update keeps the stored phase of an
  /// --every of the same period (so that a file written by hand imports the same each time).
  /// Unknown (nullopt): the clock is compared as built.
  std::optional<ClockSpec> clock;
  /// Set when a line without a state has no fire time left (an --at past, an --until
  /// reached): it may only update a trigger that is done or cancelled (so that a file
  /// describing a one-shot trigger imports again after it ran), and is refused with this
  /// message ("--at '...': is not after now (it could never fire)") otherwise. `trigger`
  /// then has state kDone.
  std::optional<std::string> unless_finished;
};

/// Read and validate every line of an import file (JSON Lines, the output of `trigger export`)
/// at `now`; blank lines are passed over, nothing is written. kData "line N: ..." for the first
/// bad line (not an export line, a bad value, a name given twice); kIO if the stream fails.
/// A line without a state and no fire time left is read, marked `unless_finished`.
Result<std::vector<ImportEntry>> read_import(std::istream& in, Epoch now);

/// One line of import text and the number it is known by (its line in the file it came from).
struct NumberedLine {
  std::size_t number = 0;
  std::string text;
};

/// read_import() for lines already split (a converted crontab: each numbered by its crontab
/// line): the same checks, "line N: ..." naming each line's own number.
Result<std::vector<ImportEntry>> read_import_lines(const std::vector<NumberedLine>& lines,
                                                   Epoch now);

/// What an import does to the triggers the file names no more (`trigger import --prune`).
struct ImportPrune {
  enum class Mode { kNone, kCancel, kDelete };
  Mode mode = Mode::kNone;
  /// The scope: only triggers carrying every one of these labels are pruned (all triggers
  /// when empty).
  std::vector<std::pair<std::string, std::string>> labels;
};

/// What an import did, or would do, to one trigger.
enum class ImportOutcome { kCreated, kUpdated, kUnchanged, kCancelled, kDeleted };
/// "created", "updated", "unchanged", "cancelled", "deleted".
std::string_view to_string(ImportOutcome outcome);

struct ImportChange {
  ImportOutcome outcome = ImportOutcome::kCreated;
  std::int64_t id = 0;
  std::optional<std::string> name;
  std::size_t line_number = 0;  ///< its line in the file; 0 for a trigger pruned
  /// kUpdated: the fields that differ, in the order of an export line: "state", "clock", "tz",
  /// "action", "env", "cwd", "policy.OPTION" (one per policy option), "labels".
  std::vector<std::string> fields;
};

/// What import_triggers() did: a change per line, in the file's order, then the triggers
/// pruned, by id; and their counts.
struct ImportReport {
  std::vector<ImportChange> changes;
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t pruned = 0;  ///< cancelled or deleted
};

/// Merge `entries` into the store in one transaction: a named trigger that exists is updated
/// ("updated by import"; its id, creation time and, without a state on its line, its state are
/// kept; an unchanged clock and zone keep its next time) when the line differs from it in any
/// field (ImportChange::fields), and left alone, unrecorded and unversioned, when it does not;
/// any other entry is created ("created by import"). So importing the same file twice changes
/// nothing the second time.
/// Then, with `prune`, the triggers in its scope that no line names (unnamed ones included)
/// are cancelled ("cancelled: pruned, not in the imported file", as move_triggers() cancels;
/// cancelled and done ones are left alone) or deleted (delete_triggers(), their history too).
/// All or nothing: kData or kUsage "line N: ..." for the first entry the store refuses (a name
/// taken), kData "line N: ..." for a line without a name under `prune` (it could never be
/// matched) and for an `unless_finished` entry that names no done or cancelled trigger, kBusy for a
/// trigger to delete with a run in progress (delete_triggers()).
Result<ImportReport> import_triggers(Store& store, const std::vector<ImportEntry>& entries,
                                     Epoch now, const ImportPrune& prune = {});

/// Prune the history by each trigger's own retention at `now` (--history-keep, --history-runs:
/// see Store::append_history), and the pass records older than kDefaultHistoryKeepSeconds but
/// for the latest, in slices of a transaction each so that writers are not held up. Returns
/// how many history records went.
Result<std::int64_t> prune_history(Store& store, Epoch now);

/// Delete the history records older than `keep_seconds` before `now`, whatever their
/// trigger's --history-keep, but for those kept whatever their age (each trigger's creation
/// record and newest --history-runs run outcomes); and the pass records as old, but for the
/// latest. In slices of a transaction each, as prune_history(), reading the whole history
/// once. Returns how many history records went.
Result<std::int64_t> prune_history_older_than(Store& store, std::int64_t keep_seconds, Epoch now);

}  // namespace trigger
