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

use crate::conversation::{Conversation, Turn};

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
    /// Role and text of each cached turn, by position.
    known: Vec<(String, String)>,
    /// A Lua array holding the cached turn tables, by position.
    store: Option<Table>,
}

impl TurnCache {
    /// Which of `turns` already have a table; starts over for a new conversation.
    fn plan(&mut self, conversation_id: &str, turns: &[Turn]) -> Vec<bool> {
        if self.conversation_id != conversation_id {
            self.conversation_id = conversation_id.to_string();
            self.known.clear();
            self.store = None;
        }
        turns
            .iter()
            .map(|t| {
                let slot = (t.index as usize).wrapping_sub(1);
                self.known
                    .get(slot)
                    .is_some_and(|(role, text)| *role == t.role && *text == t.text)
            })
            .collect()
    }

    /// Records the turns now cached (only contiguous positions are kept).
    fn learn(&mut self, turns: &[Turn], store: Table) {
        for t in turns {
            let slot = (t.index as usize).wrapping_sub(1);
            if slot < self.known.len() {
                self.known[slot] = (t.role.clone(), t.text.clone());
            } else if slot == self.known.len() {
                self.known.push((t.role.clone(), t.text.clone()));
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
        let cached = self.plan(conversation_id, turns);
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
                for (i, (turn, cached)) in turns.iter().zip(&cached).enumerate() {
                    if ffi::lua_checkstack(state, 3) == 0 {
                        return;
                    }
                    let slot = ffi::lua_Integer::from(turn.index);
                    if *cached {
                        ffi::lua_rawgeti(state, 1, slot);
                    } else {
                        push_turn(state, turn);
                        ffi::lua_pushvalue(state, -1);
                        ffi::lua_rawseti(state, 1, slot);
                    }
                    set_times(state, turn);
                    ffi::lua_rawseti(state, 2, i as ffi::lua_Integer + 1);
                }
            })?
        };
        self.learn(turns, store);
        Ok(array)
    }

    /// The whole conversation as written to disk, in one trip, its turns
    /// from the cache.
    pub fn conversation(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<Table> {
        let turns = self.array(lua, &conv.conversation_id, &conv.turns)?;
        // The parts that are plain data go through JSON; they are small.
        let prompt = plain(&conv.prompt);
        let script = conv.script.as_ref().map(plain);
        let scenario = plain(&conv.scenario);
        let generator = plain(&conv.generator);
        let usage = plain(&conv.usage);
        // SAFETY: the turns array sits at slot 1; the closure pushes the
        // conversation table and moves it down over the argument.
        unsafe {
            lua.exec_raw(turns, |state| {
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
                for (key, value) in [
                    (c"prompt", Some(&prompt)),
                    (c"script", script.as_ref()),
                    (c"scenario", Some(&scenario)),
                    (c"generator", Some(&generator)),
                    (c"usage", Some(&usage)),
                ] {
                    if let Some(v) = value {
                        push_json(state, v, 1);
                        ffi::lua_setfield(state, -2, key.as_ptr());
                    }
                }
                push_map(state, &conv.variables, 1);
                ffi::lua_setfield(state, -2, c"variables".as_ptr());
                set_str(state, c"language", &conv.language);
                push_strings(state, &conv.roles);
                ffi::lua_setfield(state, -2, c"roles".as_ptr());
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

/// A small artefact part as JSON (these types always serialize).
fn plain<T: serde::Serialize>(value: &T) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
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

/// Any plain data (`conv`, `results`) as Lua tables, in one trip.
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
