//! [`AuditScript`]: a QA audit script in its sandbox: `check(conv, ctx)` on
//! conversations already on disk, and an optional `summary(results)`.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlua::{AnyUserData, Function, MultiValue, Value};
use serde::Serialize;

use super::sandbox::{Limits, LogSink, LuaFailure, Sandbox};
use super::{
    Loaded, MAX_REASONS, ScriptSource, conversation, ctx, isolation, load_module, mode_name, plain,
    restore, rng, verdict,
};
use crate::conversation::{Conversation, ScenarioMode};
use crate::prompt::Prompt;
use crate::rng::ConvRng;

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
    rng: AnyUserData,
    tables: conversation::Tables,
    check: Function,
    summary: Option<Function>,
    baseline: isolation::Baseline,
    /// The strings ctx tables are built from, per prompt, by prompt sha256.
    shared: BTreeMap<String, ctx::Shared>,
}

impl AuditScript {
    /// Loads an audit script.
    pub fn load(
        source: &ScriptSource,
        limits: Limits,
        log: Arc<dyn LogSink>,
    ) -> Result<Self, String> {
        let script = source.path.to_string();
        let Loaded {
            sandbox,
            api,
            mut hooks,
            baseline,
        } = load_module(
            source,
            limits,
            super::log::capped(log),
            &["check", "summary"],
        )?;
        let check = hooks.remove("check").ok_or_else(|| {
            format!("{script}: an audit script must return a table with a `check` function")
        })?;
        let tables = conversation::register(sandbox.lua());
        Ok(Self {
            sandbox,
            rng: api.rng,
            tables,
            check,
            summary: hooks.remove("summary"),
            baseline,
            shared: BTreeMap::new(),
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
        // Each conversation is checked in the state as the script loaded.
        restore(&self.sandbox, &self.baseline, &conv.conversation_id).map_err(fail)?;
        let lua = self.sandbox.lua();
        let (c, ctx) = {
            let _host = self.sandbox.host_side();
            let mut build = || -> mlua::Result<_> {
                if !self.shared.contains_key(&prompt.sha256) {
                    let shared = ctx::register(lua, prompt, self.rng.clone())?;
                    self.shared.insert(prompt.sha256.clone(), shared);
                }
                let shared = &self.shared[&prompt.sha256];
                let c = self.tables.conversation(lua, conv)?;
                let fields = ctx::Fields {
                    index: conv.index,
                    batch_index,
                    mode: mode_name(mode),
                    conversation_id: &conv.conversation_id,
                    vars: &conv.variables,
                };
                let scenario = prompt.scenario(&conv.scenario.id);
                Ok((c, shared.build(lua, prompt, scenario, &fields)?.table))
            };
            build()
        }
        .map_err(|e| fail(e.to_string()))?;
        let mut conv_rng = ConvRng::new(conv.generator.seed);
        let values: MultiValue = {
            let _lent = rng::lend(lua, &mut conv_rng);
            self.sandbox.run(
                format_args!("{script}: `check` for {}", conv.conversation_id),
                |_| self.check.call((c, ctx)),
            )
        }
        .map_err(|LuaFailure(m)| fail(m))?;
        verdict(&values, &mut MAX_REASONS.clone()).map_err(fail)
    }

    /// Runs `summary(results)` when defined; returns its text.
    pub fn summary(&mut self, results: &[AuditResult]) -> Result<Option<String>, String> {
        let Some(f) = self.summary.clone() else {
            return Ok(None);
        };
        let script = self.sandbox.script.clone();
        restore(&self.sandbox, &self.baseline, "the summary")
            .map_err(|m| format!("{script}: `summary` failed: {m}"))?;
        let lua = self.sandbox.lua();
        let arg = serde_json::to_value(results)
            .map_err(mlua::Error::external)
            .and_then(|json| {
                let _host = self.sandbox.host_side();
                plain::to_lua(lua, &json)
            })
            .map_err(|e| format!("{script}: `summary`: {e}"))?;
        let mut summary_rng = ConvRng::new(0);
        let values: MultiValue = {
            let _lent = rng::lend(lua, &mut summary_rng);
            self.sandbox
                .run(format_args!("{script}: `summary`"), |_| f.call(arg))
        }
        .map_err(|LuaFailure(m)| format!("{script}: `summary` failed: {m}"))?;
        match values.front() {
            None | Some(Value::Nil) => Ok(None),
            Some(Value::String(s)) if s.as_bytes().len() > plain::MAX_TEXT => Err(format!(
                "{script}: `summary` returned {} bytes of text; the limit is {}",
                s.as_bytes().len(),
                super::size_text(plain::MAX_TEXT)
            )),
            Some(Value::String(s)) => Ok(Some(s.to_string_lossy())),
            Some(v) => {
                let json = {
                    let _host = self.sandbox.host_side();
                    plain::read(v)
                }
                .map_err(|e| format!("{script}: `summary`: {e}"))?;
                let json = json.map_err(|why| {
                    format!("{script}: `summary` returned a value that is not plain data: {why}")
                })?;
                Ok(Some(json.to_string()))
            }
        }
    }
}
