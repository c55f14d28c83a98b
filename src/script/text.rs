//! The `text` table scripts get: [`super::words`] bound to Lua.
//!
//! Each function is a named Rust function registered with `create_function`;
//! arguments are checked as Lua's own libraries check theirs (`bad argument
//! #1 to 'lower' (string expected, got table)`), and lists are read raw,
//! up to their first nil: a table's length is never trusted for a size.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Lua, LuaString, Table, Value};

use super::words::{self, Lowered, Word};

/// Installs the `text` table in a state's globals.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.raw_set("lower", lua.create_function(lower)?)?;
    t.raw_set("words", lua.create_function(words_of)?)?;
    t.raw_set("len", lua.create_function(len)?)?;
    // Scripts look for several lists of phrases in the same turn, and in
    // each turn again in later hooks: the lowered texts are kept.
    let cache = Rc::new(RefCell::new(Lowered::default()));
    t.raw_set(
        "find_any",
        lua.create_function(move |lua, args| find_any(lua, &cache, args))?,
    )?;
    t.raw_set("find_word", lua.create_function(find_word)?)?;
    lua.globals().raw_set("text", t)
}

/// A Lua error worded as `luaL_argerror` words them.
fn bad_argument(n: usize, function: &str, why: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("bad argument #{n} to '{function}' ({why})"))
}

/// Argument `n` as a string (numbers are turned into one, as Lua does).
fn string_arg(lua: &Lua, v: Value, n: usize, function: &str) -> mlua::Result<LuaString> {
    let kind = super::plain::type_name(&v);
    match v {
        Value::String(s) => Ok(s),
        v @ (Value::Integer(_) | Value::Number(_)) => lua
            .coerce_string(v)?
            .ok_or_else(|| bad_argument(n, function, "string expected, got number")),
        _ => Err(bad_argument(
            n,
            function,
            &format!("string expected, got {kind}"),
        )),
    }
}

/// `text.lower(s)`: invalid UTF-8 is dropped.
fn lower(lua: &Lua, s: Value) -> mlua::Result<LuaString> {
    let s = string_arg(lua, s, 1, "lower")?;
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| b.is_ascii_uppercase() || *b >= 0x80) {
        return Ok(s.clone());
    }
    lua.create_string(words::lower_valid(&bytes))
}

