//! Benchmark (SPEC §10): the OpenAI-compatible client against loopback servers.
//!
//! (a) No limit, replies after 200 ms; 400 conversations at concurrency 32.
//!     Ideal: N / concurrency × latency (160 conversations/s).
//! (1)–(6) Rate-limited servers of the shapes providers use
//!     (`tests/integration/limiter.rs`), each a fresh server and data dir:
//!     1. token bucket 20/s burst 20, `retry-after-ms`, 200 ms replies,
//!        concurrency 16 and 32;
//!     2. token bucket 10/s without burst, `retry-after-ms`, 100 ms replies,
//!        concurrency 16 and 32;
//!     3. fixed windows of 60 requests / 10 s (Azure-style), `retry-after` in
//!        whole seconds, 200 ms replies, concurrency 32;
//!     4. tokens per minute, sized from a probe request so the run needs two
//!        windows (100 requests a minute), 200 ms replies, concurrency 32;
//!     5. token bucket 20/s burst 20 answering 429 with no wait header,
//!        concurrency 32;
//!     6. two endpoints (buckets 20/s burst 20 and 10/s burst 10) serving one
//!        run, configured through `[[endpoints]]` in `convgen.toml`.
//!     200 conversations each.
//!
//! The ideal is the fastest any client could finish: the time a greedy client
//! gets its N-th request admitted ([`Shape::last_admission`]: bucket
//! max(0, N − burst) / rate; fixed window (ceil(N / limit) − 1) × window;
//! tokens per minute (ceil(N / floor(tpm / request tokens)) − 1) × 60 s; two
//! buckets as one with the summed rates and bursts) plus one reply latency,
//! and never less than N / concurrency × latency. Each line shows the
//! achieved ratio ideal / actual (wall time of the convgen process), the
//! server requests per conversation, the 429s and the conversations lost
//! (N − valid), beside the SPEC's targets and a PASS/FAIL mark. A convgen that
//! fails or hangs is reported (exit code, last stderr line), not a panic.
//!
//! `cargo bench --bench provider_throughput`; `CONVGEN_BENCH_CASES=a,1,3`
//! runs a subset (`1/16` picks one concurrency of a case).

#[path = "../tests/integration/llm_server.rs"]
mod llm_server;

#[path = "../tests/integration/limiter.rs"]
mod limiter;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use limiter::{
    FixedWindow, Shape, Stats, TokenBucket, TokensPerMinute, Unlimited, WaitHeader, request_tokens,
    serve,
};
use llm_server::{TestServer, completion, conversation_json};

const PROMPT: &str = "+++\ntitle = \"Bench\"\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 6\n+++\nUsted es un agente de atención al cliente.\n\n## Escenarios\n\n### billing: Factura\nCobro doble.\n";

/// Variables that could point convgen somewhere else than the bench's servers.
const CLEARED_ENV: &[&str] = &[
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_DEPLOYMENT",
    "CONVGEN_MODEL",
    "CONVGEN_PROVIDER",
    "CONVGEN_DATA_DIR",
    "CONVGEN_PROMPTS_DIR",
    "CONVGEN_SCRIPTS_DIR",
    "CONVGEN_CONCURRENCY",
];

/// How one convgen run ended.
struct Outcome {
    seconds: f64,
    /// The exit code; `None` when killed (timed out or by a signal).
    code: Option<i32>,
    timed_out: bool,
    last_stderr: String,
    /// Valid conversations: the `--json` summary's count on success, else
    /// the valid conversation files written.
    valid: u64,
}

