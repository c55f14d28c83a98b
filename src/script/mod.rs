//! Lua scripts: the domain expert's hooks, and QA audit scripts (SPEC §3).
//!
//! A script is loaded once per worker into its own sandboxed state
//! ([`sandbox`]) and returns a table of optional hooks. [`ScriptHost`] fills
//! the [`Hooks`] seam with whichever hooks the script defines; the core's
//! defaults cover the rest. Return values are checked strictly: a hook that
//! returns the wrong type is an error naming the hook and the type received.

pub mod api;
mod marshal;
pub mod sandbox;
pub mod text;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use mlua::{Function, Lua, LuaSerdeExt, MultiValue, Table, Value};
use serde::Serialize;

use crate::conversation::{Conversation, ScenarioMode, ScriptRef, Turn};
use crate::hooks::{HookCtx, HookError, Hooks};
use crate::prompt::{Prompt, Scenario, sha256_hex};
use crate::rng::ConvRng;
use sandbox::{Limits, LogSink, LuaFailure, Sandbox};

/// The hooks a generation script may define.
pub const HOOKS: &[&str] = &[
    "select_scenario",
    "variables",
    "turn_latency",
    "validate_turn",
    "validate_conversation",
];

/// A script's bytes and where they came from.
#[derive(Debug, Clone)]
pub struct ScriptSource {
    /// The path as shown in messages and recorded in artefacts.
    pub path: Utf8PathBuf,
    pub bytes: Arc<[u8]>,
    pub sha256: String,
}

impl ScriptSource {
    /// Reads a script file.
    pub fn read(path: &Utf8Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("{path}: cannot read the script: {e}"))?;
        Ok(Self {
            path: path.to_owned(),
            sha256: sha256_hex(&bytes),
            bytes: bytes.into(),
        })
    }

    /// The lineage reference artefacts carry.
    pub fn to_ref(&self) -> ScriptRef {
        ScriptRef {
            path: self.path.to_string(),
            sha256: self.sha256.clone(),
        }
    }
}

/// Finds the script paired with a prompt: the front matter's `script` (relative
/// to the working dir, else to the prompt's folder), else `<scripts dir>/<stem>.lua`.
pub fn discover(prompt: &Prompt, scripts_dir: &Utf8Path) -> Result<Option<Utf8PathBuf>, String> {
    if let Some(named) = &prompt.script {
        let direct = Utf8PathBuf::from(named);
        if direct.is_file() {
            return Ok(Some(direct));
        }
        if let Some(dir) = prompt.path.parent() {
            let beside = dir.join(named);
            if beside.is_file() {
                return Ok(Some(beside));
            }
        }
        return Err(format!(
            "{}: front matter names script `{named}`, which does not exist",
            prompt.path
        ));
    }
    let stem = prompt.path.file_stem().unwrap_or(&prompt.name);
    let paired = scripts_dir.join(format!("{stem}.lua"));
    Ok(paired.is_file().then_some(paired))
}

/// The name of a scenario mode as scripts see it.
pub fn mode_name(mode: &ScenarioMode) -> &'static str {
    match mode {
        ScenarioMode::Fixed(_) => "fixed",
        ScenarioMode::Random => "random",
        ScenarioMode::Weighted => "weighted",
        ScenarioMode::Script => "script",
    }
}

fn lua_type(values: &MultiValue) -> String {
    values.front().map_or_else(|| "nil".into(), type_of)
}

fn type_of(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        v => v.type_name().to_string(),
    }
}

/// Reads `true` | `false, "reason"` | `false, {reasons}` into a list of reasons.
pub fn verdict(values: &MultiValue) -> Result<Vec<String>, String> {
    match values.front() {
        Some(Value::Boolean(true)) => Ok(Vec::new()),
        Some(Value::Boolean(false)) => match values.get(1) {
            None | Some(Value::Nil) => Ok(vec!["rejected (no reason given)".into()]),
            Some(Value::String(s)) => Ok(vec![s.to_string_lossy()]),
            Some(Value::Table(t)) => {
                let mut reasons = Vec::new();
                for v in t.sequence_values::<Value>() {
                    match v.map_err(|e| e.to_string())? {
                        Value::String(s) => reasons.push(s.to_string_lossy()),
                        other => {
                            return Err(format!(
                                "returned false and a list holding a {}; reasons must be strings",
                                other.type_name()
                            ));
                        }
                    }
                }
                if reasons.is_empty() {
                    reasons.push("rejected (no reason given)".into());
                }
                Ok(reasons)
            }
            Some(other) => Err(format!(
                "returned false and a {}; give a reason string or a list of them",
                other.type_name()
            )),
        },
        _ => Err(format!(
            "returned {}; expected true, or false and a reason",
            lua_type(values)
        )),
    }
}

