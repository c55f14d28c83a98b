//! Benchmark: what the Lua hooks cost per conversation, in process and
//! without any I/O. Makes the same conversations with the mock generator,
//! on one thread, without a script, with a script defining every hook with
//! minimal bodies, and with the shipped script, and reports the median
//! microseconds per conversation of each and the difference.
//!
//! `cargo bench --bench hook_cost`; `CONVGEN_BENCH_RUNS` sets the rounds
//! (default 7) of 2,000 conversations each; `CONVGEN_BENCH_ONLY=N` runs
//! setup N alone (0, 1 or 2), for profiling.

use std::sync::Arc;
use std::time::Instant;

use camino::Utf8Path;
use convgen::conversation::ScenarioMode;
use convgen::generate::Sample;
use convgen::hooks::{Hooks, NoScript};
use convgen::llm::MockGenerator;
use convgen::script::sandbox::{Limits, StderrLog};
use convgen::script::{ScriptFactory, ScriptSource};

/// A script that defines every hook and does as little as each allows (the
/// same as the `mock_throughput` benchmark's).
const MINIMAL_HOOKS: &str = r#"
local M = {}
function M.select_scenario(ctx) return ctx.rng:weighted(ctx.scenarios, "weight").id end
function M.variables(ctx)
  return { customer = "Lucía García", agent = "Marta", company = "Telvento",
           importe = "42,50 €", contract = "TV-0000001", dni = "00000000T", amount = 42.5 }
end
function M.turn_latency(turn, ctx) return 1.5 end
function M.validate_turn(turn, ctx) return true end
function M.validate_conversation(conv, ctx) return true end
return M
"#;

const PER_ROUND: u64 = 2_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("CONVGEN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let repo = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let prompt_path = repo.join("prompts/call_center_es.md");
    let text = std::fs::read_to_string(&prompt_path).unwrap();
    let prompt = convgen::prompt::parse(&prompt_path, text.as_bytes()).unwrap();
    // Without a script the placeholders get the values the minimal script gives.
    let mut filled = text.clone();
    for (name, value) in [
        ("customer", "Lucía García"),
        ("agent", "Marta"),
        ("company", "Telvento"),
        ("importe", "42,50 €"),
        ("contract", "TV-0000001"),
        ("dni", "00000000T"),
        ("amount", "42.5"),
    ] {
        filled = filled.replace(&format!("{{{{{name}}}}}"), value);
    }
    let plain = convgen::prompt::parse(&prompt_path, filled.as_bytes()).unwrap();
    assert!(
        convgen::prompt::placeholders(&filled).is_empty(),
        "a placeholder of the shipped prompt has no value here"
    );
    let host = |code: &[u8], name: &str| -> Box<dyn Hooks> {
        let source = ScriptSource {
            path: name.into(),
            bytes: Arc::from(code),
            sha256: String::new(),
        };
        let factory =
            ScriptFactory::new(source, &prompt, Limits::default(), Arc::new(StderrLog)).unwrap();
        Box::new(factory.load_host().unwrap())
    };
    let shipped = std::fs::read(repo.join("scripts/call_center_es.lua")).unwrap();
    let mut setups: Vec<(&str, &convgen::prompt::Prompt, Box<dyn Hooks>)> = vec![
        ("no script", &plain, Box::new(NoScript)),
        (
            "every hook, minimal bodies",
            &prompt,
            host(
                std::env::var("MINI")
                    .map(|f| std::fs::read(f).unwrap())
                    .unwrap_or(MINIMAL_HOOKS.as_bytes().to_vec())
                    .as_slice(),
                "scripts/minimal.lua",
            ),
        ),
        (
            "shipped script",
            &prompt,
            host(&shipped, "scripts/call_center_es.lua"),
        ),
    ];
    let generator = MockGenerator;
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let only: Option<usize> = std::env::var("CONVGEN_BENCH_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut micros = vec![Vec::new(); setups.len()];
    for r in 0..runs {
        for k in 0..setups.len() {
            let i = (k + r) % setups.len();
            if only.is_some_and(|o| o != i) {
                micros[i].push(f64::NAN);
                continue;
            }
            let (_, prompt, hooks) = &mut setups[i];
            let sample = Sample {
                prompt,
                script: None,
                mode: if i == 0 {
                    ScenarioMode::Weighted
                } else {
                    ScenarioMode::Script
                },
                seed: 1,
                start,
                generator: &generator,
                max_attempts: 1,
            };
            let began = Instant::now();
            for n in 1..=PER_ROUND {
                let conv = sample.make(n, hooks.as_mut()).unwrap();
                std::hint::black_box(conv);
            }
            micros[i].push(began.elapsed().as_secs_f64() * 1e6 / PER_ROUND as f64);
        }
    }
    println!(
        "making conversations in process (mock, no I/O), one thread, {runs} rounds of {PER_ROUND}"
    );
    let base = median(micros[0].clone());
    for (i, (name, _, _)) in setups.iter().enumerate() {
        let m = median(micros[i].clone());
        print!("  {name:<27} {m:>6.1} µs per conversation");
        if i > 0 {
            print!("; hooks add {:.1} µs", m - base);
        }
        println!();
    }
}
