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

/// Nesting deeper than this is handed over as nil (no real data gets there).
const MAX_DEPTH: usize = 64;

pub(super) unsafe fn push_str(state: *mut ffi::lua_State, s: &str) {
    unsafe { ffi::lua_pushlstring(state, s.as_ptr() as *const c_char, s.len()) };
}

/// Sets `t[key] = s` for the table on top of the stack.
pub(super) unsafe fn set_str(state: *mut ffi::lua_State, key: &CStr, s: &str) {
    unsafe {
        push_str(state, s);
        ffi::lua_setfield(state, -2, key.as_ptr());
    }
}

pub(super) unsafe fn set_int(state: *mut ffi::lua_State, key: &CStr, n: i64) {
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
pub(super) unsafe fn push_map(
    state: *mut ffi::lua_State,
    map: &BTreeMap<String, Json>,
    depth: usize,
) {
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

/// Pushes a list of strings as an array.
pub(super) unsafe fn push_strings(state: *mut ffi::lua_State, items: &[String]) {
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
/// Why a value is not plain data, and where in it (keys, outermost first).
struct NotPlain {
    path: Vec<String>,
    why: String,
}

impl From<String> for NotPlain {
    fn from(why: String) -> Self {
        NotPlain {
            path: Vec::new(),
            why,
        }
    }
}

impl From<&str> for NotPlain {
    fn from(why: &str) -> Self {
        why.to_string().into()
    }
}

impl NotPlain {
    /// Names the key the problem sits under (`key`, or `[i]` for list items).
    fn under(mut self, key: String) -> Self {
        self.path.insert(0, key);
        self
    }

    /// `` `a.b[2]`: why `` (just `why` at the top).
    fn message(&self) -> String {
        if self.path.is_empty() {
            return self.why.clone();
        }
        let mut at = String::new();
        for key in &self.path {
            if !key.starts_with('[') && !at.is_empty() {
                at.push('.');
            }
            at.push_str(key);
        }
        format!("`{at}`: {}", self.why)
    }
}

unsafe fn read_json(
    state: *mut ffi::lua_State,
    idx: c_int,
    depth: usize,
) -> Result<Json, NotPlain> {
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
                        .ok_or_else(|| format!("the number {f} has no JSON form").into())
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
                            match read_json(state, -1, depth + 1) {
                                Ok(v) => {
                                    map.insert(key, v);
                                    Ok(())
                                }
                                Err(e) => Err(e.under(key)),
                            }
                        }
                        ffi::LUA_TNUMBER
                            if map.is_empty() && ffi::lua_isinteger(state, -2) != 0 =>
                        {
                            let i = ffi::lua_tointegerx(state, -2, std::ptr::null_mut());
                            match usize::try_from(i) {
                                Ok(i) if (1..=n).contains(&i) => {
                                    match read_json(state, -1, depth + 1) {
                                        Ok(v) => {
                                            list.push((i, v));
                                            Ok(())
                                        }
                                        Err(e) => Err(e.under(format!("[{i}]"))),
                                    }
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
                        )
                        .into()),
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
            other => Err(format!("it holds a {}", type_name(state, other)).into()),
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
            out = read_json(state, 1, 0).map_err(|e| e.message());
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
