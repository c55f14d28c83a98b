//! Plain data across the boundary: JSON values handed to Lua as tables,
//! and what scripts return (`variables`, `summary`) read back as JSON.
//!
//! Reading a script's value must not run script code nor trust it: every
//! read is raw (no `__index`, `__pairs` or `__len`), nesting is bounded,
//! and nothing is sized from a Lua length (`#t` is only a border: a table
//! with keys 1, 2, 4, … 2^62 may answer 2^62).

use std::collections::BTreeMap;

use mlua::{Lua, Table, Value};
use serde_json::Value as Json;

/// Nesting deeper than this is refused when read, and handed over as nil.
pub const MAX_DEPTH: usize = 64;

/// The most values one read takes in: a table that holds the same table
/// twice at every level would otherwise unfold into 2^depth values, in a
/// host call no hook or watchdog looks at.
pub const MAX_VALUES: usize = 1 << 20;

/// The most text (bytes of strings and keys) one read copies out of Lua:
/// 1 MiB. What a script returns goes into every artefact of its
/// conversation (the file, the preview, the prompt sent), so 100 references
/// to one 20 MB string must not become 2 GB there; real variables are names,
/// amounts and a few paragraphs at most.
pub const MAX_TEXT: usize = 1 << 20;

/// What one read may still take in.
struct Left {
    values: usize,
    text: usize,
}

impl Left {
    /// Takes `n` bytes of text, or says why not (before anything is copied).
    fn take_text(&mut self, n: usize) -> Result<(), Failure> {
        match self.text.checked_sub(n) {
            Some(rest) => {
                self.text = rest;
                Ok(())
            }
            None => Err(NotPlain::new(format!(
                "it holds more than {} of text in all (the limit for what a script returns); return less",
                super::size_text(MAX_TEXT)
            ))
            .into()),
        }
    }
}

/// Why a value is not plain data, and where in it (keys, outermost first).
#[derive(Debug)]
struct NotPlain {
    path: Vec<String>,
    why: String,
}

impl NotPlain {
    fn new(why: impl Into<String>) -> Self {
        NotPlain {
            path: Vec::new(),
            why: why.into(),
        }
    }

    /// Names the key the problem sits under (`key`, or `[i]` for list items).
    fn under(mut self, key: String) -> Self {
        self.path.push(key);
        self
    }

    /// `` `a.b[2]`: why `` (just `why` at the top).
    fn message(&self) -> String {
        if self.path.is_empty() {
            return self.why.clone();
        }
        let mut at = String::new();
        for key in self.path.iter().rev() {
            if !key.starts_with('[') && !at.is_empty() {
                at.push('.');
            }
            at.push_str(key);
        }
        format!("`{at}`: {}", self.why)
    }
}

/// Reads a Lua value as plain data: nil, booleans, finite numbers, strings,
/// lists (keys 1…n) and tables with string keys. `Err` says why not, naming
/// the key at fault (`` `extra.items[2]`: it holds a function ``).
pub fn read(value: &Value) -> mlua::Result<Result<Json, String>> {
    let mut left = Left {
        values: MAX_VALUES,
        text: MAX_TEXT,
    };
    match read_value(value, 0, &mut left) {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Lua(e)) => Err(e),
        Err(Failure::NotPlain(n)) => Ok(Err(n.message())),
    }
}

enum Failure {
    Lua(mlua::Error),
    NotPlain(NotPlain),
}

impl From<NotPlain> for Failure {
    fn from(n: NotPlain) -> Self {
        Failure::NotPlain(n)
    }
}

fn read_value(v: &Value, depth: usize, left: &mut Left) -> Result<Json, Failure> {
    if left.values == 0 {
        return Err(NotPlain::new(format!(
            "it holds more than {MAX_VALUES} values (the same table reached many times?)"
        ))
        .into());
    }
    left.values -= 1;
    Ok(match v {
        Value::Nil => Json::Null,
        Value::LightUserData(p) if p.0.is_null() => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Number(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .ok_or_else(|| NotPlain::new(format!("the number {f} has no JSON form")))?,
        Value::String(s) => {
            left.take_text(s.as_bytes().len())?;
            Json::String(s.to_string_lossy())
        }
        Value::Table(t) => read_table(t, depth, left)?,
        other => return Err(NotPlain::new(format!("it holds a {}", type_name(other))).into()),
    })
}

/// Lua's own name for a value's type, as `type(v)` gives it (`number` for
/// integers too, `userdata` for light userdata).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::LightUserData(_) => "userdata",
        Value::Nil => "nil",
        v => v.type_name(),
    }
}

