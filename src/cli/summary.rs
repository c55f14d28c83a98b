//! How a run ended, as the closing lines, `--json` and `show` give it.

use serde_json::json;

use crate::cli::options::GlobalArgs;
use crate::cli::output::{Dirs, Say, thousands, user_command};
use crate::generate::BatchOutcome;
use crate::llm::EndpointStats;
use crate::registry::{RunConfig, RunRecord};

pub(super) fn run_summary(
    run: &RunRecord,
    outcomes: &[BatchOutcome],
    elapsed: f64,
) -> serde_json::Value {
    json!({
        "run_id": run.run_id,
        "status": run.status,
        "error": run.error,
        "prompt": {"id": run.config.prompt_id, "name": run.config.prompt_name},
        "provider": run.config.provider,
        "model": run.config.model,
        "seed": run.config.seed,
        "scenario_mode": run.config.scenario_mode.label(),
        "counts": run.counts,
        "usage": run.usage,
        "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
        "endpoints": endpoints_json(&run.endpoints),
        "batches": outcomes.iter().map(|o| json!({
            "batch_id": o.record.batch_id,
            "path": o.path,
            "status": o.record.status,
            "counts": o.record.counts,
        })).collect::<Vec<_>>(),
    })
}

/// Per-endpoint figures as `--json` gives them.
pub(super) fn endpoints_json(stats: &[EndpointStats]) -> serde_json::Value {
    json!(
        stats
            .iter()
            .map(|e| json!({
                "name": e.name,
                "requests": e.requests,
                "throttled": e.throttled,
                "retries": e.retries,
                "waited_s": (e.waited_s * 10.0).round() / 10.0,
            }))
            .collect::<Vec<_>>()
    )
}

/// One line per endpoint: requests, 429s, retries and time closed by waits.
pub(super) fn endpoint_lines(stats: &[EndpointStats]) -> Vec<String> {
    stats
        .iter()
        .map(|e| {
            format!(
                "{}: {} requests, {} answered 429, {} retried, {:.1} s held back after 429s",
                e.name, e.requests, e.throttled, e.retries, e.waited_s
            )
        })
        .collect()
}

pub(super) fn report_run(
    g: &GlobalArgs,
    say: &Say,
    run: &RunRecord,
    outcomes: &[BatchOutcome],
    elapsed: f64,
) {
    let rate = if elapsed > 0.0 {
        run.counts.valid as f64 / elapsed
    } else {
        0.0
    };
    say.line(format!(
        "{} {}: {} valid, {} failed of {} in {} batch(es), {:.1} s ({:.0} conversations/s), {} tokens",
        run.run_id,
        run.status.as_str(),
        run.counts.valid,
        run.counts.failed,
        run.counts.requested,
        outcomes.len(),
        elapsed,
        rate,
        thousands(run.usage.total())
    ));
    for line in endpoint_lines(&run.endpoints) {
        say.line(format!("  {line}"));
    }
    // One command a line, so that each can be pasted as it is.
    if let Some(first) = outcomes.first() {
        say.line(format!(
            "next: {}",
            user_command(g, Dirs::Data, &["show", &first.record.batch_id])
        ));
        say.line(format!(
            "      {}",
            user_command(g, Dirs::Data, &["audit", "--run", &run.run_id])
        ));
    }
    if run.counts.failed > 0 {
        say.line(format!(
            "some conversations failed; see them with: {}",
            user_command(
                g,
                Dirs::Data,
                &[
                    "list",
                    "conversations",
                    "--run",
                    &run.run_id,
                    "--status",
                    "failed"
                ]
            )
        ));
    }
}

/// Where a run's requests went: the endpoint host, or each recorded
/// endpoint's name and host; nothing for the mock.
pub(super) fn endpoint_targets(c: &RunConfig) -> Option<String> {
    let named: Vec<_> = c.endpoints.iter().filter(|e| e.env.is_none()).collect();
    if !named.is_empty() {
        return Some(
            named
                .iter()
                .map(|e| format!("{} ({})", e.name, crate::llm::http::host_of(&e.url)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    c.endpoint_host.clone()
}