/// Builds the Lua tables the hooks receive; shared parts are built once per state.
struct Tables {
    prompt: Table,
    scenarios: Table,
    /// Each scenario's table, by catalog position.
    scenario: Vec<Table>,
    rng: mlua::AnyUserData,
}

fn to_lua<T: Serialize + ?Sized>(lua: &Lua, value: &T) -> mlua::Result<Value> {
    lua.to_value_with(
        value,
        mlua::serde::SerializeOptions::new().serialize_none_to_null(false),
    )
}

impl Tables {
    fn new(lua: &Lua, prompt: &Prompt, rng: mlua::AnyUserData) -> mlua::Result<Self> {
        let p = lua.create_table()?;
        p.set("name", prompt.name.as_str())?;
        p.set("title", prompt.title.as_str())?;
        p.set("language", prompt.language.as_str())?;
        p.set(
            "roles",
            lua.create_sequence_from(prompt.roles.iter().map(String::as_str))?,
        )?;
        p.set("turns", prompt.turns)?;
        let scenarios = lua.create_table()?;
        let mut scenario = Vec::with_capacity(prompt.scenarios.len());
        for (i, s) in prompt.scenarios.iter().enumerate() {
            let t = lua.create_table()?;
            t.set("id", s.id.as_str())?;
            t.set("title", s.title.as_str())?;
            t.set("weight", s.weight)?;
            t.set("attrs", to_lua(lua, &s.attrs)?)?;
            t.set("text", s.text.as_str())?;
            scenarios.raw_set(i + 1, t.clone())?;
            scenario.push(t);
        }
        Ok(Self {
            prompt: p,
            scenarios,
            scenario,
            rng,
        })
    }

    fn scenario_table(&self, prompt: &Prompt, s: &Scenario) -> Option<Table> {
        prompt
            .scenarios
            .iter()
            .position(|x| x.id == s.id)
            .and_then(|i| self.scenario.get(i).cloned())
    }
}

/// The per-conversation ctx table, reused across one conversation's hook calls.
struct CurrentCtx {
    conversation_id: String,
    table: Table,
    has_scenario: bool,
    has_vars: bool,
}

/// A script loaded into one sandboxed state, implementing the hooks it defines.
pub struct ScriptHost {
    sandbox: Sandbox,
    prompt: Prompt,
    hooks: BTreeMap<&'static str, Function>,
    tables: Tables,
    current: Option<CurrentCtx>,
    views: views::Views,
}

/// The script's returned table, checked: hooks are functions, and names close
/// to a hook's are refused as typos.
fn read_module(
    script: &str,
    value: Value,
    known: &[&'static str],
) -> Result<BTreeMap<&'static str, Function>, String> {
    let Value::Table(module) = value else {
        return Err(format!(
            "{script}: the script must end with `return` and a table of hooks (it returned {})",
            value.type_name()
        ));
    };
    let mut hooks = BTreeMap::new();
    for pair in module.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| format!("{script}: {e}"))?;
        let Value::String(name) = &k else { continue };
        let name = name.to_string_lossy();
        match known.iter().find(|h| **h == name) {
            Some(hook) => match v {
                Value::Function(f) => {
                    hooks.insert(*hook, f);
                }
                other => {
                    return Err(format!(
                        "{script}: `{name}` must be a function, it is a {}",
                        other.type_name()
                    ));
                }
            },
            None => {
                if let Some(close) = known.iter().find(|h| near(&name, h)) {
                    return Err(format!(
                        "{script}: the script defines `{name}`, which is not a hook; did you mean `{close}`?"
                    ));
                }
            }
        }
    }
    Ok(hooks)
}