fn read_table(t: &Table, depth: usize, left: &mut Left) -> Result<Json, Failure> {
    if depth >= MAX_DEPTH {
        return Err(NotPlain::new("tables nest too deeply (a table inside itself?)").into());
    }
    let mut list: Vec<(i64, Json)> = Vec::new();
    let mut map = serde_json::Map::new();
    let mut problem: Option<NotPlain> = None;
    let walked = t.for_each::<Value, Value>(|k, v| {
        let item: Result<(), Failure> = match &k {
            Value::String(key) if list.is_empty() => {
                left.take_text(key.as_bytes().len()).and_then(|()| {
                    let key = key.to_string_lossy();
                    match read_value(&v, depth + 1, left) {
                        Ok(v) => {
                            map.insert(key, v);
                            Ok(())
                        }
                        Err(Failure::NotPlain(n)) => Err(n.under(key).into()),
                        Err(e) => Err(e),
                    }
                })
            }
            Value::Integer(i) if map.is_empty() => {
                if *i < 1 {
                    Err(NotPlain::new("a list has a hole or a key that is not 1, 2, 3…").into())
                } else {
                    match read_value(&v, depth + 1, left) {
                        Ok(v) => {
                            list.push((*i, v));
                            Ok(())
                        }
                        Err(Failure::NotPlain(n)) => Err(n.under(format!("[{i}]")).into()),
                        Err(e) => Err(e),
                    }
                }
            }
            Value::Number(_) => {
                Err(NotPlain::new("a table has a fractional number as a key").into())
            }
            Value::String(_) | Value::Integer(_) => {
                Err(NotPlain::new("a table mixes list items and named fields").into())
            }
            other => Err(NotPlain::new(format!(
                "a table has a {} key; keys must be strings",
                type_name(other)
            ))
            .into()),
        };
        match item {
            Ok(()) => Ok(()),
            Err(Failure::NotPlain(n)) => {
                problem = Some(n);
                // Stop the walk; the reason is in `problem`.
                Err(mlua::Error::RuntimeError(String::new()))
            }
            Err(Failure::Lua(e)) => Err(e),
        }
    });
    if let Some(n) = problem {
        return Err(n.into());
    }
    walked.map_err(Failure::Lua)?;
    if list.is_empty() {
        return Ok(Json::Object(map));
    }
    // Keys 1…n, each once (a table cannot hold a key twice): sorted, the
    // last is the count exactly when there is no hole.
    list.sort_unstable_by_key(|(i, _)| *i);
    if usize::try_from(list[list.len() - 1].0).ok() != Some(list.len()) {
        return Err(NotPlain::new("a list has a hole or a key that is not 1, 2, 3…").into());
    }
    Ok(Json::Array(list.into_iter().map(|(_, v)| v).collect()))
}

/// A JSON value as Lua sees it: objects and arrays as tables, integers as
/// integers. A null is an absent field in an object and mlua's `null` in an
/// array (so positions hold); nesting past [`MAX_DEPTH`] becomes nil.
pub fn to_lua(lua: &Lua, v: &Json) -> mlua::Result<Value> {
    json_value(lua, v, 0)
}

fn json_value(lua: &Lua, v: &Json, depth: usize) -> mlua::Result<Value> {
    if depth > MAX_DEPTH {
        return Ok(Value::Nil);
    }
    Ok(match v {
        Json::Null => Value::NULL,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(lua.create_string(s)?),
        Json::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, json_value(lua, item, depth + 1)?)?;
            }
            Value::Table(t)
        }
        Json::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, item) in map {
                if !item.is_null() {
                    t.raw_set(k.as_str(), json_value(lua, item, depth + 1)?)?;
                }
            }
            Value::Table(t)
        }
    })
}

