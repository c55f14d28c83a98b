//! Benchmark (SPEC §10): the mock provider, 10,000 conversations × 12 turns in
//! batches of 100, through the real release binary, in three setups: without
//! a script (the prompt's placeholders written in with the values the
//! minimal script gives, so all make the same conversations); with a script defining every hook with minimal bodies (what the
//! hook mechanism itself costs); and with the shipped script (every hook,
//! doing real work). Reports medians of interleaved runs, each setup's
//! overhead over the run without a script, and the peak RSS (which must not
//! grow with the total).
//!
//! Runs rotate their order, and no run's data is deleted until the end:
//! ext4 makes creating files slower for minutes after many deletions (it
//! avoids reusing recently freed inodes), which would penalise whichever
//! setup runs after a deletion.
//!
//! `cargo bench --bench mock_throughput`; `CONVGEN_BENCH_RUNS` sets the number
//! of runs (default 5), `CONVGEN_BENCH_DIR` where data goes (default a temp
//! dir; `/dev/shm` takes the disk out and shows CPU cost alone).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{MINIMAL_HOOKS, VARIABLES, median};

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
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let data = work.join(format!("data-{total}-{n}"));
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
    (seconds, peak_kib, cpu)
}

/// The setups, by name: the shipped prompt without a script (its
/// placeholders written in with the minimal script's values, so the mock
/// writes the same conversations), with minimal hooks, and with the
/// shipped script.
fn setups(root: &Path) -> Vec<(&'static str, PathBuf)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let prompt = std::fs::read_to_string(repo.join("prompts/call_center_es.md")).unwrap();
    let mut filled = prompt.clone();
    for (name, value) in VARIABLES {
        filled = filled.replace(&format!("{{{{{name}}}}}"), value);
    }
    // Without a script there are no variables: drop the declarations of the
    // script's (`[variables]`, the end of the front matter).
    if let Some(start) = filled.find("\n[variables]\n") {
        let end = filled[start..]
            .find("\n+++")
            .map_or(filled.len(), |e| start + e);
        filled.replace_range(start..end, "");
    }
    assert!(
        convgen::prompt::placeholders(&filled).is_empty(),
        "a placeholder of the shipped prompt has no value here"
    );
    let shipped = std::fs::read_to_string(repo.join("scripts/call_center_es.lua")).unwrap();
    let mut out = Vec::new();
    for (name, prompt_text, script) in [
        ("no script", &filled, None),
        ("every hook, minimal bodies", &prompt, Some(MINIMAL_HOOKS)),
        ("shipped script", &prompt, Some(shipped.as_str())),
    ] {
        let dir = root.join(name.replace([' ', ','], "-"));
        std::fs::create_dir_all(dir.join("prompts")).unwrap();
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::write(dir.join("prompts/call_center_es.md"), prompt_text).unwrap();
        if let Some(code) = script {
            std::fs::write(dir.join("scripts/call_center_es.lua"), code).unwrap();
        }
        out.push((name, dir));
    }
    out
}

fn main() {
    let Some(runs) = common::runs(5) else {
        return;
    };
    let root = match std::env::var_os("CONVGEN_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let setups = setups(root.path());
    let total = 10_000;
    let mut rates = vec![Vec::new(); setups.len()];
    let mut cpu = vec![Vec::new(); setups.len()];
    let mut peak = 0u64;
    for r in 0..runs {
        // Rotate the order so no setup always runs first or last.
        for k in 0..setups.len() {
            let i = (k + r) % setups.len();
            let (s, kib, c) = run_once(root.path(), &setups[i].1, total);
            rates[i].push(total as f64 / s);
            cpu[i].push(c);
            peak = peak.max(kib);
        }
    }
    let (_, small_peak, _) = run_once(root.path(), &setups[2].1, 1_000);
    println!(
        "mock, {total} conversations x 12 turns, batch size 100, {} cores, data in {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        root.path().display()
    );
    let base_rate = median(rates[0].clone());
    let base_cpu = median(cpu[0].clone());
    for (i, (name, _)) in setups.iter().enumerate() {
        let rate = median(rates[i].clone());
        let lo = rates[i].iter().cloned().fold(f64::MAX, f64::min);
        let hi = rates[i].iter().cloned().fold(0.0, f64::max);
        let c = median(cpu[i].clone());
        print!(
            "  {name:<27} median {rate:>5.0} conversations/s over {runs} runs (min {lo:.0}, max {hi:.0}), CPU {c:.2} s"
        );
        if i > 0 {
            print!(
                "; overhead {:.0}% wall, {:.0}% CPU ({:.0} µs per conversation)",
                (base_rate / rate - 1.0) * 100.0,
                (c / base_cpu - 1.0) * 100.0,
                (c - base_cpu) / total as f64 * 1e6
            );
        }
        println!();
    }
    println!("  target (SPEC §10): >= 3000 conversations/s with the shipped script");
    println!(
        "  peak RSS: {:.1} MiB for 10,000, {:.1} MiB for 1,000 conversations; target < 100 MiB, flat",
        peak as f64 / 1024.0,
        small_peak as f64 / 1024.0
    );
}
