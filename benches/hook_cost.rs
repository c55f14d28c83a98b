//! Benchmark: what the Lua hooks cost per conversation, in process and
//! without any I/O. Makes the same conversations with the mock generator,
//! on one thread: with the minimal script's variables given from Rust (no
//! Lua: the baseline, writing the very same conversations), with a script
//! defining every hook with minimal bodies, and with the shipped script;
//! reports the median microseconds per conversation of each and what the
//! hooks add.
//!
//! `cargo bench --bench hook_cost`; `CONVGEN_BENCH_RUNS` sets the rounds
//! (default 7) of 2,000 conversations each; `CONVGEN_BENCH_ONLY=N` runs
//! setup N alone (0, 1 or 2), for profiling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use camino::Utf8Path;
use convgen::conversation::ScenarioMode;
use convgen::generate::Sample;
use convgen::hooks::{HookCtx, HookError, Hooks};
use convgen::llm::MockGenerator;
use convgen::rng::ConvRng;
use convgen::runlog::StderrLog;
use convgen::script::sandbox::Limits;
use convgen::script::{ScriptFactory, ScriptSource};
use serde_json::Value as Json;

mod common;
use common::{MINIMAL_HOOKS, VARIABLES, median};

const PER_ROUND: u64 = 2_000;

/// No script, but the minimal script's variables, from Rust: the same
/// conversations as the minimal script makes, without Lua.
struct RustVariables;

impl Hooks for RustVariables {
    fn variables(
        &mut self,
        _: &HookCtx,
        _: &mut ConvRng,
    ) -> Result<Option<BTreeMap<String, Json>>, HookError> {
        Ok(Some(
            VARIABLES
                .iter()
                .map(|(k, v)| {
                    let v = match v.parse::<f64>() {
                        Ok(n) => Json::from(n),
                        Err(_) => Json::from(*v),
                    };
                    (k.to_string(), v)
                })
                .collect(),
        ))
    }
}

fn main() {
    let Some(runs) = common::runs(7) else {
        return;
    };
    let only: Option<usize> = std::env::var("CONVGEN_BENCH_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let repo = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let prompt_path = repo.join("prompts/call_center_es.md");
    let text = std::fs::read_to_string(&prompt_path).unwrap();
    let prompt = convgen::prompt::parse(&prompt_path, text.as_bytes()).unwrap();
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
    // The minimal script draws its scenario as the weighted mode does, so
    // all three make the same conversations (the shipped script its own).
    let mut setups: Vec<(&str, ScenarioMode, Box<dyn Hooks>)> = vec![
        (
            "variables from Rust, no Lua",
            ScenarioMode::Weighted,
            Box::new(RustVariables),
        ),
        (
            "every hook, minimal bodies",
            ScenarioMode::Script,
            host(MINIMAL_HOOKS.as_bytes(), "scripts/minimal.lua"),
        ),
        (
            "shipped script",
            ScenarioMode::Script,
            host(&shipped, "scripts/call_center_es.lua"),
        ),
    ];
    let generator = MockGenerator;
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut micros = vec![Vec::new(); setups.len()];
    for r in 0..runs {
        for k in 0..setups.len() {
            let i = (k + r) % setups.len();
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let (_, mode, hooks) = &mut setups[i];
            let sample = Sample {
                prompt: &prompt,
                script: None,
                mode: mode.clone(),
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
    let base = (!micros[0].is_empty()).then(|| median(micros[0].clone()));
    for (i, (name, _, _)) in setups.iter().enumerate() {
        if micros[i].is_empty() {
            continue;
        }
        let m = median(micros[i].clone());
        print!("  {name:<28} {m:>6.1} µs per conversation");
        if let (true, Some(base)) = (i > 0, base) {
            print!("; the hooks add {:.1} µs", m - base);
        }
        println!();
    }
}
