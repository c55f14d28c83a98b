//! `convgen export` streams (issue 15): its peak memory, read from the
//! child's own rusage, does not grow with the number of rows exported.

use std::time::Duration;

use crate::common::{Env, words};

/// Peak RSS (MiB) of `export` over a data dir of `total` conversations.
fn peak(total: u32, format: &str) -> u64 {
    let env = Env::with_demo_prompt();
    env.generate("demo", total, total.min(500), 1, &["--quiet"]);
    let out = format!("turns.{format}");
    let args = format!("export --all --level turn --format {format} --out {out}");
    let done = env.run_measured(
        &words(&args),
        &[("NO_COLOR", "1")],
        Duration::from_secs(120),
    );
    done.run.expect(0);
    eprintln!("{format}, {total} conversations: {} MiB", done.peak_rss_mib);
    assert!(std::fs::metadata(env.path().join(&out)).unwrap().len() > 0);
    done.peak_rss_mib
}

#[test]
fn issue15_export_memory_is_flat_in_the_number_of_rows() {
    for format in ["parquet", "csv"] {
        // 1,200 turn rows against 12,000: well past one record batch and row group.
        let (small, large) = (peak(200, format), peak(2000, format));
        assert!(large < 200, "{format}: {large} MiB for 2,000 conversations");
        assert!(
            large <= small + 16,
            "{format}: {small} MiB for 200 conversations, {large} MiB for 3,000: memory grows with the rows"
        );
    }
}
