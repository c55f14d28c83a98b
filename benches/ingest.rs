//! `cargo bench --bench ingest`: `convgen ingest` of a call-centre CSV of
//! 100,000 turns (8,000 conversations), against one of 25,000 turns, to
//! show rows per second and that peak memory is flat in the file's size.
//! Peak RSS is the child's own, read by `/usr/bin/time -f %M`.
//! Not run by `cargo test`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// A speech-analytics style export: quoted commas, quotes and newlines,
/// timestamps with an offset, now and then two rows of one speaker.
fn export(conversations: u64) -> (String, u64) {
    let mut out = String::from("call_id,speaker,utterance,start_time,queue\r\n");
    let mut rows = 0;
    for c in 0..conversations {
        let turns = 10 + (c * 7919) % 6; // 10..=15, 12.5 on average
        for t in 0..turns {
            let speaker = if t % 2 == 0 || t == 3 {
                "AGENTE"
            } else {
                "CLIENTE"
            };
            let (m, s) = (t * 7 / 60, (t * 7) % 60);
            let _ = write!(
                out,
                "C-{c:06},{speaker},\"Turno {t}: el cargo de 42,50 € \"\"no reconocido\"\"\r\nsegunda línea\",2026-03-02T09:{m:02}:{s:02}+01:00,facturación\r\n"
            );
            rows += 1;
        }
    }
    (out, rows)
}

/// Ingests `file`; returns (seconds, peak RSS in KiB when measurable).
fn ingest(work: &Path, file: &Path) -> (f64, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    let rss_file = work.join("rss.txt");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file);
        c.arg(env!("CARGO_BIN_EXE_convgen"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_convgen"))
    };
    cmd.current_dir(work)
        .arg("ingest")
        .arg(file)
        .args(["--format", "csv", "--batch-size", "500", "--quiet"])
        .args([
            "--columns",
            "conversation=call_id,role=speaker,text=utterance,timestamp=start_time",
        ])
        .args(["--roles", "AGENTE=agent,CLIENTE=client"])
        .arg("--data-dir")
        .arg(work.join(format!(
            "data-{}",
            file.file_stem().unwrap().to_string_lossy()
        )));
    let started = Instant::now();
    let status = cmd.status().expect("run convgen");
    let seconds = started.elapsed().as_secs_f64();
    assert!(status.success(), "convgen ingest failed: {status}");
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()));
    (seconds, rss)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let work = tempfile::tempdir().expect("temp dir");
    println!("convgen ingest, CSV with quoted multi-line fields, batch size 500");
    let mut peaks = Vec::new();
    for conversations in [2_000u64, 8_000] {
        let (text, rows) = export(conversations);
        let file = work.path().join(format!("calls-{conversations}.csv"));
        std::fs::write(&file, &text).expect("write the export");
        let (seconds, rss) = ingest(work.path(), &file);
        let mib = rss.map(|k| k as f64 / 1024.0);
        peaks.push(mib);
        println!(
            "  {rows:>7} turns ({conversations} conversations, {:.1} MiB file): {:.2} s, {:>8.0} rows/s, {:>8.0} conversations/s, peak RSS {}",
            text.len() as f64 / 1_048_576.0,
            seconds,
            rows as f64 / seconds,
            conversations as f64 / seconds,
            mib.map_or("n/a (no /usr/bin/time)".to_string(), |m| format!(
                "{m:.1} MiB"
            ))
        );
    }
    if let [Some(small), Some(large)] = peaks[..] {
        println!("  peak RSS, 4x the file: {:.2}x", large / small);
    }
}