/// `text.words(s)`.
fn words_of(lua: &Lua, s: Value) -> mlua::Result<Table> {
    let s = string_arg(lua, s, 1, "words")?;
    let bytes = s.as_bytes();
    let out = lua.create_table_with_capacity(16, 0)?;
    let mut n = 0;
    let mut failure = None;
    for chunk in bytes.utf8_chunks() {
        words::scan_words(chunk.valid(), |word| {
            n += 1;
            let pushed = push_word(lua, word).and_then(|w| out.raw_set(n, w));
            match pushed {
                Ok(()) => false,
                Err(e) => {
                    failure = Some(e);
                    true
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(out)
}

/// A word from [`words::scan_words`] as a Lua string, in lower case.
fn push_word(lua: &Lua, word: Word) -> mlua::Result<LuaString> {
    match word {
        Word::Lowered(w) => lua.create_string(w),
        Word::Long(w) => lua.create_string(words::lower(w)),
    }
}

/// `text.len(s)`.
fn len(lua: &Lua, s: Value) -> mlua::Result<i64> {
    let s = string_arg(lua, s, 1, "len")?;
    Ok(i64::try_from(words::len(&s.as_bytes())).unwrap_or(i64::MAX))
}

/// `text.find_any(s, phrases)`: the first phrase (a string, or a list of
/// them) that occurs in `s` ignoring case, or nil.
fn find_any(
    lua: &Lua,
    cache: &RefCell<Lowered>,
    (s, phrases): (Value, Value),
) -> mlua::Result<Value> {
    let s = string_arg(lua, s, 1, "find_any")?;
    let bytes = s.as_bytes();
    // Only raw reads happen while the cache is borrowed (no script code
    // runs); should it be busy all the same, lower afresh.
    let mut borrowed = cache.try_borrow_mut().ok();
    let hay: Cow<str> = match borrowed.as_mut() {
        Some(c) => c.get(&bytes),
        None => Cow::Owned(words::lower(&words::as_text(&bytes))),
    };
    let found = |phrase: &LuaString| words::contains(&hay, &words::as_text(&phrase.as_bytes()));
    match phrases {
        Value::String(p) => Ok(if found(&p) {
            Value::String(p)
        } else {
            Value::Nil
        }),
        Value::Table(list) => {
            for item in list.sequence_values::<Value>() {
                match item? {
                    Value::String(p) if found(&p) => return Ok(Value::String(p)),
                    Value::String(_) => {}
                    _ => {
                        return Err(mlua::Error::RuntimeError(
                            "text.find_any(s, phrases): phrases must be strings".into(),
                        ));
                    }
                }
            }
            Ok(Value::Nil)
        }
        _ => Err(mlua::Error::RuntimeError(
            "text.find_any(s, phrases): phrases must be a string or a list of strings".into(),
        )),
    }
}

/// `text.find_word(s, words)`: the first word of `s` that is in `words` (a
/// list of words, or a set: a table with the words, in lower case, as keys),
/// ignoring case; the entry as written in the list (the word, for a set), or nil.
fn find_word(lua: &Lua, (s, list): (Value, Value)) -> mlua::Result<Value> {
    let s = string_arg(lua, s, 1, "find_word")?;
    let bytes = s.as_bytes();
    let Value::Table(list) = list else {
        return Err(mlua::Error::RuntimeError(
            "text.find_word(s, words): words must be a list of words or a set of them".into(),
        ));
    };
    // `#list` only tells a list from a set, and how far entries must be
    // strings: it is never a size to allocate.
    let border = list.raw_len();
    if border == 0 {
        return find_in_set(lua, &bytes, &list);
    }
    // Entries already in lower case (most) are borrowed from Lua as they are.
    let mut entries: Vec<Entry> = Vec::with_capacity(border.min(256));
    for item in list.sequence_values::<Value>() {
        match item? {
            Value::String(w) => {
                let raw = w.as_bytes();
                entries.push(match words::lower_cow(&words::as_text(&raw)) {
                    Cow::Borrowed(b) if b.len() == raw.len() => Entry::AsListed(raw),
                    lowered => Entry::Lowered(lowered.into_owned().into_bytes()),
                });
            }
            _ => return Err(not_a_string()),
        }
    }
    if entries.len() < border {
        // A nil before the border: a hole in the list.
        return Err(not_a_string());
    }
    let plain: Vec<&[u8]> = entries.iter().map(Entry::bytes).collect();
    let found = bytes
        .utf8_chunks()
        .find_map(|chunk| words::find_word_in(chunk.valid(), &plain));
    match found {
        Some(i) => list.raw_get(i + 1),
        None => Ok(Value::Nil),
    }
}

/// A list entry of [`find_word`], in lower case.
enum Entry {
    /// The entry's own bytes (already in lower case).
    AsListed(mlua::BorrowedBytes),
    Lowered(Vec<u8>),
}

impl Entry {
    fn bytes(&self) -> &[u8] {
        match self {
            Entry::AsListed(b) => b,
            Entry::Lowered(v) => v,
        }
    }
}

fn not_a_string() -> mlua::Error {
    mlua::Error::RuntimeError(
        "text.find_word(s, words): the list holds something that is not a string".into(),
    )
}

/// [`find_word`] for a set: each word of `s` is looked up as a key, raw.
fn find_in_set(lua: &Lua, bytes: &[u8], set: &Table) -> mlua::Result<Value> {
    let mut answer = Ok(Value::Nil);
    for chunk in bytes.utf8_chunks() {
        let hit = words::scan_words(chunk.valid(), |word| {
            let looked = push_word(lua, word).and_then(|w| {
                let v: Value = set.raw_get(&w)?;
                Ok((!matches!(v, Value::Nil | Value::Boolean(false))).then_some(w))
            });
            match looked {
                Ok(None) => false,
                Ok(Some(w)) => {
                    answer = Ok(Value::String(w));
                    true
                }
                Err(e) => {
                    answer = Err(e);
                    true
                }
            }
        });
        if hit {
            break;
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lua_sees_the_library() {
        let lua = Lua::new();
        lua.set_memory_limit(8 * 1024 * 1024).unwrap();
        register(&lua).unwrap();
        let ok: bool = lua
            .load(
                r#"local w = text.words("¿Tienes el DNI?")
                   return text.lower("ÑU") == "ñu" and #w == 3 and w[1] == "tienes"
                     and text.find_any("Buenos DÍAS", {"hola", "buenos días"}) == "buenos días"
                     and text.find_any("x", "y") == nil and text.len("año") == 3
                     and text.find_any("HOLA", "hola") == "hola"
                     and text.find_word("¿TIENES el DNI?", {"tú", "tienes"}) == "tienes"
                     and text.find_word("Usted tiene", {"tú", "tienes"}) == nil
                     and text.find_word("¿Y TÚ?", {"Tú"}) == "Tú"
                     and text.find_word("¿Y TÚ?", {["tú"] = true}) == "tú"
                     and text.find_word("usted", {usted = false}) == nil
                     and text.lower(42) == "42" and text.len(3.5) == 3"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
        for (code, needle) in [
            ("return text.find_any('x', {1})", "phrases must be strings"),
            ("return text.find_word('x', {'a', 3})", "not a string"),
            ("return text.find_any('x', 5)", "a string or a list"),
            ("return text.lower({})", "string expected, got table"),
            ("return text.words()", "bad argument #1 to 'words'"),
            (
                "return text.find_word('x', 'y')",
                "a list of words or a set",
            ),
        ] {
            let e = lua.load(code).eval::<Value>().unwrap_err();
            assert!(e.to_string().contains(needle), "{code}: {e}");
        }
        let odd: String = lua.load(r#"return text.lower("A\255B")"#).eval().unwrap();
        assert_eq!(odd, "ab");
        // The limit is back: a bomb after a text call still fails.
        let e = lua
            .load("local w = text.words('a b') return ('x'):rep(64 * 1024 * 1024)")
            .eval::<Value>()
            .unwrap_err();
        assert!(matches!(e, mlua::Error::MemoryError(_)), "{e}");
    }

    #[test]
    fn lists_are_read_raw_and_never_sized_by_their_length() {
        let lua = Lua::new();
        register(&lua).unwrap();
        // A table whose border is huge: `#t` may answer 2^62, which must not
        // become an allocation, nor a loop of that many reads.
        let ok: bool = lua
            .load(
                r#"local t = { "hola", "adiós" }
                   t[4] = "x"; for i = 3, 62 do t[1 << i] = "y" end
                   local a = text.find_any("ADIÓS", t)
                   local ok, e = pcall(text.find_word, "nada", t)
                   -- Metamethods are not consulted: the list is what it holds.
                   local m = setmetatable({}, { __index = function() error("read") end,
                                                __len = function() return 1 << 62 end })
                   return a == "adiós" and (ok and e == nil or tostring(e):find("not a string") ~= nil)
                     and text.find_any("x", m) == nil and text.find_word("x", m) == nil"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
        // A hole before the border is refused, as a non-string is.
        let e = lua
            .load("return text.find_word('x', {'a', nil, 'b'})")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("not a string"), "{e}");
    }
}
