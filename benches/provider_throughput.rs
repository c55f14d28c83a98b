//! Benchmark (SPEC §10): the OpenAI-compatible client against a loopback server.
//!
//! (a) The server answers after 200 ms; 400 conversations at concurrency 32.
//!     The ideal is 32 / 0.2 s = 160 conversations/s.
//! (b) The server allows 20 requests/s and answers 429 with `retry-after-ms`
//!     past that; 200 conversations at concurrency 32. The ideal is 20/s, and
//!     no conversation may be lost.
//!
//! `cargo bench --bench provider_throughput`

#[path = "../tests/integration/llm_server.rs"]
mod llm_server;

use std::collections::VecDeque;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use llm_server::{Reply, TestServer, completion, conversation_json, error_body};

const PROMPT: &str = "+++\ntitle = \"Bench\"\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 6\n+++\nUsted es un agente de atención al cliente.\n\n## Escenarios\n\n### billing: Factura\nCobro doble.\n";

/// Runs convgen against `server`; returns (seconds, the --json summary).
fn run(work: &Path, server: &TestServer, total: u32) -> (f64, serde_json::Value) {
    let data = work.join(format!(
        "data-{}",
        server.url().rsplit(':').next().unwrap_or("x")
    ));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_convgen"))
        .args(["generate", "--prompt", "bench", "--total"])
        .arg(total.to_string())
        .args([
            "--batch-size",
            "100",
            "--concurrency",
            "32",
            "--seed",
            "1",
            "--json",
            "--quiet",
        ])
        .arg("--data-dir")
        .arg(&data)
        .arg("--prompts-dir")
        .arg(work.join("prompts"))
        .arg("--scripts-dir")
        .arg(work.join("scripts"))
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .env("OPENAI_API_KEY", "sk-bench")
        .env("CONVGEN_MODEL", "bench-model")
        .env_remove("AZURE_OPENAI_ENDPOINT")
        .output()
        .expect("run convgen");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "convgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        seconds,
        serde_json::from_slice(&out.stdout).expect("json summary"),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(work.path().join("prompts")).unwrap();
    std::fs::create_dir_all(work.path().join("scripts")).unwrap();
    std::fs::write(work.path().join("prompts/bench.md"), PROMPT).unwrap();
    let body = completion(&conversation_json(&["agent", "client"], 6), "stop", 100, 60);
    println!(
        "OpenAI-compatible client, loopback server, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // (a) Fixed latency.
    let reply = body.clone();
    let server = TestServer::start(move |_, _| {
        Reply::Delay(
            Duration::from_millis(200),
            Box::new(Reply::ok(reply.clone())),
        )
    });
    let (seconds, summary) = run(work.path(), &server, 400);
    let rate = 400.0 / seconds;
    println!(
        "  (a) 200 ms latency, 400 conversations, concurrency 32: {rate:.1} conversations/s in {seconds:.2} s = {:.0}% of the ideal 160/s (target >= 90%); valid {}; {} connections",
        rate / 160.0 * 100.0,
        summary["counts"]["valid"],
        server.connections()
    );
    drop(server);

    // (b) A rate limit of 20 requests/s, answered with 429 and retry-after-ms beyond it.
    let window: Mutex<VecDeque<Instant>> = Mutex::new(VecDeque::new());
    let limited = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = limited.clone();
    let reply = body;
    let server = TestServer::start(move |_, _| {
        let mut w = window.lock().unwrap();
        let now = Instant::now();
        while w
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            w.pop_front();
        }
        if w.len() >= 20 {
            counter.fetch_add(1, Ordering::SeqCst);
            let wait = Duration::from_secs(1).saturating_sub(now.duration_since(w[0]));
            return Reply::status(
                429,
                &error_body("Rate limit reached", "rate_limit_exceeded"),
            )
            .with_header("retry-after-ms", &wait.as_millis().max(1).to_string());
        }
        w.push_back(now);
        Reply::ok(reply.clone())
    });
    let total = 200;
    let (seconds, summary) = run(work.path(), &server, total);
    let rate = total as f64 / seconds;
    let valid = summary["counts"]["valid"].as_u64().unwrap_or(0);
    println!(
        "  (b) 20 requests/s limit, {total} conversations, concurrency 32: {rate:.1} requests/s accepted in {seconds:.2} s = {:.0}% of 20/s (target >= 90%); {} answered 429; lost {} (target 0)",
        rate / 20.0 * 100.0,
        limited.load(Ordering::SeqCst),
        total as u64 - valid
    );
}
