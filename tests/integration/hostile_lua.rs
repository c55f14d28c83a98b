//! Hostile scripts against the Lua host (issue 14, points 3, 4 and 8): the
//! host runs no script code when it reads what a hook returned, its copies
//! of script values are bounded, and no conversation sees what an earlier
//! one changed. Memory is measured from the child's own resource usage.

use std::time::Duration;

use crate::common::{Env, read_json, words};
use crate::measure::Measured;
use crate::scripts::env_with_script;

/// `generate --total N` with the hook wall limit raised to `timeout` seconds,
/// killed (and the test failed) after a minute.
pub fn generate(env: &Env, total: u32, extra: &[&str], timeout: &str) -> Measured {
    let total = total.to_string();
    let mut args = words("generate --prompt demo --seed 5 --start 2026-03-02T09:00:00Z");
    args.extend(["--total", total.as_str()]);
    args.extend_from_slice(extra);
    env.run_measured(
        &args,
        &[("CONVGEN_LUA_TIMEOUT", timeout)],
        Duration::from_secs(60),
    )
}

/// A script where every conversation records what it sees, then changes
/// everything a conversation can reach: the catalog tables, the prompt
/// table, the string metatable, a library function, a library, the globals
/// and their metatable, and the conversation table's shared parts.
const MEDDLER: &str = r#"
local M = {}
local function observe(ctx)
  return table.concat({
    tostring(ctx.scenario.attrs.tone), ctx.scenarios[1].title, ctx.prompt.name,
    ("abc"):upper(), text.lower("ÁBC"), tostring(rawget(_G, "LEAK")),
    tostring(getmetatable(_G) ~= nil), tostring(string.rep ~= nil),
    tostring(math.pi ~= nil),
  }, "|")
end
function M.select_scenario(ctx) return "billing" end
function M.variables(ctx)
  local seen = observe(ctx)
  ctx.scenario.attrs.tone = "patched"
  ctx.scenarios[1].title = "patched"
  ctx.prompt.name = "patched"
  getmetatable("").__index = { upper = function() return "patched" end }
  text.lower = function() return "patched" end
  string.rep = nil
  math = nil
  LEAK = ctx.index
  setmetatable(_G, { __index = function() return "ghost" end })
  return { customer = "Ana", seen = seen }
end
function M.validate_conversation(conv, ctx)
  local before = conv.prompt.name .. "|" .. conv.roles[1]
  conv.prompt.name = "patched"
  conv.roles[1] = "patched"
  if before ~= "demo|agent" then return false, "saw " .. before end
  return true
end
return M
"#;

#[test]
fn no_conversation_sees_what_an_earlier_one_changed() {
    let one = env_with_script(MEDDLER);
    let eight = env_with_script(MEDDLER);
    let a = generate(&one, 12, &["--concurrency", "1", "--batch-size", "4"], "5");
    let b = generate(
        &eight,
        12,
        &["--concurrency", "8", "--batch-size", "4"],
        "5",
    );
    for done in [&a, &b] {
        done.run.expect(0);
    }
    let clean = "molesto|Disputa de factura|demo|ABC|ábc|nil|false|true|true";
    for file in one.conversation_files() {
        let conv = read_json(&file);
        assert_eq!(
            conv["variables"]["seen"],
            clean,
            "{}: a change of an earlier conversation leaked",
            file.display()
        );
        assert_eq!(conv["status"], "valid", "{}", file.display());
    }
    one.assert_same_conversations(&eight, 12);
}

#[test]
fn what_the_script_made_at_load_time_is_kept_for_every_conversation() {
    // Helpers added to a library when the script loads are the baseline
    // every conversation starts from.
    let script = r#"
function string.shout(s) return s:upper() .. "!" end
local M = {}
function M.variables(ctx) return { customer = ("ana"):shout() } end
return M
"#;
    let env = env_with_script(script);
    generate(&env, 4, &[], "5").run.expect(0);
    for file in env.conversation_files() {
        assert_eq!(read_json(&file)["variables"]["customer"], "ANA!");
    }
}

/// A pattern that backtracks for minutes inside one C call.
const BACKTRACK: &str = r#"("a"):rep(40):find(("a*"):rep(40) .. "b")"#;

#[test]
fn the_host_reads_what_hooks_return_without_running_script_code() {
    // `select_scenario` answers a table whose `__index` would hang in a C
    // call no limit can stop: the host reads `id` raw, finds none.
    let env = env_with_script(&format!(
        "return {{ select_scenario = function(ctx) return setmetatable({{}}, {{ __index = function() {BACKTRACK} return 'billing' end }}) end, variables = function() return {{ customer = 'Ana' }} end }}"
    ));
    let done = generate(&env, 2, &[], "1");
    done.run
        .expect(2)
        .stderr_has("hook `select_scenario`")
        .stderr_has("returned a table without a string `id`")
        .stderr_lacks("inside a library call");
    // Variables and reasons behind `__index`, `__pairs` and `__len` that
    // would loop forever: read raw, the run ends.
    let env = env_with_script(
        r#"
local forever = { __index = function() while true do end end,
                  __pairs = function() while true do end end,
                  __len = function() while true do end end }
local M = {}
function M.variables() return setmetatable({ customer = "Ana", nested = setmetatable({ 1, 2 }, forever) }, forever) end
function M.validate_conversation() return false, setmetatable({}, forever) end
return M
"#,
    );
    let done = generate(&env, 2, &[], "1");
    done.run.expect(1);
    for file in env.conversation_files() {
        let conv = read_json(&file);
        assert_eq!(conv["variables"]["nested"], serde_json::json!([1, 2]));
        assert_eq!(
            conv["issues"],
            serde_json::json!(["rejected (no reason given)"])
        );
    }
}

mod limits;
