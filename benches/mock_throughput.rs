//! Benchmark (SPEC §10): the mock provider, 10,000 conversations in batches of
//! 100, through the real release binary. Reports the median conversations/s of
//! several runs and the peak RSS, and checks the RSS does not grow with the total.
//!
//! `cargo bench --bench mock_throughput` (set `CONVGEN_BENCH_RUNS` for more runs).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs one generation; returns (seconds, peak RSS in KiB).
fn run_once(work: &Path, total: u32) -> (f64, u64) {
    let data = work.join(format!("data-{total}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_convgen"))
        .args(["generate", "--prompt", "call_center_es", "--total"])
        .arg(total.to_string())
        .args([
            "--batch-size",
            "100",
            "--seed",
            "1",
            "--start",
            "2026-03-02T09:00:00Z",
            "--quiet",
        ])
        .arg("--data-dir")
        .arg(&data)
        .arg("--prompts-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts"))
        .spawn()
        .expect("start convgen");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for convgen") {
            assert!(status.success(), "convgen failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&data);
    (seconds, peak_kib)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("CONVGEN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let work = tempfile::tempdir().expect("temp dir");
    let total = 10_000;
    let mut rates = Vec::new();
    let mut peaks = Vec::new();
    for _ in 0..runs {
        let (s, kib) = run_once(work.path(), total);
        rates.push(total as f64 / s);
        peaks.push(kib as f64);
    }
    let (_, small_peak) = run_once(work.path(), 1_000);
    let rate = median(rates.clone());
    let peak = peaks.iter().cloned().fold(0.0, f64::max);
    println!(
        "mock, {total} conversations x 12 turns, batch size 100, no script, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "  throughput: median {rate:.0} conversations/s over {runs} runs (min {:.0}, max {:.0}); target >= 2000",
        rates.iter().cloned().fold(f64::MAX, f64::min),
        rates.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  peak RSS: {:.1} MiB for 10,000, {:.1} MiB for 1,000 conversations; target < 100 MiB, flat",
        peak / 1024.0,
        small_peak as f64 / 1024.0
    );
}
