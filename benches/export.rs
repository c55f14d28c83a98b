//! Benchmark (SPEC §10, issue 15): `convgen export` of 100,000 mock
//! conversations (shipped prompt and script, 12 turns each) to Parquet and
//! to CSV at conversation and turn level, through the real release binary:
//! rows/s and peak RSS, also for 10,000 conversations to show memory does not
//! grow with the total. Beside it, when Python has pandas (and pyarrow), the
//! glue a user would otherwise write: read every conversation file of the
//! folder, flatten with pandas, write the same table.
//!
//! `cargo bench --bench export`; `CONVGEN_BENCH_TOTAL` sets the large total
//! (default 100000), `CONVGEN_BENCH_RUNS` the runs per case (default 1, the
//! median is reported), `CONVGEN_BENCH_DIR` where data goes (default a temp dir).
//! Peak RSS comes from `/usr/bin/time -f %M` (the child's own rusage).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

// This bench uses the harness helpers, not the mock scripts the module also holds.
#[allow(dead_code)]
mod common;
use common::median;

/// The pandas flattening a user would write without `convgen export`.
const PANDAS: &str = r#"
import glob, json, sys
import pandas as pd
data, level, fmt, out = sys.argv[1:5]
rows = []
for path in sorted(glob.glob(f"{data}/*/conversations/*.json")):
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    if c["status"] != "valid":
        continue
    base = {"conversation_id": c["conversation_id"], "batch_id": c["batch_id"],
            "run_id": c["run_id"], "scenario_id": c["scenario"]["id"], "status": c["status"]}
    if level == "turn":
        for t in c["turns"]:
            rows.append({**base, "index": t["index"], "role": t["role"], "text": t["text"],
                         "timestamp": t.get("timestamp"), "latency_ms": t.get("latency_ms")})
    else:
        row = {**base, "prompt": c["prompt"]["name"], "scenario_title": c["scenario"]["title"],
               "language": c["language"], "attempts": c["attempts"], "n_turns": len(c["turns"]),
               "started_at": c["turns"][0].get("timestamp"), "ended_at": c["turns"][-1].get("timestamp"),
               "provider": c["generator"]["provider"], "model": c["generator"]["model"],
               "prompt_tokens": c["usage"]["prompt_tokens"],
               "completion_tokens": c["usage"]["completion_tokens"],
               "transcript": "\n".join(f'{t["role"]}: {t["text"]}' for t in c["turns"])}
        for k, v in c["variables"].items():
            row[f"var.{k}"] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
        rows.append(row)
df = pd.DataFrame(rows)
for col in ("started_at", "ended_at", "timestamp"):
    if col in df:
        df[col] = pd.to_datetime(df[col], utc=True)
if fmt == "parquet":
    df.to_parquet(out, compression="zstd")
else:
    df.to_csv(out, index=False)
print(len(df))
"#;

/// Runs `cmd` under `/usr/bin/time -f %M`; returns (seconds, peak RSS MiB, stdout).
fn timed(program: &str, args: &[&str]) -> (f64, f64, String) {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M", program])
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
    let kib: f64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0.0);
    (
        seconds,
        kib / 1024.0,
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

/// Generates `total` mock conversations into `data` with the shipped prompt and script.
fn generate(work: &Path, data: &Path, total: u64) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO_BIN_EXE_convgen"))
        .current_dir(work)
        .args(["generate", "--prompt", "call_center_es", "--total"])
        .arg(total.to_string())
        .arg("--batch-size")
        .arg(total.min(1000).to_string())
        .args(["--seed", "1", "--quiet", "--provider", "mock"])
        .arg("--start")
        .arg("2026-03-02T09:00:00Z")
        .arg("--data-dir")
        .arg(data)
        .arg("--prompts-dir")
        .arg(repo.join("prompts"))
        .arg("--scripts-dir")
        .arg(repo.join("scripts"))
        .status()
        .expect("run convgen generate");
    assert!(status.code().is_some_and(|c| c <= 1), "generate: {status}");
}

fn has_pandas() -> bool {
    Command::new("python3")
        .args(["-c", "import pandas, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One export; returns (rows/s, peak RSS MiB, rows).
fn export_once(data: &Path, out: &Path, format: &str, level: &str) -> (f64, f64, u64) {
    let (s, mib, stdout) = timed(
        env!("CARGO_BIN_EXE_convgen"),
        &[
            "export",
            "--all",
            "--format",
            format,
            "--level",
            level,
            "--out",
            out.to_str().unwrap(),
            "--json",
            "--quiet",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("export --json");
    let rows = v["rows"].as_u64().unwrap_or(0);
    (rows as f64 / s, mib, rows)
}

fn main() {
    let Some(runs) = common::runs(1) else {
        return;
    };
    let total: u64 = std::env::var("CONVGEN_BENCH_TOTAL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let root = match std::env::var_os("CONVGEN_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("temp dir");
    let small_total = total / 10;
    let (large, small) = (root.path().join("large"), root.path().join("small"));
    let started = Instant::now();
    generate(root.path(), &large, total);
    generate(root.path(), &small, small_total);
    println!(
        "export benchmark: {total} and {small_total} mock conversations x 12 turns (generated in {:.0} s), {} cores, data in {}",
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        root.path().display()
    );
    let pandas = has_pandas();
    let script = root.path().join("flatten.py");
    std::fs::write(&script, PANDAS).expect("write the pandas script");
    for format in ["parquet", "csv"] {
        for level in ["conversation", "turn"] {
            let out = root.path().join(format!("out.{format}"));
            let mut rates = Vec::new();
            let (mut peak, mut rows) = (0.0f64, 0);
            for _ in 0..runs {
                let (r, mib, n) = export_once(&large, &out, format, level);
                rates.push(r);
                peak = peak.max(mib);
                rows = n;
            }
            let (_, small_peak, _) = export_once(&small, &out, format, level);
            print!(
                "  {format:<7} {level:<12} convgen: {rows:>9} rows, median {:>9.0} rows/s, peak RSS {peak:.1} MiB ({small_peak:.1} MiB for {small_total})",
                median(rates.clone())
            );
            if pandas {
                let out = root.path().join(format!("pandas.{format}"));
                let (s, mib, stdout) = timed(
                    "python3",
                    &[
                        script.to_str().unwrap(),
                        large.to_str().unwrap(),
                        level,
                        format,
                        out.to_str().unwrap(),
                    ],
                );
                let n: f64 = stdout.trim().parse().unwrap_or(0.0);
                print!(" | pandas: {:>9.0} rows/s, peak RSS {mib:.1} MiB", n / s);
            }
            println!();
        }
    }
    if !pandas {
        println!("  (pandas with pyarrow not importable by python3: no comparison)");
    }
    println!("  target (SPEC §10): peak RSS < 200 MiB and flat in the total");
}