/// Runs `convgen generate` in `dir` (its working directory, where a
/// `convgen.toml` may be), data in `dir/data`; kills it after `limit`.
fn run(
    work: &Path,
    dir: &Path,
    env: &[(&str, String)],
    total: u64,
    concurrency: u32,
    limit: Duration,
) -> Outcome {
    let data = dir.join("data");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convgen"));
    cmd.current_dir(dir)
        .args(["generate", "--prompt", "bench", "--total"])
        .arg(total.to_string())
        .arg("--batch-size")
        .arg(total.min(100).to_string())
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .args(["--seed", "1", "--json", "--quiet"])
        .arg("--data-dir")
        .arg(&data)
        .arg("--prompts-dir")
        .arg(work.join("prompts"))
        .arg("--scripts-dir")
        .arg(work.join("scripts"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start convgen");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for convgen") {
            break status;
        }
        if started.elapsed() > limit {
            timed_out = true;
            break stop(&mut child);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let last_stderr = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    let summary_valid = serde_json::from_slice::<serde_json::Value>(&stdout)
        .ok()
        .and_then(|s| s["counts"]["valid"].as_u64());
    let valid = match summary_valid {
        Some(v) if status.success() => v,
        _ => valid_files(&data),
    };
    Outcome {
        seconds,
        code: status.code(),
        timed_out,
        last_stderr,
        valid,
    }
}

/// Stops a convgen that ran too long the way an operator would: Ctrl-C
/// (SIGINT), which lets it write what is in flight, then SIGKILL after 10 s.
fn stop(child: &mut std::process::Child) -> std::process::ExitStatus {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) on the pid of our own child, which has not been
        // reaped yet (so the pid cannot have been reused).
        unsafe { libc::kill(pid, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    child.wait().expect("wait for convgen")
}

/// Valid conversation files under `data/<batch>/conversations/`.
fn valid_files(data: &Path) -> u64 {
    let Ok(batches) = std::fs::read_dir(data) else {
        return 0;
    };
    let mut valid = 0;
    for batch in batches.flatten() {
        let Ok(files) = std::fs::read_dir(batch.path().join("conversations")) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let is_valid = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|c| c["status"] == "valid");
            valid += u64::from(is_valid);
        }
    }
    valid
}

/// One benchmark case: servers, a run, a line.
struct Case {
    /// "a", "1/16", "3"…
    id: String,
    label: String,
    total: u64,
    concurrency: u32,
    latency: Duration,
    /// When the limiter(s) can have admitted the last request.
    last_admission: Duration,
    min_ratio: f64,
    max_per_conversation: f64,
}

impl Case {
    fn ideal(&self) -> Duration {
        let by_concurrency = self
            .latency
            .mul_f64(self.total as f64 / f64::from(self.concurrency));
        self.last_admission
            .saturating_add(self.latency)
            .max(by_concurrency)
    }
}

/// Runs `case` against `servers` (one per endpoint) and prints its line.
fn report(
    case: &Case,
    work: &Path,
    dir: &Path,
    env: &[(&str, String)],
    servers: &[(TestServer, Arc<Stats>)],
) {
    let ideal = case.ideal();
    let limit = ideal
        .saturating_mul(4)
        .saturating_add(Duration::from_secs(60));
    let out = run(work, dir, env, case.total, case.concurrency, limit);
    let counts: Vec<_> = servers.iter().map(|(_, s)| s.snapshot()).collect();
    let requests: u64 = counts.iter().map(|c| c.requests).sum();
    let throttled: u64 = counts.iter().map(|c| c.throttled).sum();
    let lost = case.total.saturating_sub(out.valid);
    let ratio = ideal.as_secs_f64() / out.seconds;
    let per_conversation = requests as f64 / case.total as f64;
    let succeeded = out.code == Some(0) && !out.timed_out;
    let pass = succeeded
        && requests > 0
        && ratio >= case.min_ratio
        && lost == 0
        && per_conversation <= case.max_per_conversation;
    // A run that stopped early has no meaningful speed.
    let achieved = if succeeded {
        format!("{:.1}%", ratio * 100.0)
    } else {
        "n/a".to_string()
    };
    let mut line = format!(
        "  ({}) {}, {} conversations, concurrency {}: {:.2} s vs ideal {:.2} s = {achieved} (target >= {:.0}%); {:.2} requests/conversation (target <= {}); {} answered 429; lost {} (target 0)",
        case.id,
        case.label,
        case.total,
        case.concurrency,
        out.seconds,
        ideal.as_secs_f64(),
        case.min_ratio * 100.0,
        per_conversation,
        case.max_per_conversation,
        throttled,
        lost,
    );
    if servers.len() > 1 {
        let split: Vec<String> = counts
            .iter()
            .map(|c| format!("{}/{}", c.accepted, c.requests))
            .collect();
        line.push_str(&format!(
            "; accepted/requests per endpoint {}",
            split.join(" + ")
        ));
    }
    if out.timed_out {
        let last = counts
            .iter()
            .filter_map(|c| c.last_request)
            .max()
            .map_or_else(
                || "never".to_string(),
                |t| format!("at {:.1} s", t.as_secs_f64()),
            );
        line.push_str(&format!(
            "; convgen still running after {:.0} s, stopped (SIGINT, then SIGKILL after 10 s); the servers' last request came {last}; last stderr: {:?}",
            limit.as_secs_f64(),
            out.last_stderr
        ));
    } else if !succeeded {
        let code = out
            .code
            .map_or_else(|| "a signal".to_string(), |c| c.to_string());
        line.push_str(&format!("; convgen exited {code}: {:?}", out.last_stderr));
    } else if requests == 0 {
        line.push_str("; no request reached the servers (mock provider?)");
    }
    line.push_str(if pass { "  PASS" } else { "  FAIL" });
    println!("{line}");
}

/// Which cases to run: `CONVGEN_BENCH_CASES` (comma list), or all.
struct Selection(Option<Vec<String>>);

impl Selection {
    fn from_env() -> Self {
        Self(std::env::var("CONVGEN_BENCH_CASES").ok().map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        }))
    }

    /// `id` is "a", "3" or "1/16"; "1" selects every "1/…".
    fn wants(&self, id: &str) -> bool {
        let group = id.split('/').next().unwrap_or(id);
        self.0
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| s == id || s == group))
    }
}

