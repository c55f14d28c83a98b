//! Handing conversation data to Lua: whole tables built with the raw C API
//! inside one protected call.
//!
//! Building them field by field through mlua costs a protected call per field
//! (mlua guards every allocation while a memory limit is set); for a
//! conversation that was more than the script's own work. Here a turn list,
//! a ctx or a whole conversation is one trip, run while the host has lifted
//! the limit ([`super::sandbox::Sandbox::host_side`]): the data is bounded by
//! the conversation, and no script code runs meanwhile.
//!
//! Safety: inside `exec_raw` a Lua error unwinds by `longjmp`, so the code
//! here holds only borrows and plain values (nothing with a destructor) while
//! it calls the C API, and checks stack room before it pushes.

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char, c_int};

use mlua::{AnyUserData, Lua, Table, Value, ffi};
use serde_json::Value as Json;

use crate::conversation::{Conversation, PromptRef, ScriptRef, Turn};

/// Nesting deeper than this is handed over as nil (no real data gets there).
const MAX_DEPTH: usize = 64;

unsafe fn push_str(state: *mut ffi::lua_State, s: &str) {
    unsafe { ffi::lua_pushlstring(state, s.as_ptr() as *const c_char, s.len()) };
}

/// Sets `t[key] = s` for the table on top of the stack.
unsafe fn set_str(state: *mut ffi::lua_State, key: &CStr, s: &str) {
    unsafe {
        push_str(state, s);
        ffi::lua_setfield(state, -2, key.as_ptr());
    }
}

unsafe fn set_int(state: *mut ffi::lua_State, key: &CStr, n: i64) {
    unsafe {
        ffi::lua_pushinteger(state, n);
        ffi::lua_setfield(state, -2, key.as_ptr());
    }
}