/// A map of variables as a table (null values are absent fields).
pub fn map(lua: &Lua, map: &BTreeMap<String, Json>) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, map.len())?;
    for (k, v) in map {
        if !v.is_null() {
            t.raw_set(k.as_str(), json_value(lua, v, 1)?)?;
        }
    }
    Ok(t)
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
        let t = to_lua(&lua, &v).unwrap();
        lua.globals().set("t", t.clone()).unwrap();
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
        let mut back = v.clone();
        back.as_object_mut().unwrap().remove("gone");
        assert_eq!(read(&t).unwrap().unwrap(), back);
    }

    fn read_code(lua: &Lua, code: &str) -> Result<Json, String> {
        let v: Value = lua.load(code).eval().unwrap();
        read(&v).unwrap()
    }

    #[test]
    fn plain_data_is_read_back_and_the_rest_refused() {
        let lua = Lua::new();
        assert_eq!(
            read_code(&lua, "return { a = 'x', n = 3, f = 2.5, b = true, l = {1, 'two'}, e = {}, t = { k = {} } }")
                .unwrap(),
            serde_json::json!({"a": "x", "n": 3, "f": 2.5, "b": true, "l": [1, "two"], "e": {}, "t": {"k": {}}})
        );
        assert_eq!(
            read_code(&lua, "return 'hola'").unwrap(),
            serde_json::json!("hola")
        );
        for (code, needle) in [
            ("return { f = function() end }", "`f`: it holds a function"),
            ("return { [true] = 1 }", "a boolean key"),
            ("return { 1, x = 2 }", "mixes list items and named fields"),
            ("return { [1] = 'a', [3] = 'c' }", "hole"),
            ("return { [0] = 'a' }", "hole"),
            ("return { [1.5] = 'a' }", "fractional number"),
            ("return { x = 0/0 }", "no JSON form"),
            ("return { x = 1/0 }", "no JSON form"),
            ("local t = {} t.t = t return t", "nest too deeply"),
            (
                "return { extra = { itens = { 'a', print } } }",
                "`extra.itens[2]`: it holds a function",
            ),
            (
                "return { co = coroutine.create(print) }",
                "it holds a thread",
            ),
        ] {
            let e = read_code(&lua, code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
    }

    #[test]
    fn reads_are_raw_bounded_and_never_sized_by_a_length() {
        let lua = Lua::new();
        // Keys 1, 2, 4, … 2^62: `#t` may be a huge border; reading must
        // not allocate for it.
        let e = read_code(
            &lua,
            "local t = {'a', 'b'} for i = 2, 62 do t[1 << i] = 'x' end return t",
        )
        .unwrap_err();
        assert!(e.contains("hole"), "{e}");
        // Metamethods are never triggered: what counts is what the table holds.
        let got = read_code(
            &lua,
            r#"local mt = {
                 __index = function() error("__index ran") end,
                 __pairs = function() error("__pairs ran") end,
                 __len = function() error("__len ran") end,
               }
               return setmetatable({ a = setmetatable({ 1, 2 }, mt) }, mt)"#,
        )
        .unwrap();
        assert_eq!(got, serde_json::json!({"a": [1, 2]}));
        // Nesting is bounded: 63 levels are read, 64 refused.
        let nest = |n: usize| format!("local t = 1 for i = 1, {n} do t = {{ t }} end return t");
        assert!(read_code(&lua, &nest(MAX_DEPTH)).is_ok());
        assert!(
            read_code(&lua, &nest(MAX_DEPTH + 1))
                .unwrap_err()
                .contains("nest too deeply")
        );
        // A table holding the same table twice at every level is refused,
        // not unfolded into 2^60 values.
        let e = read_code(
            &lua,
            "local t = {} for i = 1, 60 do t = { a = t, b = t } end return t",
        )
        .unwrap_err();
        assert!(e.contains("more than"), "{e}");
        // mlua's null reads as null.
        let v = to_lua(&lua, &serde_json::json!([null, 1])).unwrap();
        assert_eq!(read(&v).unwrap().unwrap(), serde_json::json!([null, 1]));
    }

    #[test]
    fn variables_become_a_table_without_nulls() {
        let lua = Lua::new();
        let vars: BTreeMap<String, Json> =
            serde_json::from_str(r#"{"customer": "Ana", "amount": 3.5, "none": null}"#).unwrap();
        let t = map(&lua, &vars).unwrap();
        assert_eq!(t.get::<String>("customer").unwrap(), "Ana");
        assert_eq!(t.get::<f64>("amount").unwrap(), 3.5);
        assert!(matches!(t.get::<Value>("none").unwrap(), Value::Nil));
    }
}
