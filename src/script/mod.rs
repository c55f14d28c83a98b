//! Lua scripts: the domain expert's hooks, and QA audit scripts (SPEC §3).
//!
//! A script is loaded once per worker into its own sandboxed state and
//! returns a table of optional hooks. The layout follows wezterm's Lua API
//! crates and yazi's plugin host:
//! - [`sandbox`] only fences: which libraries a state has, the instruction
//!   budget, the memory limit and the wall-clock watchdog;
//! - one module per Lua-facing concept, each with one `register` function:
//!   `rng` (`ctx.rng`, `math.random`), `log` (`print`, `log.*`),
//!   `text` (the `text` table, over the plain functions of `words`),
//!   `ctx` and `conversation` (the tables hooks receive); `plain`
//!   carries plain data across (JSON in, script results out, read raw);
//! - `host`: [`ScriptHost`] implements [`crate::hooks::Hooks`] with
//!   whichever hooks the script defines, the core's defaults covering the
//!   rest; `audit`: [`AuditScript`] runs QA audit scripts.
//!
//! Everything here is mlua's safe API: speed never justifies `unsafe` in
//! the sandbox that runs other people's scripts (SPEC §10).

#![forbid(unsafe_code)]

mod audit;
mod conversation;
mod ctx;
mod host;
mod isolation;
mod log;
mod plain;
mod rng;
pub mod sandbox;
mod text;
pub mod words;

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::Utf8PathBuf;
use mlua::{AnyUserData, Function, MultiValue, Value};

pub use audit::{AuditResult, AuditScript};
pub use host::ScriptHost;

use crate::conversation::{ScenarioMode, ScriptRef};
use crate::hooks::Hooks;
use crate::prompt::Prompt;
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
    /// The lineage reference artefacts carry.
    pub fn to_ref(&self) -> ScriptRef {
        ScriptRef {
            path: self.path.to_string(),
            sha256: self.sha256.clone(),
        }
    }
}

/// A size limit as messages and docs give it: `1 MiB`, `256 KiB`, `100 bytes`.
pub fn size_text(bytes: usize) -> String {
    match bytes {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// The name of a scenario mode as scripts see it.
pub fn mode_name(mode: &ScenarioMode) -> &'static str {
    match mode {
        ScenarioMode::Fixed(_) => "fixed",
        ScenarioMode::Random => "random",
        ScenarioMode::Weighted => "weighted",
        ScenarioMode::Script => "script",
        ScenarioMode::Ingested => "ingested",
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

/// The most reason text one hook call may return (for `validate_turn`, on
/// all the turns of a conversation together): 256 KiB. Reasons go into the
/// conversation's file, its preview and the registry; each counts its
/// length plus 16 bytes, so a million empty reasons are refused as well.
pub const MAX_REASONS: usize = 256 << 10;

/// Reads `true` | `false, "reason"` | `false, {reasons}` into a list of
/// reasons, taking their size from `left` (see [`MAX_REASONS`]).
pub fn verdict(values: &MultiValue, left: &mut usize) -> Result<Vec<String>, String> {
    let mut take = |s: &mlua::LuaString| match left.checked_sub(s.as_bytes().len() + 16) {
        Some(rest) => {
            *left = rest;
            Ok(s.to_string_lossy())
        }
        None => Err(format!(
            "returned reasons over {} in all (the limit for one call); give shorter reasons",
            size_text(MAX_REASONS)
        )),
    };
    match values.front() {
        Some(Value::Boolean(true)) => Ok(Vec::new()),
        Some(Value::Boolean(false)) => match values.get(1) {
            None | Some(Value::Nil) => Ok(vec!["rejected (no reason given)".into()]),
            Some(Value::String(s)) => Ok(vec![take(s)?]),
            Some(Value::Table(t)) => {
                let mut reasons = Vec::new();
                for v in t.sequence_values::<Value>() {
                    match v.map_err(|e| e.to_string())? {
                        Value::String(s) => reasons.push(take(&s)?),
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
                if let Some(close) = crate::suggest::closest(&name, known) {
                    return Err(format!(
                        "{script}: the script defines `{name}`, which is not a hook; did you mean `{close}`?"
                    ));
                }
            }
        }
    }
    Ok(hooks)
}

/// What the convgen API hands the hosts: the `ctx.rng` handle.
struct Api {
    rng: AnyUserData,
}

/// Installs the convgen API in a fresh sandbox, one `register` per concept
/// (`ctx` and `conversation` tables are built by the hosts, per prompt).
fn register(sandbox: &Sandbox, log: Arc<dyn LogSink>) -> mlua::Result<Api> {
    let lua = sandbox.lua();
    let rng = rng::register(lua)?;
    log::register(lua, &sandbox.script, log, sandbox.origin())?;
    text::register(lua)?;
    Ok(Api { rng })
}

/// A script loaded into a fresh sandbox: the state, the API handles, the
/// hooks it returned, and the baseline each conversation starts from.
struct Loaded {
    sandbox: Sandbox,
    api: Api,
    hooks: BTreeMap<&'static str, Function>,
    baseline: isolation::Baseline,
}

/// Runs a script in a fresh sandbox and reads the functions it returns.
fn load_module(
    source: &ScriptSource,
    limits: Limits,
    log: Arc<dyn LogSink>,
    known: &[&'static str],
) -> Result<Loaded, String> {
    let script = source.path.to_string();
    let sandbox = Sandbox::new(&script, limits).map_err(|LuaFailure(m)| m)?;
    let setup = |e: mlua::Error| format!("{script}: cannot set up the Lua sandbox: {e}");
    let api = register(&sandbox, log).map_err(setup)?;
    let shared = isolation::shared(sandbox.lua()).map_err(setup)?;
    let module = sandbox
        .load(&source.bytes)
        .map_err(|LuaFailure(m)| with_script(&script, m))?;
    let hooks = read_module(&script, module, known)?;
    let baseline = {
        let _host = sandbox.host_side();
        shared.record(sandbox.lua())
    }
    .map_err(setup)?;
    Ok(Loaded {
        sandbox,
        api,
        hooks,
        baseline,
    })
}

/// Puts the state back as the script left it when it loaded, before a new
/// conversation's first hook (see [`isolation`]).
fn restore(
    sandbox: &Sandbox,
    baseline: &isolation::Baseline,
    conversation_id: &str,
) -> Result<(), String> {
    let _host = sandbox.host_side();
    sandbox
        .run(
            format_args!(
                "{}: restoring the state for {conversation_id}",
                sandbox.script
            ),
            |_| baseline.restore(),
        )
        .map_err(|LuaFailure(m)| m)
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
        // One bound on what all the run's states log.
        let log = log::capped(log);
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

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Lua;

    #[test]
    fn verdicts_follow_the_return_convention() {
        let lua = Lua::new();
        let eval = |code: &str| -> Result<Vec<String>, String> {
            let values: MultiValue = lua.load(code).eval().unwrap();
            verdict(&values, &mut MAX_REASONS.clone())
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
        for (code, needle) in [
            ("return 'yes'", "returned string"),
            ("return nil", "returned nil"),
            ("return false, {1}", "reasons must be strings"),
            ("return false, 3", "returned false and a"),
            (
                "local r = string.rep('x', 1000) local t = {} for i = 1, 300 do t[i] = r end return false, t",
                "returned reasons over 256 KiB in all",
            ),
            (
                "local t = {} for i = 1, 20000 do t[i] = '' end return false, t",
                "returned reasons over 256 KiB",
            ),
        ] {
            let e = eval(code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
    }
}