/// Pushes a JSON value as Lua sees it: objects and arrays as tables, integers
/// as integers. A null is an absent field in an object and mlua's `null` in
/// an array (so positions hold).
unsafe fn push_json(state: *mut ffi::lua_State, v: &Json, depth: usize) {
    unsafe {
        if depth > MAX_DEPTH || ffi::lua_checkstack(state, 3) == 0 {
            ffi::lua_pushnil(state);
            return;
        }
        match v {
            Json::Null => ffi::lua_pushlightuserdata(state, std::ptr::null_mut()),
            Json::Bool(b) => ffi::lua_pushboolean(state, c_int::from(*b)),
            Json::Number(n) => match n.as_i64() {
                Some(i) => ffi::lua_pushinteger(state, i),
                None => ffi::lua_pushnumber(state, n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => push_str(state, s),
            Json::Array(items) => {
                ffi::lua_createtable(state, c_int::try_from(items.len()).unwrap_or(0), 0);
                for (i, item) in items.iter().enumerate() {
                    push_json(state, item, depth + 1);
                    ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
                }
            }
            Json::Object(map) => {
                ffi::lua_createtable(state, 0, c_int::try_from(map.len()).unwrap_or(0));
                for (k, item) in map {
                    if item.is_null() {
                        continue;
                    }
                    push_str(state, k);
                    push_json(state, item, depth + 1);
                    ffi::lua_rawset(state, -3);
                }
            }
        }
    }
}

/// Pushes a map as a table (null values are absent fields).
unsafe fn push_map(state: *mut ffi::lua_State, map: &BTreeMap<String, Json>, depth: usize) {
    unsafe {
        ffi::lua_createtable(state, 0, c_int::try_from(map.len()).unwrap_or(0));
        for (k, v) in map {
            if v.is_null() || ffi::lua_checkstack(state, 3) == 0 {
                continue;
            }
            push_str(state, k);
            push_json(state, v, depth + 1);
            ffi::lua_rawset(state, -3);
        }
    }
}

/// A map of variables as a table, in one trip.
pub fn map(lua: &Lua, map: &BTreeMap<String, Json>) -> mlua::Result<Table> {
    // SAFETY: `push_map` checks stack room per entry and pushes one table.
    unsafe { lua.exec_raw((), |state| push_map(state, map, 0)) }
}

/// Pushes one turn table `{index, role, text, timestamp, latency_ms}`.
unsafe fn push_turn(state: *mut ffi::lua_State, turn: &Turn) {
    unsafe {
        ffi::lua_createtable(state, 0, 5);
        set_int(state, c"index", i64::from(turn.index));
        set_str(state, c"role", &turn.role);
        set_str(state, c"text", &turn.text);
        if let Some(ts) = &turn.timestamp {
            set_str(state, c"timestamp", ts);
        }
        if let Some(ms) = turn.latency_ms {
            set_int(state, c"latency_ms", i64::try_from(ms).unwrap_or(i64::MAX));
        }
    }
}

/// Sets (or clears) the fields of a turn that change once it is timed.
unsafe fn set_times(state: *mut ffi::lua_State, turn: &Turn) {
    unsafe {
        match &turn.timestamp {
            Some(ts) => push_str(state, ts),
            None => ffi::lua_pushnil(state),
        }
        ffi::lua_setfield(state, -2, c"timestamp".as_ptr());
        match turn.latency_ms {
            Some(ms) => ffi::lua_pushinteger(state, i64::try_from(ms).unwrap_or(i64::MAX)),
            None => ffi::lua_pushnil(state),
        }
        ffi::lua_setfield(state, -2, c"latency_ms".as_ptr());
    }
}

/// The turn tables of the conversation in hand, built once and handed to
/// every hook after it (`turn_latency`, `validate_turn`, `conv.turns`), with
/// their timestamps brought up to date on each trip.
#[derive(Default)]
pub struct TurnCache {
    conversation_id: String,
    /// What each cached turn table holds, by position.
    known: Vec<Turn>,
    /// A Lua array holding the cached turn tables, by position.
    store: Option<Table>,
    /// The parts of `conv` that stay the same for a whole run.
    parts: Option<RunParts>,
    /// Scratch space for [`TurnCache::plan`], kept to save an allocation a trip.
    steps: Vec<Step>,
}

/// `conv.prompt`, `conv.script` and `conv.roles` as Lua tables, with what
/// they were built from.
struct RunParts {
    prompt: PromptRef,
    script: Option<ScriptRef>,
    roles: Vec<String>,
    tables: (Table, Value, Table),
}

/// What a trip must do for one turn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Build its table.
    Build,
    /// Reuse its table, and set its timestamp and latency.
    Retime,
    /// Reuse its table as it is.
    Reuse,
}

impl TurnCache {
    /// What each of `turns` needs (into `steps`); starts over for a new
    /// conversation.
    fn plan(&mut self, conversation_id: &str, turns: &[Turn], steps: &mut Vec<Step>) {
        if self.conversation_id != conversation_id {
            self.conversation_id.clear();
            self.conversation_id.push_str(conversation_id);
            self.known.clear();
            self.store = None;
        }
        steps.clear();
        steps.extend(turns.iter().map(|t| {
            let slot = (t.index as usize).wrapping_sub(1);
            match self.known.get(slot) {
                Some(k) if k.role == t.role && k.text == t.text => {
                    if k.timestamp == t.timestamp && k.latency_ms == t.latency_ms {
                        Step::Reuse
                    } else {
                        Step::Retime
                    }
                }
                _ => Step::Build,
            }
        }));
    }

    /// Records what the tables now hold (only contiguous positions are kept).
    fn learn(&mut self, turns: &[Turn], steps: &[Step], store: Table) {
        for (t, step) in turns.iter().zip(steps) {
            let slot = (t.index as usize).wrapping_sub(1);
            match (step, slot.cmp(&self.known.len())) {
                (Step::Reuse, _) => {}
                (Step::Retime, std::cmp::Ordering::Less) => {
                    let k = &mut self.known[slot];
                    k.timestamp.clone_from(&t.timestamp);
                    k.latency_ms = t.latency_ms;
                }
                (_, std::cmp::Ordering::Less) => self.known[slot] = t.clone(),
                (_, std::cmp::Ordering::Equal) => self.known.push(t.clone()),
                (_, std::cmp::Ordering::Greater) => {}
            }
        }
        self.store = Some(store);
    }

    /// `turns` as a Lua array of turn tables, in one trip.
    pub fn array(
        &mut self,
        lua: &Lua,
        conversation_id: &str,
        turns: &[Turn],
    ) -> mlua::Result<Table> {
        let mut steps = std::mem::take(&mut self.steps);
        self.plan(conversation_id, turns, &mut steps);
        let store = self.store.clone().map_or(Value::Nil, Value::Table);
        // SAFETY: the store sits at slot 1; the closure checks stack room per
        // turn, and leaves the store and the array (slots 1 and 2) only.
        let (store, array): (Table, Table) = unsafe {
            lua.exec_raw(store, |state| {
                if ffi::lua_type(state, 1) != ffi::LUA_TTABLE {
                    ffi::lua_settop(state, 0);
                    ffi::lua_createtable(state, c_int::try_from(turns.len()).unwrap_or(0), 0);
                }
                ffi::lua_createtable(state, c_int::try_from(turns.len()).unwrap_or(0), 0);
                for (i, (turn, step)) in turns.iter().zip(&steps).enumerate() {
                    if ffi::lua_checkstack(state, 3) == 0 {
                        return;
                    }
                    let slot = ffi::lua_Integer::from(turn.index);
                    match step {
                        Step::Build => {
                            push_turn(state, turn);
                            ffi::lua_pushvalue(state, -1);
                            ffi::lua_rawseti(state, 1, slot);
                        }
                        Step::Retime => {
                            ffi::lua_rawgeti(state, 1, slot);
                            set_times(state, turn);
                        }
                        Step::Reuse => {
                            ffi::lua_rawgeti(state, 1, slot);
                        }
                    }
                    ffi::lua_rawseti(state, 2, i as ffi::lua_Integer + 1);
                }
            })?
        };
        self.learn(turns, &steps, store);
        self.steps = steps;
        Ok(array)
    }

    /// `conv.prompt`, `conv.script` and `conv.roles`, built once per run.
    fn run_parts(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<(Table, Value, Table)> {
        if let Some(p) = &self.parts
            && p.prompt == conv.prompt
            && p.script == conv.script
            && p.roles == conv.roles
        {
            return Ok(p.tables.clone());
        }
        // SAFETY: the closure pushes exactly three values (two tables and a
        // table or nil), checking nothing it cannot afford.
        let tables: (Table, Value, Table) = unsafe {
            lua.exec_raw((), |state| {
                let p = &conv.prompt;
                ffi::lua_createtable(state, 0, 5);
                set_str(state, c"id", &p.id);
                set_str(state, c"name", &p.name);
                if let Some(v) = &p.version {
                    set_str(state, c"version", v);
                }
                set_int(state, c"revision", i64::from(p.revision));
                set_str(state, c"sha256", &p.sha256);
                match &conv.script {
                    Some(script) => {
                        ffi::lua_createtable(state, 0, 2);
                        set_str(state, c"path", &script.path);
                        set_str(state, c"sha256", &script.sha256);
                    }
                    None => ffi::lua_pushnil(state),
                }
                push_strings(state, &conv.roles);
            })?
        };
        self.parts = Some(RunParts {
            prompt: conv.prompt.clone(),
            script: conv.script.clone(),
            roles: conv.roles.clone(),
            tables: tables.clone(),
        });
        Ok(tables)
    }

    /// The whole conversation as written to disk, in one trip, its turns
    /// from the cache. The parts that stay the same for a run are shared
    /// between conversations (scripts treat them as read-only).
    pub fn conversation(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<Table> {
        let turns = self.array(lua, &conv.conversation_id, &conv.turns)?;
        let (prompt, script, roles) = self.run_parts(lua, conv)?;
        // SAFETY: the arguments sit at slots 1 to 4 (turns, prompt, script,
        // roles); the closure pushes the conversation table and moves it down
        // over them.
        unsafe {
            lua.exec_raw((turns, prompt, script, roles), |state| {
                ffi::lua_createtable(state, 0, 20);
                set_int(state, c"schema_version", i64::from(conv.schema_version));
                set_str(state, c"conversation_id", &conv.conversation_id);
                set_str(state, c"batch_id", &conv.batch_id);
                set_str(state, c"run_id", &conv.run_id);
                set_int(
                    state,
                    c"index",
                    i64::try_from(conv.index).unwrap_or(i64::MAX),
                );
                ffi::lua_pushvalue(state, 2);
                ffi::lua_setfield(state, -2, c"prompt".as_ptr());
                ffi::lua_pushvalue(state, 3);
                ffi::lua_setfield(state, -2, c"script".as_ptr());
                ffi::lua_pushvalue(state, 4);
                ffi::lua_setfield(state, -2, c"roles".as_ptr());
                ffi::lua_createtable(state, 0, 2);
                set_str(state, c"id", &conv.scenario.id);
                set_str(state, c"title", &conv.scenario.title);
                ffi::lua_setfield(state, -2, c"scenario".as_ptr());
                let g = &conv.generator;
                ffi::lua_createtable(state, 0, 5);
                set_str(state, c"provider", &g.provider);
                set_str(state, c"model", &g.model);
                if let Some(host) = &g.endpoint_host {
                    set_str(state, c"endpoint_host", host);
                }
                if let Some(t) = g.temperature {
                    ffi::lua_pushnumber(state, t);
                    ffi::lua_setfield(state, -2, c"temperature".as_ptr());
                }
                set_int(state, c"seed", i64::try_from(g.seed).unwrap_or(i64::MAX));
                ffi::lua_setfield(state, -2, c"generator".as_ptr());
                ffi::lua_createtable(state, 0, 2);
                let tokens = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                set_int(state, c"prompt_tokens", tokens(conv.usage.prompt_tokens));
                set_int(
                    state,
                    c"completion_tokens",
                    tokens(conv.usage.completion_tokens),
                );
                ffi::lua_setfield(state, -2, c"usage".as_ptr());
                push_map(state, &conv.variables, 1);
                ffi::lua_setfield(state, -2, c"variables".as_ptr());
                set_str(state, c"language", &conv.language);
                set_int(state, c"attempts", i64::from(conv.attempts));
                set_str(state, c"status", conv.status.as_str());
                push_strings(state, &conv.issues);
                ffi::lua_setfield(state, -2, c"issues".as_ptr());
                if !conv.request_ids.is_empty() {
                    push_strings(state, &conv.request_ids);
                    ffi::lua_setfield(state, -2, c"request_ids".as_ptr());
                }
                set_str(state, c"created_at", &conv.created_at);
                ffi::lua_pushvalue(state, 1);
                ffi::lua_setfield(state, -2, c"turns".as_ptr());
                ffi::lua_rotate(state, 1, 1);
                ffi::lua_settop(state, 1);
            })
        }
    }
}

/// Pushes a list of strings as an array.
unsafe fn push_strings(state: *mut ffi::lua_State, items: &[String]) {
    unsafe {
        ffi::lua_createtable(state, c_int::try_from(items.len()).unwrap_or(0), 0);
        for (i, s) in items.iter().enumerate() {
            push_str(state, s);
            ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
        }
    }
}

/// Reads the value at `idx` as plain data: nil, booleans, numbers (finite),
/// strings, lists and tables with string keys.
///
/// Only raw reads (`lua_next`, `lua_rawgeti`, `lua_tolstring` on strings)
/// happen here, and none of them can raise, so heap values may live across them.
unsafe fn read_json(state: *mut ffi::lua_State, idx: c_int, depth: usize) -> Result<Json, String> {
    unsafe {
        let idx = ffi::lua_absindex(state, idx);
        match ffi::lua_type(state, idx) {
            ffi::LUA_TNIL => Ok(Json::Null),
            ffi::LUA_TBOOLEAN => Ok(Json::Bool(ffi::lua_toboolean(state, idx) != 0)),
            ffi::LUA_TNUMBER => {
                if ffi::lua_isinteger(state, idx) != 0 {
                    Ok(Json::from(ffi::lua_tointegerx(
                        state,
                        idx,
                        std::ptr::null_mut(),
                    )))
                } else {
                    let f = ffi::lua_tonumberx(state, idx, std::ptr::null_mut());
                    serde_json::Number::from_f64(f)
                        .map(Json::Number)
                        .ok_or_else(|| format!("the number {f} has no JSON form"))
                }
            }
            ffi::LUA_TSTRING => Ok(Json::String(read_str(state, idx))),
            ffi::LUA_TTABLE => {
                if depth >= MAX_DEPTH {
                    return Err("tables nest too deeply (a table inside itself?)".into());
                }
                if ffi::lua_checkstack(state, 3) == 0 {
                    return Err("tables nest too deeply".into());
                }
                let n = ffi::lua_rawlen(state, idx);
                let mut list = Vec::with_capacity(n);
                let mut map = serde_json::Map::new();
                ffi::lua_pushnil(state);
                while ffi::lua_next(state, idx) != 0 {
                    // key at -2, value at -1
                    let item = match ffi::lua_type(state, -2) {
                        ffi::LUA_TSTRING if list.is_empty() => {
                            let key = read_str(state, -2);
                            read_json(state, -1, depth + 1).map(|v| {
                                map.insert(key, v);
                            })
                        }
                        ffi::LUA_TNUMBER
                            if map.is_empty() && ffi::lua_isinteger(state, -2) != 0 =>
                        {
                            let i = ffi::lua_tointegerx(state, -2, std::ptr::null_mut());
                            match usize::try_from(i) {
                                Ok(i) if (1..=n).contains(&i) => {
                                    read_json(state, -1, depth + 1).map(|v| list.push((i, v)))
                                }
                                _ => Err("a list has a hole or a key that is not 1, 2, 3…".into()),
                            }
                        }
                        ffi::LUA_TNUMBER if ffi::lua_isinteger(state, -2) == 0 => {
                            Err("a table has a fractional number as a key".into())
                        }
                        ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                            Err("a table mixes list items and named fields".into())
                        }
                        other => Err(format!(
                            "a table has a {} key; keys must be strings",
                            type_name(state, other)
                        )),
                    };
                    ffi::lua_pop(state, 1);
                    if let Err(e) = item {
                        ffi::lua_pop(state, 1);
                        return Err(e);
                    }
                }
                if list.is_empty() {
                    return Ok(Json::Object(map));
                }
                if list.len() != n {
                    return Err("a list has a hole or a key that is not 1, 2, 3…".into());
                }
                list.sort_unstable_by_key(|(i, _)| *i);
                Ok(Json::Array(list.into_iter().map(|(_, v)| v).collect()))
            }
            other => Err(format!("it holds a {}", type_name(state, other))),
        }
    }
}

unsafe fn read_str(state: *mut ffi::lua_State, idx: c_int) -> String {
    unsafe {
        let mut len = 0usize;
        let p = ffi::lua_tolstring(state, idx, &mut len);
        String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, len)).into_owned()
    }
}

