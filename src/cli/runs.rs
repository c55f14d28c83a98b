//! Run locks and the state of runs whose process is gone.

use crate::error::Error;
use crate::registry::{Registry, RunLock, RunRecord, RunStatus};

/// Holds `<data dir>/locks/<run_id>.lock` while a process works on a run.
pub(super) fn lock_run(registry: &Registry, run_id: &str) -> Result<RunLock, Error> {
    registry.lock_run(run_id)?.ok_or_else(|| {
        Error::Usage(format!(
            "{run_id} is being worked on by another convgen process (it holds {}); wait for it to finish",
            registry.run_lock_path(run_id)
        ))
    })
}

/// A run as it stands now: one recorded running whose process is gone is
/// interrupted (and recorded so). Where the registry cannot be written (a
/// read-only archive), the record is shown as it is.
pub(super) fn settled(registry: &Registry, run: RunRecord) -> RunRecord {
    if run.status != RunStatus::Running {
        return run;
    }
    registry.settle_run(&run.run_id).unwrap_or(run)
}

/// Conversations of a run on disk to stay (see [`crate::generate::conversations_on_disk`]).
pub(super) fn on_disk(registry: &Registry, run: &RunRecord) -> Result<u64, Error> {
    if run.status == RunStatus::Complete {
        return Ok(run.counts.valid + run.counts.failed);
    }
    Ok(crate::generate::conversations_on_disk(registry, run)?)
}

/// True when `resume` has work to do on a run.
pub(super) fn resumable(run: &RunRecord) -> bool {
    matches!(run.status, RunStatus::Interrupted | RunStatus::Failed)
}