/// A fresh directory for one case, inside the bench's temp dir.
fn case_dir(work: &Path, id: &str) -> PathBuf {
    let dir = work.join(format!("case-{}", id.replace('/', "-")));
    std::fs::create_dir_all(&dir).expect("case dir");
    dir
}

fn openai_env(server: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("OPENAI_BASE_URL", format!("{}/v1", server.url())),
        ("OPENAI_API_KEY", "sk-bench".to_string()),
        ("CONVGEN_MODEL", "bench-model".to_string()),
    ]
}

/// A limited single-endpoint case.
fn single(sel: &Selection, work: &Path, body: &str, case: Case, shape: impl Shape) {
    if !sel.wants(&case.id) {
        return;
    }
    let served = serve(shape, case.latency, body.to_string());
    let dir = case_dir(work, &case.id);
    let env = openai_env(&served.0);
    report(&case, work, &dir, &env, &[served]);
}

/// The tokens the server charges one of the run's requests, from the body of
/// a one-conversation run against an unlimited server.
fn probe_request_tokens(work: &Path, body: &str) -> Result<u64, String> {
    let (server, _) = serve(Unlimited, Duration::ZERO, body.to_string());
    let dir = case_dir(work, "probe");
    let out = run(
        work,
        &dir,
        &openai_env(&server),
        1,
        1,
        Duration::from_secs(60),
    );
    let first = server.requests().into_iter().next().ok_or_else(|| {
        format!(
            "the probe run sent no request (exit {:?}: {:?})",
            out.code, out.last_stderr
        )
    })?;
    Ok(request_tokens(&first.json()))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sel = Selection::from_env();
    let work = tempfile::tempdir().expect("temp dir");
    let work = work.path();
    std::fs::create_dir_all(work.join("prompts")).unwrap();
    std::fs::create_dir_all(work.join("scripts")).unwrap();
    std::fs::write(work.join("prompts/bench.md"), PROMPT).unwrap();
    let body = completion(&conversation_json(&["agent", "client"], 6), "stop", 100, 60);
    println!(
        "OpenAI-compatible client, loopback servers, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let ms = Duration::from_millis;
    let n = 200;
    let case = |id: &str, label: String, total, concurrency, latency, shape: &dyn Shape| Case {
        id: id.to_string(),
        label,
        total,
        concurrency,
        latency,
        last_admission: shape.last_admission(total, 0).unwrap_or(Duration::MAX),
        min_ratio: 0.90,
        max_per_conversation: 2.0,
    };

    // (a) No limit.
    let shape = Unlimited;
    single(
        &sel,
        work,
        &body,
        case(
            "a",
            "unlimited, 200 ms replies".into(),
            400,
            32,
            ms(200),
            &shape,
        ),
        shape,
    );

    // (1) Token bucket with burst.
    for concurrency in [16, 32] {
        let shape = TokenBucket::new(20, 20);
        let label = format!("{}, 200 ms replies", shape.describe());
        let c = case(
            &format!("1/{concurrency}"),
            label,
            n,
            concurrency,
            ms(200),
            &shape,
        );
        single(&sel, work, &body, c, shape);
    }

    // (2) Token bucket without burst.
    for concurrency in [16, 32] {
        let shape = TokenBucket::new(10, 1);
        let label = format!("{}, 100 ms replies", shape.describe());
        let c = Case {
            min_ratio: 0.85,
            ..case(
                &format!("2/{concurrency}"),
                label,
                n,
                concurrency,
                ms(100),
                &shape,
            )
        };
        single(&sel, work, &body, c, shape);
    }

    // (3) Fixed windows, retry-after in whole seconds.
    let shape = FixedWindow::new(60, Duration::from_secs(10));
    let label = format!("{} (Azure body), 200 ms replies", shape.describe());
    let c = Case {
        min_ratio: 0.85,
        ..case("3", label, n, 32, ms(200), &shape)
    };
    single(&sel, work, &body, c, shape);

    // (4) Tokens per minute, sized so 100 requests fit a minute.
    if sel.wants("4") {
        match probe_request_tokens(work, &body) {
            Ok(tokens) => {
                let shape = TokensPerMinute::new(100 * tokens + tokens / 2);
                let label = format!(
                    "{} (requests charged {tokens} tokens: 100 a minute), 200 ms replies",
                    shape.describe()
                );
                let c = Case {
                    last_admission: shape.last_admission(n, tokens).unwrap_or(Duration::MAX),
                    ..case("4", label, n, 32, ms(200), &shape)
                };
                single(&sel, work, &body, c, shape);
            }
            Err(e) => println!("  (4) tokens per minute: request size unknown, {e}  FAIL"),
        }
    }

    // (5) No wait header.
    let shape = TokenBucket::new(20, 20).with_wait(WaitHeader::None);
    let label = format!("{}, 200 ms replies", shape.describe());
    let c = Case {
        min_ratio: 0.60,
        max_per_conversation: 3.0,
        ..case("5", label, n, 32, ms(200), &shape)
    };
    single(&sel, work, &body, c, shape);

    // (6) Two endpoints with different quotas, from convgen.toml.
    if sel.wants("6") {
        let fast = TokenBucket::new(20, 20);
        let slow = TokenBucket::new(10, 10);
        let combined = TokenBucket::new(20 + 10, 20 + 10);
        let label = format!(
            "two endpoints: {} + {}, 200 ms replies",
            fast.describe(),
            slow.describe()
        );
        let c = case("6", label, n, 32, ms(200), &combined);
        let fast = serve(fast, c.latency, body.clone());
        let slow = serve(slow, c.latency, body.clone());
        let dir = case_dir(work, "6");
        let toml = format!(
            "[[endpoints]]\nname = \"fast\"\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nkey_env = \"BENCH_KEY_FAST\"\nmodel = \"bench-model\"\n\n[[endpoints]]\nname = \"slow\"\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nkey_env = \"BENCH_KEY_SLOW\"\nmodel = \"bench-model\"\n",
            fast.0.url(),
            slow.0.url()
        );
        std::fs::write(dir.join("convgen.toml"), toml).expect("write convgen.toml");
        let env = [
            ("BENCH_KEY_FAST", "sk-bench-fast".to_string()),
            ("BENCH_KEY_SLOW", "sk-bench-slow".to_string()),
        ];
        report(&c, work, &dir, &env, &[fast, slow]);
    }
}