unsafe fn type_name(state: *mut ffi::lua_State, t: c_int) -> String {
    unsafe {
        std::ffi::CStr::from_ptr(ffi::lua_typename(state, t))
            .to_string_lossy()
            .into_owned()
    }
}

/// Reads a Lua value as plain data, in one trip; `Err` says why it is not.
pub fn read_plain(lua: &Lua, value: &Value) -> mlua::Result<Result<Json, String>> {
    let mut out = Err(String::new());
    // SAFETY: the value sits at slot 1; `read_json` makes only raw reads,
    // which cannot raise, and leaves the stack as it found it.
    unsafe {
        lua.exec_raw::<()>(value, |state| {
            out = read_json(state, 1, 0);
            ffi::lua_settop(state, 0);
        })?;
    }
    Ok(out)
}

/// Plain data (the audit results `summary` receives) as Lua tables, in one trip.
pub fn json(lua: &Lua, value: &Json) -> mlua::Result<Value> {
    // SAFETY: `push_json` checks stack room at every level and pushes one value.
    unsafe { lua.exec_raw((), |state| push_json(state, value, 0)) }
}

/// What a ctx table holds besides the per-state shared tables.
pub struct CtxFields<'a> {
    pub index: u64,
    pub batch_index: u32,
    pub mode: &'a str,
    pub conversation_id: &'a str,
    pub vars: &'a BTreeMap<String, Json>,
}