/// True when two names are within two edits (typos), but not equal.
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

/// Runs a script in a fresh sandbox and reads the functions it returns.
fn load_module(
    source: &ScriptSource,
    limits: Limits,
    log: Arc<dyn LogSink>,
    known: &[&'static str],
) -> Result<(Sandbox, BTreeMap<&'static str, Function>), String> {
    let script = source.path.to_string();
    let sandbox = Sandbox::new(&script, limits, log).map_err(|LuaFailure(m)| m)?;
    let module = sandbox
        .load(&source.bytes)
        .map_err(|LuaFailure(m)| with_script(&script, m))?;
    let hooks = read_module(&script, module, known)?;
    Ok((sandbox, hooks))
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
        let (sandbox, hooks) = load_module(source, limits, log, HOOKS)?;
        let tables = Tables::new(sandbox.lua(), prompt, sandbox.rng_handle())
            .map_err(|e| format!("{script}: {e}"))?;
        let views = views::Views::new(sandbox.lua()).map_err(|e| format!("{script}: {e}"))?;
        Ok(Self {
            sandbox,
            prompt: prompt.clone(),
            hooks,
            tables,
            current: None,
            views,
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

    /// The ctx table for this call, kept in step with what the core knows:
    /// built once per conversation, then given its scenario and variables
    /// as they are chosen.
    fn ctx_table(&mut self, hook: &'static str, ctx: &HookCtx) -> Result<Table, HookError> {
        let _unguarded = self.sandbox.host_side();
        let lua = self.sandbox.lua();
        let fresh = self
            .current
            .as_ref()
            .is_none_or(|c| c.conversation_id != ctx.conversation_id);
        if fresh {
            let scenario = ctx
                .scenario
                .and_then(|s| self.tables.scenario_table(&self.prompt, s));
            let fields = marshal::CtxFields {
                index: ctx.index,
                batch_index: ctx.batch_index,
                mode: mode_name(ctx.mode),
                conversation_id: ctx.conversation_id,
                vars: ctx.vars,
            };
            let t = &self.tables;
            let table = marshal::ctx(
                lua,
                &t.prompt,
                &t.scenarios,
                &t.rng,
                scenario.as_ref(),
                &fields,
            )
            .map_err(|e| self.lua_error(hook, ctx, e))?;
            self.current = Some(CurrentCtx {
                conversation_id: ctx.conversation_id.to_string(),
                table,
                has_scenario: ctx.scenario.is_some(),
                has_vars: !ctx.vars.is_empty(),
            });
        }
        let Some(current) = self.current.as_ref() else {
            unreachable!("set above")
        };
        let (table, has_scenario, has_vars) = (
            current.table.clone(),
            current.has_scenario,
            current.has_vars,
        );
        if let (Some(s), false) = (ctx.scenario, has_scenario) {
            let s = self.tables.scenario_table(&self.prompt, s);
            table
                .raw_set("scenario", s)
                .map_err(|e| self.lua_error(hook, ctx, e))?;
        }
        if !ctx.vars.is_empty() && !has_vars {
            let vars = marshal::map(lua, ctx.vars).map_err(|e| self.lua_error(hook, ctx, e))?;
            table
                .raw_set("vars", vars)
                .map_err(|e| self.lua_error(hook, ctx, e))?;
        }
        if let Some(c) = self.current.as_mut() {
            c.has_scenario |= ctx.scenario.is_some();
            c.has_vars |= !ctx.vars.is_empty();
        }
        Ok(table)
    }

    /// Runs a per-turn hook (when defined) over every turn in one trip;
    /// returns each turn's first and second return values.
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
        let numbers = hook == "turn_latency";
        let quick = self
            .views
            .each_turn(
                &self.sandbox,
                format_args!(
                    "{}: hook `{hook}` for {}",
                    self.sandbox.script, ctx.conversation_id
                ),
                &f,
                &ctx_table,
                ctx.conversation_id,
                turns,
                numbers,
                rng,
            )
            .map_err(|LuaFailure(m)| {
                self.error(hook, ctx, strip_script(&self.sandbox.script, m))
            })?;
        let mut out = Vec::with_capacity(quick.len());
        for (i, q) in quick.into_iter().enumerate() {
            out.push(match q {
                views::Quick::True => (Value::Boolean(true), Value::Nil),
                views::Quick::Number(n) => (Value::Number(n), Value::Nil),
                views::Quick::Other => self
                    .views
                    .other(i)
                    .map_err(|e| self.lua_error(hook, ctx, e))?,
            });
        }
        Ok(Some(out))
    }

    /// Calls `hook` (when defined) with `args` followed by ctx.
    fn call(
        &mut self,
        hook: &'static str,
        ctx: &HookCtx,
        first: Option<Value>,
        rng: &mut ConvRng,
    ) -> Result<Option<MultiValue>, HookError> {
        let Some(f) = self.hooks.get(hook).cloned() else {
            return Ok(None);
        };
        let ctx_table = self.ctx_table(hook, ctx)?;
        let mut args = MultiValue::new();
        if let Some(v) = first {
            args.push_back(v);
        }
        args.push_back(Value::Table(ctx_table));
        let label = format_args!(
            "{}: hook `{hook}` for {}",
            self.sandbox.script, ctx.conversation_id
        );
        self.sandbox
            .call(label, &f, args, rng)
            .map(Some)
            .map_err(|LuaFailure(m)| self.error(hook, ctx, strip_script(&self.sandbox.script, m)))
    }
}

/// Error text already starting with `script:` loses that prefix (HookError adds it).
fn strip_script(script: &str, m: String) -> String {
    m.strip_prefix(script)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(|rest| format!("line {}", rest.trim_start()))
        .unwrap_or(m)
}

/// Prefixes a message with the script path unless it already names it.
fn with_script(script: &str, m: String) -> String {
    if m.starts_with(script) {
        m
    } else {
        format!("{script}: {m}")
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
        match values.front() {
            Some(Value::String(s)) => Ok(Some(s.to_string_lossy())),
            Some(Value::Table(t)) => match t.get::<Value>("id") {
                Ok(Value::String(s)) => Ok(Some(s.to_string_lossy())),
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
        let plain = match values.front() {
            Some(v @ Value::Table(_)) => {
                let _unguarded = self.sandbox.host_side();
                marshal::read_plain(self.sandbox.lua(), v)
                    .map_err(|e| self.lua_error("variables", ctx, e))?
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
        match plain {
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
        for (first, second) in results {
            if first == Value::Boolean(true) && second == Value::Nil {
                out.push(Vec::new());
                continue;
            }
            let values = MultiValue::from_iter([first, second]);
            out.push(verdict(&values).map_err(|m| self.error("validate_turn", ctx, m))?);
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
        let Some(f) = self.hooks.get(HOOK).cloned() else {
            return Ok(None);
        };
        let ctx_table = self.ctx_table(HOOK, ctx)?;
        let table = {
            let _unguarded = self.sandbox.host_side();
            let lua = self.sandbox.lua().clone();
            self.views.conversation(&lua, conv)
        }
        .map_err(|e| self.lua_error(HOOK, ctx, e))?;
        let values: MultiValue = {
            let _lent = self.views.lend(&conv.turns, Some(conv));
            self.sandbox.call(
                format_args!(
                    "{}: hook `{HOOK}` for {}",
                    self.sandbox.script, ctx.conversation_id
                ),
                &f,
                (table, ctx_table),
                rng,
            )
        }
        .map_err(|LuaFailure(m)| self.error(HOOK, ctx, strip_script(&self.sandbox.script, m)))?;
        verdict(&values)
            .map(Some)
            .map_err(|m| self.error(HOOK, ctx, m))
    }
}

/// Makes one [`ScriptHost`] per worker from a script loaded and checked once.
pub struct ScriptFactory {
    pub source: ScriptSource,
    prompt: Prompt,
    limits: Limits,
    log: Arc<dyn LogSink>,
    defined: Vec<&'static str>,
}

impl ScriptFactory {
    /// Loads the script once to check it, and remembers which hooks it defines.
    pub fn new(
        source: ScriptSource,
        prompt: &Prompt,
        limits: Limits,
        log: Arc<dyn LogSink>,
    ) -> Result<Self, String> {
        let probe = ScriptHost::load(&source, prompt, limits, log.clone())?;
        let defined = probe.defined();
        Ok(Self {
            source,
            prompt: prompt.clone(),
            limits,
            log,
            defined,
        })
    }

    /// The hooks the script defines.
    pub fn defined(&self) -> &[&'static str] {
        &self.defined
    }

    /// True when the script defines `hook`.
    pub fn has(&self, hook: &str) -> bool {
        self.defined.contains(&hook)
    }

    /// A fresh host for one worker.
    pub fn load_host(&self) -> Result<ScriptHost, String> {
        ScriptHost::load(&self.source, &self.prompt, self.limits, self.log.clone())
    }
}

impl crate::generate::HostFactory for ScriptFactory {
    fn host(&self) -> Result<Box<dyn Hooks>, crate::generate::GenerateError> {
        self.load_host()
            .map(|h| Box::new(h) as Box<dyn Hooks>)
            .map_err(crate::generate::GenerateError::Plan)
    }
}

/// One conversation's outcome in an audit script, as `summary(results)` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditResult {
    pub conversation_id: String,
    pub ok: bool,
    pub reasons: Vec<String>,
}

/// A QA audit script: `check(conv, ctx)` and an optional `summary(results)`.
pub struct AuditScript {
    sandbox: Sandbox,
    views: views::Views,
    check: Function,
    summary: Option<Function>,
    tables: BTreeMap<String, Tables>,
}

impl AuditScript {
    /// Loads an audit script.
    pub fn load(
        source: &ScriptSource,
        limits: Limits,
        log: Arc<dyn LogSink>,
    ) -> Result<Self, String> {
        let script = source.path.to_string();
        let (sandbox, mut hooks) = load_module(source, limits, log, &["check", "summary"])?;
        let check = hooks.remove("check").ok_or_else(|| {
            format!("{script}: an audit script must return a table with a `check` function")
        })?;
        let views = views::Views::new(sandbox.lua()).map_err(|e| format!("{script}: {e}"))?;
        Ok(Self {
            sandbox,
            views,
            check,
            summary: hooks.remove("summary"),
            tables: BTreeMap::new(),
        })
    }

    /// Runs `check` on one conversation; returns its reasons (empty: passed).
    pub fn check(
        &mut self,
        conv: &Conversation,
        prompt: &Prompt,
        batch_index: u32,
        mode: &ScenarioMode,
    ) -> Result<Vec<String>, String> {
        let script = self.sandbox.script.clone();
        let fail =
            |m: String| format!("{script}: `check` failed for {}: {m}", conv.conversation_id);
        let lua = self.sandbox.lua();
        if !self.tables.contains_key(&prompt.sha256) {
            let t = Tables::new(lua, prompt, self.sandbox.rng_handle())
                .map_err(|e| fail(e.to_string()))?;
            self.tables.insert(prompt.sha256.clone(), t);
        }
        let tables = &self.tables[&prompt.sha256];
        let views = &mut self.views;
        let mut build = || -> mlua::Result<(Table, Table)> {
            let _unguarded = self.sandbox.host_side();
            let c = views.conversation(lua, conv)?;
            let scenario = prompt
                .scenario(&conv.scenario.id)
                .and_then(|s| tables.scenario_table(prompt, s));
            let fields = marshal::CtxFields {
                index: conv.index,
                batch_index,
                mode: mode_name(mode),
                conversation_id: &conv.conversation_id,
                vars: &conv.variables,
            };
            let ctx = marshal::ctx(
                lua,
                &tables.prompt,
                &tables.scenarios,
                &tables.rng,
                scenario.as_ref(),
                &fields,
            )?;
            Ok((c, ctx))
        };
        let (c, ctx) = build().map_err(|e| fail(e.to_string()))?;
        let mut rng = ConvRng::new(conv.generator.seed);
        let args = MultiValue::from_iter([Value::Table(c), Value::Table(ctx)]);
        let values = {
            let _lent = self.views.lend(&conv.turns, Some(conv));
            self.sandbox.call(
                format_args!("{script}: `check` for {}", conv.conversation_id),
                &self.check,
                args,
                &mut rng,
            )
        }
        .map_err(|LuaFailure(m)| fail(m))?;
        verdict(&values).map_err(fail)
    }

    /// Runs `summary(results)` when defined; returns its text.
    pub fn summary(&mut self, results: &[AuditResult]) -> Result<Option<String>, String> {
        let Some(f) = self.summary.clone() else {
            return Ok(None);
        };
        let script = self.sandbox.script.clone();
        let lua = self.sandbox.lua();
        let arg = serde_json::to_value(results)
            .map_err(mlua::Error::external)
            .and_then(|json| {
                let _unguarded = self.sandbox.host_side();
                marshal::json(lua, &json)
            })
            .map_err(|e| format!("{script}: `summary`: {e}"))?;
        let mut rng = ConvRng::new(0);
        let values: MultiValue = self
            .sandbox
            .call(
                format_args!("{script}: `summary`"),
                &f,
                MultiValue::from_iter([arg]),
                &mut rng,
            )
            .map_err(|LuaFailure(m)| format!("{script}: `summary` failed: {m}"))?;
        match values.front() {
            None | Some(Value::Nil) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string_lossy())),
            Some(v) => {
                let json = {
                    let _unguarded = self.sandbox.host_side();
                    marshal::read_plain(lua, v).map_err(|e| format!("{script}: `summary`: {e}"))?
                };
                let json = json.map_err(|why| {
                    format!("{script}: `summary` returned a value that is not plain data: {why}")
                })?;
                Ok(Some(json.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Sample;
    use crate::llm::MockGenerator;
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
            Arc::new(sandbox::StderrLog),
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
    fn tables_kept_from_an_earlier_conversation_say_so() {
        // The script keeps the first conversation's turn and conversation
        // tables; in the next conversation it reads fields it never read.
        let code = r#"
local kept_turn, kept_conv
local M = {}
function M.variables() return { customer = "Ana" } end
function M.validate_turn(turn, ctx)
  if ctx.index == 1 and turn.index == 1 then kept_turn = turn; local _ = turn.text end
  if ctx.index == 2 and turn.index == 1 then
    assert(kept_turn.text ~= nil, "fields read before stay")
    return kept_turn.role
  end
  return true
end
function M.validate_conversation(conv, ctx)
  if ctx.index == 1 then kept_conv = conv; return true end
  return kept_conv.status
end
return M
"#;
        let p = prompt();
        let mut host = host(code, &p);
        let sample = sample(&p, ScenarioMode::Weighted);
        assert!(sample.make(1, &mut host).unwrap().issues.is_empty());
        let e = sample.make(2, &mut host).unwrap_err().to_string();
        assert!(e.contains("hook `validate_turn`"), "{e}");
        assert!(e.contains("line 9:"), "names the script line: {e}");
        assert!(
            e.contains("a turn table can only be read while the hooks of its own conversation run"),
            "{e}"
        );
        let keep_conv = code.replace("return kept_turn.role", "return true");
        let mut host = super::tests::host(&keep_conv, &p);
        assert!(sample.make(1, &mut host).is_ok());
        let e = sample.make(2, &mut host).unwrap_err().to_string();
        assert!(
            e.contains("hook `validate_conversation`") && e.contains("line 15:"),
            "{e}"
        );
        assert!(
            e.contains("a conversation table can only be read while the hook"),
            "{e}"
        );
    }

    #[test]
    fn verdicts_follow_the_return_convention() {
        let lua = Lua::new();
        let eval = |code: &str| -> Result<Vec<String>, String> {
            let values: MultiValue = lua.load(code).eval().unwrap();
            verdict(&values)
        };
        assert_eq!(eval("return true"), Ok(vec![]));
        assert_eq!(eval("return false, 'r'"), Ok(vec!["r".to_string()]));
        assert_eq!(
            eval("return false, {'a', 'b'}"),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            eval("return false"),
            Ok(vec!["rejected (no reason given)".to_string()])
        );
        assert!(
            eval("return 'yes'")
                .unwrap_err()
                .contains("returned string")
        );
        assert!(eval("return nil").unwrap_err().contains("returned nil"));
        assert!(
            eval("return false, {1}")
                .unwrap_err()
                .contains("reasons must be strings")
        );
        assert!(
            eval("return false, 3")
                .unwrap_err()
                .contains("returned false and a")
        );
    }
}
