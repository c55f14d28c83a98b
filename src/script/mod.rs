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
mod log;
mod plain;
mod rng;
pub mod sandbox;
mod text;
pub mod words;

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use mlua::{AnyUserData, Function, MultiValue, Value};

pub use audit::{AuditResult, AuditScript};
pub use host::ScriptHost;

use crate::conversation::{ScenarioMode, ScriptRef};
use crate::hooks::Hooks;
use crate::prompt::{Prompt, sha256_hex};
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

/// Runs a script in a fresh sandbox and reads the functions it returns.
fn load_module(
    source: &ScriptSource,
    limits: Limits,
    log: Arc<dyn LogSink>,
    known: &[&'static str],
) -> Result<(Sandbox, Api, BTreeMap<&'static str, Function>), String> {
    let script = source.path.to_string();
    let sandbox = Sandbox::new(&script, limits).map_err(|LuaFailure(m)| m)?;
    let api = register(&sandbox, log)
        .map_err(|e| format!("{script}: cannot set up the Lua sandbox: {e}"))?;
    let module = sandbox
        .load(&source.bytes)
        .map_err(|LuaFailure(m)| with_script(&script, m))?;
    let hooks = read_module(&script, module, known)?;
    Ok((sandbox, api, hooks))
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
        for (code, needle) in [
            ("return 'yes'", "returned string"),
            ("return nil", "returned nil"),
            ("return false, {1}", "reasons must be strings"),
            ("return false, 3", "returned false and a"),
        ] {
            let e = eval(code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
    }
}