/// A fresh ctx table, in one trip: `prompt`, `scenarios`, `rng` and the
/// chosen `scenario` (when there is one) are shared tables, the rest is copied.
pub fn ctx(
    lua: &Lua,
    prompt: &Table,
    scenarios: &Table,
    rng: &AnyUserData,
    scenario: Option<&Table>,
    fields: &CtxFields,
) -> mlua::Result<Table> {
    let scenario = scenario.map_or(Value::Nil, |t| Value::Table(t.clone()));
    let args = (prompt.clone(), scenarios.clone(), rng.clone(), scenario);
    // SAFETY: the four arguments sit at stack slots 1..=4 of the protected
    // call; the closure pushes the ctx table above them and returns it alone
    // by moving it down over them.
    unsafe {
        lua.exec_raw(args, |state| {
            let base = ffi::lua_gettop(state) - 4;
            ffi::lua_createtable(state, 0, 10);
            for (slot, key) in [
                (1, c"prompt"),
                (2, c"scenarios"),
                (3, c"rng"),
                (4, c"scenario"),
            ] {
                ffi::lua_pushvalue(state, base + slot);
                ffi::lua_setfield(state, -2, key.as_ptr());
            }
            set_int(
                state,
                c"index",
                i64::try_from(fields.index).unwrap_or(i64::MAX),
            );
            set_int(state, c"batch_index", i64::from(fields.batch_index));
            set_str(state, c"mode", fields.mode);
            set_str(state, c"conversation_id", fields.conversation_id);
            push_map(state, fields.vars, 1);
            ffi::lua_setfield(state, -2, c"vars".as_ptr());
            // Leave only the ctx table: move it below the arguments, drop them.
            ffi::lua_rotate(state, base + 1, 1);
            ffi::lua_settop(state, base + 1);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_through_lua() {
        let lua = Lua::new();
        let v = serde_json::json!({
            "s": "ñandú", "i": 42, "f": 1.5, "b": true, "gone": null,
            "list": [1, null, "x"], "nested": {"deep": [[{"k": -7}]]}
        });
        let t = json(&lua, &v).unwrap();
        lua.globals().set("t", t).unwrap();
        let check: bool = lua
            .load(
                r#"return t.s == "ñandú" and math.type(t.i) == "integer" and t.i == 42
                  and math.type(t.f) == "float" and t.f == 1.5 and t.b == true
                  and t.gone == nil and #t.list == 3 and t.list[3] == "x"
                  and t.nested.deep[1][1].k == -7"#,
            )
            .eval()
            .unwrap();
        assert!(check);
    }

    #[test]
    fn turns_become_tables_with_optional_fields() {
        let lua = Lua::new();
        let turns = vec![
            Turn {
                index: 1,
                role: "agent".into(),
                text: "Hola".into(),
                timestamp: Some("2026-01-01T00:00:00Z".into()),
                latency_ms: Some(1500),
            },
            Turn {
                index: 2,
                role: "client".into(),
                text: "Buenas".into(),
                timestamp: None,
                latency_ms: None,
            },
        ];
        let t = TurnCache::default().array(&lua, "c-1", &turns).unwrap();
        lua.globals().set("t", t).unwrap();
        let ok: bool = lua
            .load(
                r#"return #t == 2 and t[1].index == 1 and t[1].role == "agent"
                  and t[1].latency_ms == 1500 and t[1].timestamp == "2026-01-01T00:00:00Z"
                  and t[2].text == "Buenas" and t[2].timestamp == nil"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
    }

    /// Checks a Lua value holds exactly what a JSON value holds (nulls are
    /// absent fields).
    fn assert_same(v: &Value, json: &Json, path: &str) {
        match (v, json) {
            (Value::Table(t), Json::Object(map)) => {
                let mut keys = 0;
                for (k, item) in map {
                    if item.is_null() {
                        continue;
                    }
                    keys += 1;
                    let got: Value = t.get(k.as_str()).unwrap();
                    assert_same(&got, item, &format!("{path}.{k}"));
                }
                assert_eq!(
                    t.pairs::<Value, Value>().count(),
                    keys,
                    "{path}: extra keys"
                );
            }
            (Value::Table(t), Json::Array(items)) => {
                assert_eq!(t.raw_len(), items.len(), "{path}: length");
                for (i, item) in items.iter().enumerate() {
                    let got: Value = t.raw_get(i + 1).unwrap();
                    assert_same(&got, item, &format!("{path}[{}]", i + 1));
                }
            }
            (Value::String(s), Json::String(j)) => assert_eq!(s.to_str().unwrap(), *j, "{path}"),
            (Value::Integer(i), Json::Number(n)) => assert_eq!(Some(*i), n.as_i64(), "{path}"),
            (Value::Number(f), Json::Number(n)) => assert_eq!(Some(*f), n.as_f64(), "{path}"),
            (Value::Boolean(b), Json::Bool(j)) => assert_eq!(b, j, "{path}"),
            (v, j) => panic!("{path}: Lua has {v:?}, the file has {j}"),
        }
    }

    #[test]
    fn the_conversation_table_is_the_file_exactly() {
        let json = serde_json::json!({
            "schema_version": 1, "conversation_id": "b-0001", "batch_id": "b", "run_id": "r",
            "index": 3,
            "prompt": {"id": "p@abc", "name": "p", "version": "2", "revision": 2, "sha256": "abc"},
            "script": {"path": "scripts/p.lua", "sha256": "def"},
            "scenario": {"id": "s", "title": "S"},
            "variables": {"customer": "Ana", "amount": 4.5, "n": 2, "ok": true,
                          "list": ["a", "b"], "nested": {"k": "v"}},
            "language": "es", "roles": ["agent", "client"],
            "generator": {"provider": "openai", "model": "m", "endpoint_host": "h",
                          "temperature": 0.7, "seed": 99},
            "attempts": 2, "status": "failed", "issues": ["x", "y"],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20},
            "request_ids": ["req-1"], "created_at": "2026-01-01T00:00:00Z",
            "turns": [
                {"index": 1, "role": "agent", "text": "Hola", "timestamp": "2026-01-01T00:00:01Z", "latency_ms": 1000},
                {"index": 2, "role": "client", "text": "Buenas", "timestamp": "2026-01-01T00:00:03Z", "latency_ms": 2000}
            ]
        });
        let conv: Conversation = serde_json::from_value(json).unwrap();
        let lua = Lua::new();
        let mut cache = TurnCache::default();
        // A hook before saw the turns untimed: the cached tables get their times.
        let mut untimed = conv.turns.clone();
        for t in &mut untimed {
            t.timestamp = None;
            t.latency_ms = None;
        }
        cache.array(&lua, &conv.conversation_id, &untimed).unwrap();
        let t = cache.conversation(&lua, &conv).unwrap();
        assert_same(
            &Value::Table(t),
            &serde_json::to_value(&conv).unwrap(),
            "conv",
        );
        // Without the optional parts, they are absent.
        let mut bare = conv.clone();
        bare.script = None;
        bare.prompt.version = None;
        bare.generator.endpoint_host = None;
        bare.generator.temperature = None;
        bare.request_ids.clear();
        // The same cache: the run's parts changed, so they are built again.
        let t = cache.conversation(&lua, &bare).unwrap();
        assert_same(
            &Value::Table(t),
            &serde_json::to_value(&bare).unwrap(),
            "bare",
        );
        let t = cache.conversation(&lua, &conv).unwrap();
        assert_same(
            &Value::Table(t),
            &serde_json::to_value(&conv).unwrap(),
            "again",
        );
    }

    #[test]
    fn plain_data_is_read_back_and_the_rest_refused() {
        let lua = Lua::new();
        let read = |code: &str| {
            let v: Value = lua.load(code).eval().unwrap();
            read_plain(&lua, &v).unwrap()
        };
        assert_eq!(
            read("return { a = 'x', n = 3, f = 2.5, b = true, l = {1, 'two'}, e = {}, t = { k = {} } }")
                .unwrap(),
            serde_json::json!({"a": "x", "n": 3, "f": 2.5, "b": true, "l": [1, "two"], "e": {}, "t": {"k": {}}})
        );
        assert_eq!(read("return 'hola'").unwrap(), serde_json::json!("hola"));
        for (code, needle) in [
            ("return { f = function() end }", "it holds a function"),
            ("return { [true] = 1 }", "a boolean key"),
            ("return { 1, x = 2 }", "mixes list items and named fields"),
            ("return { [1] = 'a', [3] = 'c' }", "hole"),
            ("return { x = 0/0 }", "no JSON form"),
            ("local t = {} t.t = t return t", "nest too deeply"),
        ] {
            let e = read(code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
    }

    #[test]
    fn ctx_shares_tables_and_copies_fields() {
        let lua = Lua::new();
        let prompt = lua.create_table().unwrap();
        let scenarios = lua.create_table().unwrap();
        let rng = lua.create_any_userdata(()).unwrap();
        let vars: BTreeMap<String, Json> =
            serde_json::from_str(r#"{"customer": "Ana", "amount": 3.5}"#).unwrap();
        let fields = CtxFields {
            index: 7,
            batch_index: 2,
            mode: "weighted",
            conversation_id: "c-7",
            vars: &vars,
        };
        let c = ctx(&lua, &prompt, &scenarios, &rng, None, &fields).unwrap();
        assert_eq!(c.get::<Table>("prompt").unwrap(), prompt);
        assert_eq!(c.get::<i64>("index").unwrap(), 7);
        assert_eq!(c.get::<String>("mode").unwrap(), "weighted");
        assert_eq!(c.get::<String>("conversation_id").unwrap(), "c-7");
        assert!(matches!(c.get::<Value>("scenario").unwrap(), Value::Nil));
        let v: Table = c.get("vars").unwrap();
        assert_eq!(v.get::<String>("customer").unwrap(), "Ana");
        assert_eq!(v.get::<f64>("amount").unwrap(), 3.5);
    }
}
