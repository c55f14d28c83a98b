//! Benchmark (SPEC §10): the mock provider, 10,000 conversations × 12 turns in
//! batches of 100, through the real release binary, with the shipped script
//! (every hook) and without a script. Reports medians of interleaved runs, the
//! script's overhead, and the peak RSS (which must not grow with the total).
//!
//! `cargo bench --bench mock_throughput`; `CONVGEN_BENCH_RUNS` sets the number
//! of runs (default 5), `CONVGEN_BENCH_DIR` where data goes (default a temp
//! dir; `/dev/shm` takes the disk out and shows CPU cost alone).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// CPU seconds (user + system) used by finished children so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Runs one generation; returns (wall seconds, peak RSS in KiB, CPU seconds).
fn run_once(work: &Path, setup: &Path, total: u32) -> (f64, u64, f64) {
    let cpu_before = children_cpu();
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
        .arg(setup.join("prompts"))
        .arg("--scripts-dir")
        .arg(setup.join("scripts"))
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
    let cpu = children_cpu() - cpu_before;
    let _ = std::fs::remove_dir_all(&data);
    (seconds, peak_kib, cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Two setups: the shipped prompt and script, and the same prompt with its
/// placeholders filled in and no script.
fn setups(root: &Path) -> (PathBuf, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let with = root.join("with-script");
    let without = root.join("no-script");
    for dir in [&with, &without] {
        std::fs::create_dir_all(dir.join("prompts")).unwrap();
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
    }
    let prompt = std::fs::read_to_string(repo.join("prompts/call_center_es.md")).unwrap();
    std::fs::write(with.join("prompts/call_center_es.md"), &prompt).unwrap();
    std::fs::copy(
        repo.join("scripts/call_center_es.lua"),
        with.join("scripts/call_center_es.lua"),
    )
    .unwrap();
    let mut filled = prompt.clone();
    for name in convgen::prompt::placeholders(&prompt) {
        filled = filled.replace(&format!("{{{{{name}}}}}"), &format!("<{name}>"));
    }
    std::fs::write(without.join("prompts/call_center_es.md"), filled).unwrap();
    (with, without)
}

fn main() {
    // `cargo test --benches` runs bench binaries without --bench: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("CONVGEN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let root = match std::env::var_os("CONVGEN_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let (with, without) = setups(root.path());
    let total = 10_000;
    let (mut rates_with, mut rates_without, mut peak) = (Vec::new(), Vec::new(), 0u64);
    let (mut cpu_with, mut cpu_without) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (s, kib, cpu) = run_once(root.path(), &without, total);
        rates_without.push(total as f64 / s);
        cpu_without.push(cpu);
        let (s, kib2, cpu) = run_once(root.path(), &with, total);
        rates_with.push(total as f64 / s);
        cpu_with.push(cpu);
        peak = peak.max(kib).max(kib2);
    }
    let (_, small_peak, _) = run_once(root.path(), &with, 1_000);
    let (w, wo) = (median(rates_with.clone()), median(rates_without.clone()));
    println!(
        "mock, {total} conversations x 12 turns, batch size 100, {} cores, data in {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        root.path().display()
    );
    let range = |v: &[f64]| {
        (
            v.iter().cloned().fold(f64::MAX, f64::min),
            v.iter().cloned().fold(0.0, f64::max),
        )
    };
    let (lo, hi) = range(&rates_with);
    println!(
        "  script with every hook: median {w:.0} conversations/s over {runs} runs (min {lo:.0}, max {hi:.0}); target >= 2000"
    );
    let (lo, hi) = range(&rates_without);
    println!("  no script:              median {wo:.0} conversations/s (min {lo:.0}, max {hi:.0})");
    println!(
        "  script overhead: {:.0}% in wall time (target <= 10%)",
        (wo / w - 1.0) * 100.0
    );
    let (cw, cwo) = (median(cpu_with), median(cpu_without));
    println!(
        "  CPU time: median {cw:.2} s with the script, {cwo:.2} s without ({:.0} µs of Lua per conversation)",
        (cw - cwo) / total as f64 * 1e6
    );
    println!(
        "  peak RSS: {:.1} MiB for 10,000, {:.1} MiB for 1,000 conversations; target < 100 MiB, flat",
        peak as f64 / 1024.0,
        small_peak as f64 / 1024.0
    );
}
