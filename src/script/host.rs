//! [`ScriptHost`]: a generation script in its sandbox, implementing [`Hooks`].
//!
//! Each hook the script defines is called with the tables of
//! [`super::ctx`] and [`super::conversation`], under the sandbox's limits,
//! with the conversation's generator lent to `ctx.rng`. What it returns is
//! checked strictly: the wrong type is an error naming the hook and the type.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlua::{Function, MultiValue, Table, Value};

use super::sandbox::{self, Limits, LogSink, LuaFailure, Sandbox};
use super::{
    HOOKS, Loaded, MAX_REASONS, ScriptSource, conversation, ctx, isolation, load_module, lua_type,
    mode_name, plain, restore, rng, strip_script, type_of, verdict,
};
use crate::conversation::{Conversation, Turn};
use crate::hooks::{HookCtx, HookError, Hooks};
use crate::prompt::Prompt;
use crate::rng::ConvRng;

/// The longest string `select_scenario` may return: ids are short, and a
/// wrong one is quoted in the error.
const MAX_ID: usize = 256;

/// A script loaded into one sandboxed state, implementing the hooks it defines.
pub struct ScriptHost {
    sandbox: Sandbox,
    hooks: BTreeMap<&'static str, Function>,
    baseline: isolation::Baseline,
    shared: ctx::Shared,
    current: ctx::Current,
    tables: conversation::Tables,
}

impl ScriptHost {
    /// Loads `source` into a fresh sandbox for `prompt`.
    pub fn load(
        source: &ScriptSource,
        prompt: &Prompt,
        limits: Limits,
        log: Arc<dyn LogSink>,
    ) -> Result<Self, String> {
        let script = source.path.to_string();
        let Loaded {
            sandbox,
            api,
            hooks,
            baseline,
        } = load_module(source, limits, log, HOOKS)?;
        let lua = sandbox.lua();
        let shared = {
            let _host = sandbox.host_side();
            ctx::register(lua, prompt, api.rng)
        }
        .map_err(|e| format!("{script}: {e}"))?;
        let tables = conversation::register(lua);
        Ok(Self {
            sandbox,
            hooks,
            baseline,
            shared,
            current: ctx::Current::default(),
            tables,
        })
    }

