//! `ctx`, the table every hook gets last: the prompt, the catalog, the
//! chosen scenario, the conversation's numbers, its variables and `rng`.
//!
//! A conversation's ctx table, with its `prompt`, `scenarios` and their
//! tables, is built afresh when its first hook runs, so that what one
//! conversation changes in them never reaches the next (SPEC §3, see
//! [`super::isolation`]); the rest of its hooks reuse it, and it gains
//! `scenario` and `vars` once the core has chosen them ([`Current`]). The
//! prompt's strings are made once per state ([`register`]) and shared:
//! Lua strings cannot be changed.

use std::collections::BTreeMap;

use mlua::{AnyUserData, Lua, LuaString, Table};
use serde_json::Value as Json;

use super::plain;
use crate::hooks::HookCtx;
use crate::prompt::{Prompt, Scenario};

/// A prompt's values as Lua strings, from which each ctx is built.
pub struct Shared {
    name: LuaString,
    title: LuaString,
    language: LuaString,
    roles: Vec<LuaString>,
    turns: u32,
    scenarios: Vec<ScenarioStrings>,
    rng: AnyUserData,
}

struct ScenarioStrings {
    id: LuaString,
    title: LuaString,
    text: LuaString,
    weight: f64,
    attrs: BTreeMap<String, Json>,
}

