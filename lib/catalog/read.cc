// The catalog's reads (one transaction each) and history pruning.
#include "catalog/internal.h"
#include "trigger/catalog.h"

namespace trigger {
namespace {

// Rows pruned per transaction, so that writers are not held up.
constexpr std::size_t kPruneSlice = 10000;

}  // namespace

Result<Trigger> load_trigger(Store& store, std::string_view ref) {
  return catalog::in_transaction<Trigger>(store, [&] { return store.find_trigger(ref); });
}

Result<std::vector<Trigger>> load_triggers(Store& store, const TriggerFilter& filter) {
  return catalog::in_transaction<std::vector<Trigger>>(store,
                                                       [&] { return store.list_triggers(filter); });
}

Result<TriggerDetail> load_trigger_detail(Store& store, std::string_view ref, std::size_t recent) {
  return catalog::in_transaction<TriggerDetail>(store, [&]() -> Result<TriggerDetail> {
    auto found = store.find_trigger(ref);
    if (!found) return found.error();
    HistoryFilter filter;
    filter.trigger_id = found->id;
    filter.limit = recent;
    auto history = store.history(filter);
    if (!history) return history.error();
    return TriggerDetail{std::move(*found), std::move(*history)};
  });
}

Result<std::vector<HistoryRecord>> load_history(Store& store, std::optional<std::string_view> ref,
                                                HistoryFilter filter) {
  using Records = std::vector<HistoryRecord>;
  return catalog::in_transaction<Records>(store, [&]() -> Result<Records> {
    if (ref) {
      auto trigger = store.find_trigger(*ref);
      if (!trigger) return trigger.error();
      filter.trigger_id = trigger->id;
    }
    return store.history(filter);
  });
}

Result<QueueFigures> load_queue_figures(Store& store, Epoch now) {
  return catalog::in_transaction<QueueFigures>(store, [&] { return store.queue_figures(now); });
}

Result<std::int64_t> prune_history(Store& store, Epoch now) {
  std::int64_t deleted = 0;
  auto full = static_cast<std::int64_t>(kPruneSlice);
  while (true) {
    auto slice = catalog::in_transaction<Store::PruneSlice>(store, [&] {
      return store.prune_history(now, now - kDefaultHistoryKeepSeconds, kPruneSlice);
    });
    if (!slice) return slice.error();
    deleted += slice->deleted;
    if (slice->deleted + slice->kept < full && slice->passes_deleted < full) return deleted;
  }
}

Result<std::int64_t> prune_history_older_than(Store& store, std::int64_t keep_seconds, Epoch now) {
  std::int64_t deleted = 0;
  std::int64_t from_id = 0;
  while (true) {
    auto slice = catalog::in_transaction<Store::PruneSlice>(store, [&] {
      return store.prune_history_before(now - keep_seconds, from_id, kPruneSlice);
    });
    if (!slice) return slice.error();
    deleted += slice->deleted;
    if (slice->next_id) {
      from_id = *slice->next_id;
    } else if (slice->passes_deleted < static_cast<std::int64_t>(kPruneSlice)) {
      return deleted;
    }
  }
}

}  // namespace trigger