    /// The hooks the script defines.
    pub fn defined(&self) -> Vec<&'static str> {
        self.hooks.keys().copied().collect()
    }

    /// True when the script defines `hook`.
    pub fn has(&self, hook: &str) -> bool {
        self.hooks.contains_key(hook)
    }

    fn error(&self, hook: &'static str, ctx: &HookCtx, message: String) -> HookError {
        HookError {
            script: self.sandbox.script.clone(),
            hook,
            conversation_id: ctx.conversation_id.to_string(),
            message,
        }
    }

    fn lua_error(&self, hook: &'static str, ctx: &HookCtx, e: mlua::Error) -> HookError {
        self.error(hook, ctx, sandbox::describe(&e))
    }

    fn failure(&self, hook: &'static str, ctx: &HookCtx, f: LuaFailure) -> HookError {
        self.error(hook, ctx, strip_script(&self.sandbox.script, f.0))
    }

    /// The conversation's ctx table (host work: built without the memory
    /// limit). Before a conversation's first hook, the state is put back as
    /// the script left it when it loaded.
    fn ctx_table(&mut self, hook: &'static str, ctx: &HookCtx) -> Result<Table, HookError> {
        if !self.current.holds(ctx.conversation_id) {
            restore(&self.sandbox, &self.baseline, ctx.conversation_id)
                .map_err(|m| self.failure(hook, ctx, LuaFailure(m)))?;
        }
        let built = {
            let _host = self.sandbox.host_side();
            self.current
                .table(self.sandbox.lua(), &self.shared, mode_name(ctx.mode), ctx)
        };
        built.map_err(|e| self.lua_error(hook, ctx, e))
    }

    /// Calls `hook` (when defined) with `first` (when given) and ctx.
    fn call(
        &mut self,
        hook: &'static str,
        ctx: &HookCtx,
        first: Option<Table>,
        rng: &mut ConvRng,
    ) -> Result<Option<MultiValue>, HookError> {
        let Some(f) = self.hooks.get(hook).cloned() else {
            return Ok(None);
        };
        let ctx_table = self.ctx_table(hook, ctx)?;
        let sandbox = &self.sandbox;
        let _lent = rng::lend(sandbox.lua(), rng);
        let result = sandbox.run(
            format_args!(
                "{}: hook `{hook}` for {}",
                sandbox.script, ctx.conversation_id
            ),
            |_| match first {
                Some(t) => f.call::<MultiValue>((t, ctx_table)),
                None => f.call::<MultiValue>(ctx_table),
            },
        );
        result.map(Some).map_err(|e| self.failure(hook, ctx, e))
    }

    /// Runs a per-turn hook (when defined) on every turn, the whole trip
    /// under one arming of the limits; returns each turn's first and second
    /// return values.
    fn each_turn(
        &mut self,
        hook: &'static str,
        turns: &[Turn],
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<Vec<(Value, Value)>>, HookError> {
        let Some(f) = self.hooks.get(hook).cloned() else {
            return Ok(None);
        };
        let ctx_table = self.ctx_table(hook, ctx)?;
        let tables = {
            let _host = self.sandbox.host_side();
            self.tables
                .turns(self.sandbox.lua(), ctx.conversation_id, turns)
        }
        .map_err(|e| self.lua_error(hook, ctx, e))?;
        let sandbox = &self.sandbox;
        let _lent = rng::lend(sandbox.lua(), rng);
        let result = sandbox.run(
            format_args!(
                "{}: hook `{hook}` for {}",
                sandbox.script, ctx.conversation_id
            ),
            |_| {
                let mut out = Vec::with_capacity(tables.len());
                for t in &tables {
                    out.push(f.call::<(Value, Value)>((t, &ctx_table))?);
                }
                Ok(out)
            },
        );
        result.map(Some).map_err(|e| self.failure(hook, ctx, e))
    }
}