/// Makes the strings of `prompt` in `lua`; `rng` is the state's `ctx.rng`
/// handle.
pub fn register(lua: &Lua, prompt: &Prompt, rng: AnyUserData) -> mlua::Result<Shared> {
    let mut scenarios = Vec::with_capacity(prompt.scenarios.len());
    for s in &prompt.scenarios {
        scenarios.push(ScenarioStrings {
            id: lua.create_string(&s.id)?,
            title: lua.create_string(&s.title)?,
            text: lua.create_string(&s.text)?,
            weight: s.weight,
            attrs: s.attrs.clone(),
        });
    }
    Ok(Shared {
        name: lua.create_string(&prompt.name)?,
        title: lua.create_string(&prompt.title)?,
        language: lua.create_string(&prompt.language)?,
        roles: prompt
            .roles
            .iter()
            .map(|r| lua.create_string(r))
            .collect::<mlua::Result<_>>()?,
        turns: prompt.turns,
        scenarios,
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

/// A conversation's ctx table and its scenario tables, by catalog position.
pub struct Built {
    pub table: Table,
    scenarios: Vec<Table>,
}

impl Built {
    /// The table of scenario `s` of `prompt` in this ctx.
    pub fn scenario(&self, prompt: &Prompt, s: &Scenario) -> Option<Table> {
        prompt
            .scenarios
            .iter()
            .position(|x| x.id == s.id)
            .and_then(|i| self.scenarios.get(i).cloned())
    }
}

impl Shared {
    /// A fresh ctx table, with fresh `prompt` and `scenarios` tables; its
    /// `scenario` is the chosen one's table in `scenarios`.
    pub fn build(
        &self,
        lua: &Lua,
        prompt: &Prompt,
        scenario: Option<&Scenario>,
        fields: &Fields,
    ) -> mlua::Result<Built> {
        let p = lua.create_table_with_capacity(0, 5)?;
        p.raw_set("name", &self.name)?;
        p.raw_set("title", &self.title)?;
        p.raw_set("language", &self.language)?;
        p.raw_set("roles", lua.create_sequence_from(self.roles.iter())?)?;
        p.raw_set("turns", self.turns)?;
        let list = lua.create_table_with_capacity(self.scenarios.len(), 0)?;
        let mut scenarios = Vec::with_capacity(self.scenarios.len());
        for (i, s) in self.scenarios.iter().enumerate() {
            let t = lua.create_table_with_capacity(0, 5)?;
            t.raw_set("id", &s.id)?;
            t.raw_set("title", &s.title)?;
            t.raw_set("weight", s.weight)?;
            t.raw_set("attrs", plain::map(lua, &s.attrs)?)?;
            t.raw_set("text", &s.text)?;
            list.raw_set(i + 1, &t)?;
            scenarios.push(t);
        }
        let built = Built {
            table: lua.create_table_with_capacity(0, 10)?,
            scenarios,
        };
        let t = &built.table;
        t.raw_set("prompt", p)?;
        t.raw_set("scenarios", list)?;
        t.raw_set("rng", &self.rng)?;
        if let Some(s) = scenario {
            t.raw_set("scenario", built.scenario(prompt, s))?;
        }
        t.raw_set("index", i64::try_from(fields.index).unwrap_or(i64::MAX))?;
        t.raw_set("batch_index", fields.batch_index)?;
        t.raw_set("mode", fields.mode)?;
        t.raw_set("conversation_id", fields.conversation_id)?;
        t.raw_set("vars", plain::map(lua, fields.vars)?)?;
        Ok(built)
    }
}

/// The ctx table of the conversation whose hooks are running.
#[derive(Default)]
pub struct Current {
    conversation_id: String,
    built: Option<Built>,
    has_scenario: bool,
    has_vars: bool,
}

impl Current {
    /// True when the ctx of `conversation_id` is built already: its hooks
    /// have begun.
    pub fn holds(&self, conversation_id: &str) -> bool {
        self.built.is_some() && self.conversation_id == conversation_id
    }

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
        let built = match &self.built {
            Some(b) if self.conversation_id == ctx.conversation_id => b,
            _ => {
                let fields = Fields {
                    index: ctx.index,
                    batch_index: ctx.batch_index,
                    mode,
                    conversation_id: ctx.conversation_id,
                    vars: ctx.vars,
                };
                // Forget the last one first: should building fail, the next
                // call starts over.
                self.built = None;
                let built = shared.build(lua, ctx.prompt, ctx.scenario, &fields)?;
                let t = built.table.clone();
                self.conversation_id.clear();
                self.conversation_id.push_str(ctx.conversation_id);
                self.built = Some(built);
                self.has_scenario = ctx.scenario.is_some();
                self.has_vars = !ctx.vars.is_empty();
                return Ok(t);
            }
        };
        let table = built.table.clone();
        if let (Some(s), false) = (ctx.scenario, self.has_scenario) {
            table.raw_set("scenario", built.scenario(ctx.prompt, s))?;
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
    fn each_ctx_is_built_afresh_from_the_prompt() {
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
        let built = shared.build(&lua, &p, None, &fields).unwrap();
        let c = &built.table;
        let again = shared.build(&lua, &p, None, &fields).unwrap();
        let prompt: Table = c.get("prompt").unwrap();
        assert_eq!(prompt.get::<String>("language").unwrap(), "es");
        assert_ne!(
            prompt,
            again.table.get::<Table>("prompt").unwrap(),
            "each conversation gets its own tables"
        );
        assert_eq!(c.get::<i64>("index").unwrap(), 7);
        assert_eq!(c.get::<String>("mode").unwrap(), "weighted");
        assert_eq!(c.get::<String>("conversation_id").unwrap(), "c-7");
        assert!(matches!(c.get::<Value>("scenario").unwrap(), Value::Nil));
        let v: Table = c.get("vars").unwrap();
        assert_eq!(v.get::<String>("customer").unwrap(), "Ana");
        assert_eq!(v.get::<f64>("amount").unwrap(), 3.5);
        let s = built.scenario(&p, &p.scenarios[0]).unwrap();
        let listed: Table = c.get::<Table>("scenarios").unwrap().get(1).unwrap();
        assert_eq!(s, listed, "ctx.scenario is the table in ctx.scenarios");
        let attrs: Table = s.get("attrs").unwrap();
        assert_eq!(attrs.get::<String>("tone").unwrap(), "x");
    }
}
