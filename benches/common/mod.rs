//! What the mock benchmarks share: the minimal script, and the values it
//! gives the shipped prompt's placeholders.

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