impl Hooks for ScriptHost {
    fn select_scenario(
        &mut self,
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<String>, HookError> {
        let Some(values) = self.call("select_scenario", ctx, None, rng)? else {
            return Ok(None);
        };
        let id = |s: &mlua::LuaString| {
            let len = s.as_bytes().len();
            if len > MAX_ID {
                Err(self.error(
                    "select_scenario",
                    ctx,
                    format!("returned a string of {len} bytes; expected a scenario id"),
                ))
            } else {
                Ok(Some(s.to_string_lossy()))
            }
        };
        match values.front() {
            Some(Value::String(s)) => id(s),
            Some(Value::Table(t)) => match t.raw_get::<Value>("id") {
                Ok(Value::String(s)) => id(&s),
                _ => Err(self.error(
                    "select_scenario",
                    ctx,
                    "returned a table without a string `id`; return a scenario id".into(),
                )),
            },
            _ => Err(self.error(
                "select_scenario",
                ctx,
                format!(
                    "returned {}; expected a scenario id string",
                    lua_type(&values)
                ),
            )),
        }
    }

    fn variables(
        &mut self,
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<BTreeMap<String, serde_json::Value>>, HookError> {
        let Some(values) = self.call("variables", ctx, None, rng)? else {
            return Ok(None);
        };
        let read = match values.front() {
            Some(v @ Value::Table(_)) => {
                let _host = self.sandbox.host_side();
                plain::read(v)
            }
            _ => {
                return Err(self.error(
                    "variables",
                    ctx,
                    format!(
                        "returned {}; expected a table of variables",
                        lua_type(&values)
                    ),
                ));
            }
        };
        match read.map_err(|e| self.lua_error("variables", ctx, e))? {
            Ok(serde_json::Value::Object(map)) => Ok(Some(map.into_iter().collect())),
            // A list (or an empty table read as one) names no variables.
            Ok(serde_json::Value::Array(items)) if items.is_empty() => Ok(Some(BTreeMap::new())),
            Ok(_) => Err(self.error(
                "variables",
                ctx,
                "returned a list; expected a table of variables by name".into(),
            )),
            Err(why) => Err(self.error(
                "variables",
                ctx,
                format!("returned a value that is not plain data: {why}"),
            )),
        }
    }

    fn turn_latencies(
        &mut self,
        turns: &[Turn],
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<Vec<f64>>, HookError> {
        let Some(results) = self.each_turn("turn_latency", turns, ctx, rng)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(results.len());
        for (i, (first, _)) in results.into_iter().enumerate() {
            match first {
                Value::Integer(n) => out.push(n as f64),
                Value::Number(n) => out.push(n),
                other => {
                    return Err(self.error(
                        "turn_latency",
                        ctx,
                        format!(
                            "returned {} for turn {}; expected a number of seconds",
                            type_of(&other),
                            i + 1
                        ),
                    ));
                }
            }
        }
        Ok(Some(out))
    }

    fn validate_turns(
        &mut self,
        turns: &[Turn],
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<Vec<Vec<String>>>, HookError> {
        let Some(results) = self.each_turn("validate_turn", turns, ctx, rng)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(results.len());
        // One budget for the reasons of all the turns: one trip, one call.
        let mut left = MAX_REASONS;
        for (i, (first, second)) in results.into_iter().enumerate() {
            if first == Value::Boolean(true) && second == Value::Nil {
                out.push(Vec::new());
                continue;
            }
            let values = MultiValue::from_iter([first, second]);
            let reasons = verdict(&values, &mut left)
                .map_err(|m| self.error("validate_turn", ctx, format!("turn {}: {m}", i + 1)))?;
            out.push(reasons);
        }
        Ok(Some(out))
    }

    fn validate_conversation(
        &mut self,
        conv: &Conversation,
        ctx: &HookCtx,
        rng: &mut ConvRng,
    ) -> Result<Option<Vec<String>>, HookError> {
        const HOOK: &str = "validate_conversation";
        if !self.has(HOOK) {
            return Ok(None);
        }
        let table = {
            let _host = self.sandbox.host_side();
            self.tables.conversation(self.sandbox.lua(), conv)
        }
        .map_err(|e| self.lua_error(HOOK, ctx, e))?;
        let Some(values) = self.call(HOOK, ctx, Some(table), rng)? else {
            return Ok(None);
        };
        verdict(&values, &mut MAX_REASONS.clone())
            .map(Some)
            .map_err(|m| self.error(HOOK, ctx, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::ScenarioMode;
    use crate::generate::Sample;
    use crate::llm::MockGenerator;
    use crate::prompt::sha256_hex;
    use camino::Utf8Path;
    use std::collections::BTreeSet;

    const PROMPT: &str = "+++\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 4\n+++\nHola {{customer}}\n## Scenarios\n### a: A\n```toml\nweight = 2\ntone = \"x\"\n```\nt\n### b: B\nu\n";

    /// Records the keys of every table handed to Lua, by kind.
    const SPY: &str = r#"
SEEN = { ctx = {}, turn = {}, conv = {}, scenario = {}, prompt = {} }
local function keys(kind, t) for k in pairs(t) do SEEN[kind][k] = true end end
local function spy(ctx)
  keys("ctx", ctx); keys("prompt", ctx.prompt)
  for _, s in ipairs(ctx.scenarios) do keys("scenario", s) end
end
local M = {}
function M.select_scenario(ctx) spy(ctx) return "a" end
function M.variables(ctx) spy(ctx) return { customer = "Ana" } end
function M.turn_latency(turn, ctx) spy(ctx) keys("turn", turn) return 1 end
function M.validate_turn(turn, ctx) spy(ctx) keys("turn", turn) return true end
function M.validate_conversation(conv, ctx)
  spy(ctx) keys("conv", conv)
  for _, t in ipairs(conv.turns) do keys("turn", t) end
  return true
end
return M
"#;

    fn prompt() -> Prompt {
        crate::prompt::parse(Utf8Path::new("p.md"), PROMPT.as_bytes()).unwrap()
    }

    fn host(code: &str, p: &Prompt) -> ScriptHost {
        ScriptHost::load(
            &source(code),
            p,
            Limits::default(),
            Arc::new(crate::runlog::StderrLog),
        )
        .unwrap()
    }

    fn source(code: &str) -> ScriptSource {
        ScriptSource {
            path: "scripts/spy.lua".into(),
            bytes: code.as_bytes().into(),
            sha256: sha256_hex(code.as_bytes()),
        }
    }

    fn sample(p: &Prompt, mode: ScenarioMode) -> Sample<'_> {
        Sample {
            prompt: p,
            script: None,
            mode,
            seed: 7,
            start: chrono::Utc::now(),
            generator: &MockGenerator,
            max_attempts: 1,
        }
    }

    /// The `---@field` names of each `---@class` in the LuaLS stub.
    fn stub_classes() -> BTreeMap<String, BTreeSet<String>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/convgen.lua");
        let text = std::fs::read_to_string(path).expect("the LuaLS stub ships in scripts/");
        let mut classes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut current = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("---@class ") {
                let name = rest.split_whitespace().next().unwrap_or("").to_string();
                classes.entry(name.clone()).or_default();
                current = Some(name);
            } else if let Some(rest) = line.strip_prefix("---@field ") {
                if let (Some(c), Some(field)) = (&current, rest.split_whitespace().next()) {
                    let field = field.trim_end_matches('?').to_string();
                    classes.entry(c.clone()).or_default().insert(field);
                }
            } else if !line.starts_with("---") {
                current = None;
            }
        }
        classes
    }

    /// Runs the script's hooks on one sample conversation; its asserts must hold.
    fn runs_clean(code: &str) {
        let p = prompt();
        let mut host = host(code, &p);
        let conv = sample(&p, ScenarioMode::Weighted)
            .make(1, &mut host)
            .unwrap();
        assert!(conv.issues.is_empty(), "{:?}", conv.issues);
    }
    #[test]
    fn every_field_handed_to_lua_is_in_the_luals_stub() {
        let p = prompt();
        let mut host = host(SPY, &p);
        let sample = sample(&p, ScenarioMode::Script);
        let conv = sample.make(1, &mut host).unwrap();
        assert_eq!(
            conv.status,
            crate::conversation::Status::Valid,
            "{:?}",
            conv.issues
        );
        let seen: Table = host.sandbox.lua().globals().get("SEEN").unwrap();
        let classes = stub_classes();
        for (kind, class) in [
            ("ctx", "convgen.Ctx"),
            ("turn", "convgen.Turn"),
            ("conv", "convgen.Conversation"),
            ("scenario", "convgen.Scenario"),
            ("prompt", "convgen.PromptInfo"),
        ] {
            let fields = classes
                .get(class)
                .unwrap_or_else(|| panic!("no class {class} in the stub"));
            let keys: Table = seen.get(kind).unwrap();
            let mut n = 0;
            for pair in keys.pairs::<String, bool>() {
                let (key, _) = pair.unwrap();
                assert!(
                    fields.contains(&key),
                    "`{kind}.{key}` is handed to Lua but missing from {class} in scripts/convgen.lua"
                );
                n += 1;
            }
            assert!(n > 0, "no `{kind}` fields were seen");
        }
    }

    #[test]
    fn every_field_the_stub_promises_is_handed_to_lua() {
        // The other direction: what the stub and docs promise is there.
        let code = r#"
local M = {}
function M.variables(ctx)
  assert(type(ctx.conversation_id) == "string" and ctx.index == 1 and ctx.batch_index == 1)
  assert(ctx.mode == "weighted" and ctx.prompt.name == "p" and ctx.prompt.turns == 4)
  assert(ctx.prompt.roles[2] == "client" and ctx.prompt.language == "es")
  assert(#ctx.scenarios == 2 and ctx.scenarios[1].attrs.tone == "x" and ctx.scenarios[1].weight == 2)
  assert(ctx.scenario and ctx.scenario.id and ctx.scenario.text)
  assert(type(ctx.rng) == "userdata" and type(ctx.vars) == "table")
  assert(type(text.lower) == "function" and type(log.info) == "function" and type(print) == "function")
  return { customer = "Ana" }
end
function M.validate_conversation(conv, ctx)
  assert(conv.prompt.name == "p" and conv.prompt.id and conv.prompt.sha256 and conv.prompt.revision)
  assert(conv.roles[1] == "agent" and conv.scenario.id == ctx.scenario.id and conv.scenario.title)
  assert(conv.variables.customer == "Ana" and ctx.vars.customer == "Ana")
  assert(conv.generator.provider == "mock" and conv.generator.model and conv.generator.seed)
  assert(conv.usage.prompt_tokens and conv.usage.completion_tokens and conv.attempts == 1)
  assert(conv.status and conv.issues and conv.created_at and conv.schema_version)
  assert(conv.conversation_id == ctx.conversation_id and conv.index == 1 and conv.batch_id and conv.run_id)
  assert(conv.language == "es" and #conv.turns == 4 and conv.turns[4].latency_ms and conv.turns[4].timestamp)
  return true
end
return M
"#;
        runs_clean(code);
    }

    #[test]
    fn variables_must_be_plain_data_by_name() {
        let p = prompt();
        let vars = BTreeMap::new();
        let ctx = HookCtx {
            prompt: &p,
            index: 1,
            batch_index: 1,
            mode: &ScenarioMode::Weighted,
            scenario: None,
            vars: &vars,
            conversation_id: "c-1",
        };
        for (body, needle) in [
            (
                "return { customer = print }",
                "not plain data: `customer`: it holds a function",
            ),
            (
                "return { extra = { itens = { 'a', print } } }",
                "not plain data: `extra.itens[2]`: it holds a function",
            ),
            ("return { [1] = 'x' }", "returned a list"),
            (
                "return 'Ana'",
                "returned string; expected a table of variables",
            ),
            ("return { [true] = 'x' }", "a boolean key"),
        ] {
            let mut h = host(
                &format!("return {{ variables = function(ctx) {body} end }}"),
                &p,
            );
            let e = h.variables(&ctx, &mut ConvRng::new(1)).unwrap_err();
            assert!(e.to_string().contains(needle), "{body}: {e}");
            assert!(
                e.to_string().contains("hook `variables` failed for c-1"),
                "{e}"
            );
        }
        let mut h = host(
            "return { variables = function(ctx) return { customer = 'Ana', n = 2, tags = {'a'}, none = {} } end }",
            &p,
        );
        let got = h.variables(&ctx, &mut ConvRng::new(1)).unwrap().unwrap();
        assert_eq!(got["customer"], "Ana");
        assert_eq!(got["n"], 2);
        assert_eq!(got["tags"], serde_json::json!(["a"]));
        assert_eq!(got["none"], serde_json::json!({}));
    }

    #[test]
    fn hooks_see_rng_and_math_random_from_the_same_seeded_stream() {
        let code = "return { variables = function(ctx) return { customer = 'x', a = ctx.rng:int(1, 1000000), b = math.random(1, 1000000), f = ctx.rng:float(), c = ctx.rng:choice({'p','q'}), w = ctx.rng:weighted(ctx.scenarios, 'weight').id } end }";
        let p = prompt();
        let draw = || {
            let mut host = host(code, &p);
            let sample = sample(&p, ScenarioMode::Weighted);
            (
                sample.make(3, &mut host).unwrap().variables,
                sample.make(4, &mut host).unwrap().variables,
            )
        };
        let (a3, a4) = draw();
        let (b3, b4) = draw();
        assert_eq!(
            a3, b3,
            "same seed and index, same draws, whatever state ran it"
        );
        assert_eq!(a4, b4);
        assert_ne!(a3, a4, "other conversation, other draws");
        assert!(["a", "b"].contains(&a3["w"].as_str().unwrap()));
    }

    #[test]
    fn per_turn_hooks_answer_in_every_form() {
        // Latencies as integers and floats; verdicts as true, false + reason,
        // false + list, and a stray second value after a number.
        let code = r#"
local M = {}
function M.variables() return { customer = "Ana" } end
function M.turn_latency(turn) if turn.index % 2 == 0 then return 2 else return 0.5, "ignored" end end
function M.validate_turn(turn)
  if turn.index == 1 then return false, "uno" end
  if turn.index == 2 then return false, { "dos", "tres" } end
  return true
end
return M
"#;
        let p = prompt();
        let mut host = host(code, &p);
        let conv = sample(&p, ScenarioMode::Weighted)
            .make(1, &mut host)
            .unwrap();
        let lat: Vec<_> = conv.turns.iter().map(|t| t.latency_ms).collect();
        assert_eq!(lat, vec![Some(500), Some(2000), Some(500), Some(2000)]);
        assert_eq!(
            conv.issues,
            vec!["turn 1: uno", "turn 2: dos", "turn 2: tres"]
        );
        // A wrong type is an error naming the hook, the turn and the type.
        let bad = "return { variables = function() return { customer = 'Ana' } end, turn_latency = function(t) if t.index == 3 then return 'soon' end return 1 end }";
        let mut host = super::tests::host(bad, &p);
        let e = sample(&p, ScenarioMode::Weighted)
            .make(1, &mut host)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("hook `turn_latency`") && e.contains("returned string for turn 3"),
            "{e}"
        );
    }

    #[test]
    fn tables_kept_from_an_earlier_conversation_stay_plain_tables() {
        // The script keeps the first conversation's turn and conversation
        // tables and reads them in the next one: they still hold what they held.
        let code = r#"
local kept_turn, kept_conv
local M = {}
function M.variables() return { customer = "Ana" } end
function M.validate_turn(turn, ctx)
  if ctx.index == 1 and turn.index == 1 then kept_turn = turn end
  if ctx.index == 2 and turn.index == 1 then
    assert(kept_turn ~= turn, "a new conversation, new turn tables")
    assert(kept_turn.role == "agent" and type(kept_turn.text) == "string")
  end
  return true
end
function M.validate_conversation(conv, ctx)
  if ctx.index == 1 then kept_conv = conv; return true end
  assert(kept_conv.index == 1 and kept_conv.turns[1] == kept_turn and kept_conv.status)
  return true
end
return M
"#;
        let p = prompt();
        let mut host = host(code, &p);
        let sample = sample(&p, ScenarioMode::Weighted);
        assert!(sample.make(1, &mut host).unwrap().issues.is_empty());
        let conv = sample.make(2, &mut host).unwrap();
        assert!(conv.issues.is_empty(), "{:?}", conv.issues);
    }

    #[test]
    fn a_conversations_hooks_share_its_turn_tables() {
        let code = r#"
local seen = {}
local M = {}
function M.variables() return { customer = "Ana" } end
function M.turn_latency(turn, ctx)
  assert(turn.timestamp == nil and turn.latency_ms == nil)
  seen[turn.index] = turn
  return 1
end
function M.validate_turn(turn, ctx)
  assert(seen[turn.index] == turn, "validate_turn gets turn_latency's table")
  assert(turn.latency_ms == 1000 and type(turn.timestamp) == "string", "retimed")
  return true
end
function M.validate_conversation(conv, ctx)
  for i, t in ipairs(conv.turns) do assert(seen[i] == t, "conv.turns are the same tables") end
  return true
end
return M
"#;
        runs_clean(code);
    }
}
