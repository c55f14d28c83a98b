//! What one conversation may change and the next must not see (SPEC §3).
//!
//! A state runs many conversations one after another, and which ones
//! depends on `--concurrency`: whatever a conversation leaves behind in
//! the state would make the same seed give different files at
//! `--concurrency 1` and `8`. So each conversation starts from the state
//! as the script left it when it loaded:
//! - the globals, the libraries that were there before the script ran
//!   (`string`, `table`, `math`, `utf8`, `os`, `coroutine`, `text`, `log`),
//!   the string metatable (`getmetatable("")`), and the metatables of all
//!   of these are put back as they were ([`Baseline::restore`]);
//! - the tables of convgen's data (`ctx`, `ctx.prompt`, `ctx.scenarios`,
//!   `conv`, turns) are built afresh for each conversation (see `ctx`,
//!   `conversation`).
//!
//! What a script keeps in its own local variables, or in tables it made
//! itself, is its own (docs/lua-api.md states the rule): the library and
//! the data the host shares are what this guards.
//!
//! Contents are put back by a trusted Lua function whose snapshot lives in
//! its upvalues, out of the script's reach; metatables by the host, which
//! ignores a `__metatable` guard a script may have set.

use mlua::{Function, Lua, Table, Value};

/// Records the tables given, then puts back the fields they had.
const RESTORE: &str = r#"
local next, rawset, rawequal = next, rawset, rawequal
local tables = ...
local copies, counts = {}, {}
for i = 1, #tables do
  local copy, n = {}, 0
  for k, v in next, tables[i] do copy[k] = v; n = n + 1 end
  copies[i], counts[i] = copy, n
end
return function()
  for i = 1, #tables do
    local t, copy = tables[i], copies[i]
    -- Most conversations change nothing: compare first (`copy` has no
    -- metatable, so indexing it is raw).
    local n, same = 0, true
    for k, v in next, t do
      n = n + 1
      if not rawequal(copy[k], v) then same = false break end
    end
    if not same or n ~= counts[i] then
      -- Clearing fields while `next` walks a table is allowed (Lua manual, `next`).
      for k in next, t do
        if copy[k] == nil then rawset(t, k, nil) end
      end
      for k, v in next, copy do rawset(t, k, v) end
    end
  end
end
"#;

/// The tables a state shares between conversations, before a script runs.
pub struct Shared {
    tables: Vec<Table>,
}

/// Which tables to guard: the globals, every table among them (the
/// libraries), and the string metatable. Taken before the script loads, so
/// that tables the script makes are not among them.
pub fn shared(lua: &Lua) -> mlua::Result<Shared> {
    let globals = lua.globals();
    let mut tables = vec![globals.clone()];
    globals.for_each::<Value, Value>(|_, v| {
        if let Value::Table(t) = v
            && !tables.contains(&t)
        {
            tables.push(t);
        }
        Ok(())
    })?;
    if let Some(strings) = lua.type_metatable::<mlua::LuaString>()
        && !tables.contains(&strings)
    {
        tables.push(strings);
    }
    Ok(Shared { tables })
}

/// The guarded tables as they were once the script had loaded.
pub struct Baseline {
    restore: Function,
    metatables: Vec<(Table, Option<Table>)>,
}

impl Shared {
    /// Records the tables' fields and metatables as they are now.
    pub fn record(self, lua: &Lua) -> mlua::Result<Baseline> {
        let list = lua.create_sequence_from(self.tables.iter().cloned())?;
        let restore: Function = lua
            .load(RESTORE)
            .set_name("=convgen isolation")
            .call(list)?;
        let metatables = self
            .tables
            .into_iter()
            .map(|t| {
                let mt = t.metatable();
                (t, mt)
            })
            .collect();
        Ok(Baseline {
            restore,
            metatables,
        })
    }
}

impl Baseline {
    /// Puts every guarded table back as it was recorded. The caller runs
    /// this armed with the sandbox's limits (it runs Lua code).
    pub fn restore(&self) -> mlua::Result<()> {
        self.restore.call::<()>(())?;
        for (t, mt) in &self.metatables {
            if t.metatable() != *mt {
                t.set_metatable(mt.clone())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> (Lua, Shared) {
        let lua = Lua::new();
        let shared = shared(&lua).unwrap();
        (lua, shared)
    }

    #[test]
    fn libraries_globals_and_the_string_metatable_come_back() {
        let (lua, shared) = state();
        // What the script does when it loads is the baseline.
        lua.load("function string.shout(s) return s:upper() .. '!' end; COUNT = 0")
            .exec()
            .unwrap();
        let baseline = shared.record(&lua).unwrap();
        lua.load(
            r#"
            string.upper = function() return "patched" end
            string.extra = 1
            getmetatable("").__index = { upper = function() return "meta" end }
            getmetatable("").__add = function() return 1 end
            math = nil
            COUNT = COUNT + 1
            NEW = true
            setmetatable(_G, { __index = function() return "ghost" end, __metatable = "locked" })
            setmetatable(table, { __metatable = false })
            "#,
        )
        .exec()
        .unwrap();
        baseline.restore().unwrap();
        let (upper, shout, extra, has_math, count, new, missing, add): (
            String,
            String,
            Value,
            bool,
            i64,
            Value,
            Value,
            bool,
        ) = lua
            .load(
                r#"return ("abc"):upper(), ("abc"):shout(), string.extra, math ~= nil,
                    COUNT, NEW, UNDEFINED, pcall(function() return "a" + {} end)"#,
            )
            .eval()
            .unwrap();
        assert_eq!(upper, "ABC");
        assert_eq!(shout, "ABC!", "what the script set up at load is kept");
        assert_eq!(extra, Value::Nil);
        assert!(has_math);
        assert_eq!(count, 0);
        assert_eq!(new, Value::Nil);
        assert_eq!(missing, Value::Nil, "the globals' metatable is gone");
        assert!(!add, "the string metatable lost the added __add");
        assert!(lua.globals().metatable().is_none());
        let table: Table = lua.globals().get("table").unwrap();
        assert!(table.metatable().is_none());
    }

    #[test]
    fn tables_made_by_the_script_are_its_own() {
        let (lua, shared) = state();
        lua.load("CACHE = {}").exec().unwrap();
        let baseline = shared.record(&lua).unwrap();
        lua.load("CACHE.x = 1").exec().unwrap();
        baseline.restore().unwrap();
        let x: i64 = lua.load("return CACHE.x").eval().unwrap();
        assert_eq!(x, 1, "the script's own table is not guarded");
    }
}
