//! `ctx`, the table every hook gets last: the prompt, the catalog, the
//! chosen scenario, the conversation's numbers, its variables and `rng`.
//!
//! `ctx.prompt` and `ctx.scenarios` (and each scenario's table) are built
//! once per state for a prompt ([`register`]); a conversation's ctx table
//! is built when its first hook runs and reused by the rest of its hooks,
//! gaining `scenario` and `vars` once the core has chosen them ([`Current`]).

use std::collections::BTreeMap;

use mlua::{AnyUserData, Lua, Table};
use serde_json::Value as Json;

use super::plain;
use crate::hooks::HookCtx;
use crate::prompt::{Prompt, Scenario};

/// The tables of a prompt every ctx shares.
pub struct Shared {
    prompt: Table,
    scenarios: Table,
    /// Each scenario's table, by catalog position.
    scenario: Vec<Table>,
    rng: AnyUserData,
}

/// Builds `prompt` and `scenarios` for `prompt` in `lua`; `rng` is the
/// state's `ctx.rng` handle.
pub fn register(lua: &Lua, prompt: &Prompt, rng: AnyUserData) -> mlua::Result<Shared> {
    let p = lua.create_table_with_capacity(0, 5)?;
    p.raw_set("name", prompt.name.as_str())?;
    p.raw_set("title", prompt.title.as_str())?;
    p.raw_set("language", prompt.language.as_str())?;
    p.raw_set(
        "roles",
        lua.create_sequence_from(prompt.roles.iter().map(String::as_str))?,
    )?;
    p.raw_set("turns", prompt.turns)?;
    let scenarios = lua.create_table_with_capacity(prompt.scenarios.len(), 0)?;
    let mut scenario = Vec::with_capacity(prompt.scenarios.len());
    for (i, s) in prompt.scenarios.iter().enumerate() {
        let t = lua.create_table_with_capacity(0, 5)?;
        t.raw_set("id", s.id.as_str())?;
        t.raw_set("title", s.title.as_str())?;
        t.raw_set("weight", s.weight)?;
        t.raw_set("attrs", plain::map(lua, &s.attrs)?)?;
        t.raw_set("text", s.text.as_str())?;
        scenarios.raw_set(i + 1, &t)?;
        scenario.push(t);
    }
    Ok(Shared {
        prompt: p,
        scenarios,
        scenario,
        rng,
    })
}

/// What a ctx table holds besides the shared tables.
pub struct Fields<'a> {
    pub index: u64,
    pub batch_index: u32,
    pub mode: &'a str,
    pub conversation_id: &'a str,
    pub vars: &'a BTreeMap<String, Json>,
}

impl Shared {
    /// The table of scenario `s` of `prompt`.
    pub fn scenario(&self, prompt: &Prompt, s: &Scenario) -> Option<Table> {
        prompt
            .scenarios
            .iter()
            .position(|x| x.id == s.id)
            .and_then(|i| self.scenario.get(i).cloned())
    }

    /// A fresh ctx table.
    pub fn build(
        &self,
        lua: &Lua,
        scenario: Option<Table>,
        fields: &Fields,
    ) -> mlua::Result<Table> {
        let t = lua.create_table_with_capacity(0, 10)?;
        t.raw_set("prompt", &self.prompt)?;
        t.raw_set("scenarios", &self.scenarios)?;
        t.raw_set("rng", &self.rng)?;
        if let Some(s) = scenario {
            t.raw_set("scenario", s)?;
        }
        t.raw_set("index", i64::try_from(fields.index).unwrap_or(i64::MAX))?;
        t.raw_set("batch_index", fields.batch_index)?;
        t.raw_set("mode", fields.mode)?;
        t.raw_set("conversation_id", fields.conversation_id)?;
        t.raw_set("vars", plain::map(lua, fields.vars)?)?;
        Ok(t)
    }
}

/// The ctx table of the conversation whose hooks are running.
#[derive(Default)]
pub struct Current {
    conversation_id: String,
    table: Option<Table>,
    has_scenario: bool,
    has_vars: bool,
}

impl Current {
    /// The ctx table for a hook call, in step with what the core knows:
    /// built for a new conversation, then given its scenario and variables
    /// as they are chosen.
    pub fn table(
        &mut self,
        lua: &Lua,
        shared: &Shared,
        mode: &str,
        ctx: &HookCtx,
    ) -> mlua::Result<Table> {
        let table = match &self.table {
            Some(t) if self.conversation_id == ctx.conversation_id => t.clone(),
            _ => {
                let scenario = ctx.scenario.and_then(|s| shared.scenario(ctx.prompt, s));
                let fields = Fields {
                    index: ctx.index,
                    batch_index: ctx.batch_index,
                    mode,
                    conversation_id: ctx.conversation_id,
                    vars: ctx.vars,
                };
                // Forget the last one first: should building fail, the next
                // call starts over.
                self.table = None;
                let t = shared.build(lua, scenario, &fields)?;
                self.conversation_id.clear();
                self.conversation_id.push_str(ctx.conversation_id);
                self.table = Some(t.clone());
                self.has_scenario = ctx.scenario.is_some();
                self.has_vars = !ctx.vars.is_empty();
                return Ok(t);
            }
        };
        if let (Some(s), false) = (ctx.scenario, self.has_scenario) {
            table.raw_set("scenario", shared.scenario(ctx.prompt, s))?;
            self.has_scenario = true;
        }
        if !ctx.vars.is_empty() && !self.has_vars {
            table.raw_set("vars", plain::map(lua, ctx.vars)?)?;
            self.has_vars = true;
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Value;

    #[test]
    fn ctx_shares_tables_and_copies_fields() {
        let lua = Lua::new();
        let p = crate::prompt::parse(
            camino::Utf8Path::new("p.md"),
            b"+++\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 2\n+++\nHola\n## Scenarios\n### a: A\n```toml\ntone = \"x\"\n```\nt\n",
        )
        .unwrap();
        let rng = lua.create_any_userdata(()).unwrap();
        let shared = register(&lua, &p, rng).unwrap();
        let vars: BTreeMap<String, Json> =
            serde_json::from_str(r#"{"customer": "Ana", "amount": 3.5}"#).unwrap();
        let fields = Fields {
            index: 7,
            batch_index: 2,
            mode: "weighted",
            conversation_id: "c-7",
            vars: &vars,
        };
        let c = shared.build(&lua, None, &fields).unwrap();
        assert_eq!(c.get::<Table>("prompt").unwrap(), shared.prompt);
        assert_eq!(c.get::<i64>("index").unwrap(), 7);
        assert_eq!(c.get::<String>("mode").unwrap(), "weighted");
        assert_eq!(c.get::<String>("conversation_id").unwrap(), "c-7");
        assert!(matches!(c.get::<Value>("scenario").unwrap(), Value::Nil));
        let v: Table = c.get("vars").unwrap();
        assert_eq!(v.get::<String>("customer").unwrap(), "Ana");
        assert_eq!(v.get::<f64>("amount").unwrap(), 3.5);
        let s = shared.scenario(&p, &p.scenarios[0]).unwrap();
        let attrs: Table = s.get("attrs").unwrap();
        assert_eq!(attrs.get::<String>("tone").unwrap(), "x");
    }
}
