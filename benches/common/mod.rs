//! What the mock benchmarks share: the minimal script, the values it gives
//! the shipped prompt's placeholders, and the harness.

/// The number of runs: `CONVGEN_BENCH_RUNS`, or `default`; `None` when the
/// binary was not started by `cargo bench` (`cargo test --benches` runs it
/// without `--bench`: stay quick there).
pub fn runs(default: usize) -> Option<usize> {
    if !std::env::args().any(|a| a == "--bench") {
        return None;
    }
    Some(
        std::env::var("CONVGEN_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// The median of `v` (the upper one for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A script that defines every hook and does as little as each allows.
pub const MINIMAL_HOOKS: &str = r#"
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

/// The values the minimal script gives the prompt's placeholders.
pub const VARIABLES: [(&str, &str); 7] = [
    ("customer", "Lucía García"),
    ("agent", "Marta"),
    ("company", "Telvento"),
    ("importe", "42,50 €"),
    ("contract", "TV-0000001"),
    ("dni", "00000000T"),
    ("amount", "42.5"),
];
