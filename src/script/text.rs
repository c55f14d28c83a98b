//! The `text` library scripts get: the string work validation rules need,
//! Unicode-aware and done natively.
//!
//! Lua's `string.lower` only knows A–Z and its patterns see bytes, so every
//! Spanish rule ("¿algo más?", «Álvaro», «DÍAS») needed hand-written byte
//! tables, and they were most of a script's run time. The rules themselves
//! are plain Rust over `&str`, unit-tested here; the bindings are raw Lua C
//! functions, because these are called dozens of times per conversation and
//! a general-purpose callback costs more than the work.
//!
//! Safety of the bindings: a Lua error (a wrong argument, or memory running
//! out) unwinds by `longjmp`, so while they call into Lua they hold only
//! borrows, stack arrays and plain values, nothing with a destructor; the
//! one heap value (`find_any`'s lowered text) lives only across calls that
//! cannot raise (raw reads and pops).

use std::ffi::{c_char, c_int};

use mlua::{Lua, ffi};

/// Lower case, for every script Unicode knows (Á → á, Ñ → ñ, Σ → σ).
pub fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// The words of a text, as slices of it: runs of letters and digits (any
/// script); everything else (spaces, «¿», «¡», punctuation) separates them.
/// `text.words` hands them over in lower case.
pub fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The words of a text, in lower case.
pub fn words(s: &str) -> Vec<String> {
    split_words(s).map(lower).collect()
}

/// True when `phrase` occurs in `lowered` (a text already in lower case),
/// ignoring case; plain text, no patterns.
pub fn contains(lowered: &str, phrase: &str) -> bool {
    if phrase.chars().any(char::is_uppercase) {
        lowered.contains(lower(phrase).as_str())
    } else {
        lowered.contains(phrase)
    }
}

/// The first of `phrases` found in `s`, ignoring case.
pub fn find_any<'p>(s: &str, phrases: &'p [String]) -> Option<&'p str> {
    let hay = lower(s);
    phrases
        .iter()
        .find(|p| contains(&hay, p))
        .map(String::as_str)
}

/// Number of characters (not bytes); each invalid UTF-8 sequence counts as one.
pub fn len(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum()
}

/// The valid UTF-8 of `bytes` with invalid sequences dropped, chunk by chunk.
fn valid_chunks(bytes: &[u8]) -> impl Iterator<Item = &str> {
    bytes.utf8_chunks().map(|c| c.valid())
}

/// Argument `arg` as bytes (raises a Lua error naming `func` when it is not
/// a string or number).
unsafe fn arg_bytes<'a>(state: *mut ffi::lua_State, arg: c_int) -> &'a [u8] {
    let mut n = 0usize;
    // SAFETY: the string stays on the stack (an argument) while borrowed.
    unsafe {
        let p = ffi::luaL_checklstring(state, arg, &mut n);
        std::slice::from_raw_parts(p as *const u8, n)
    }
}

/// Pushes `s` in lower case, through a stack array: no Rust heap value.
unsafe fn push_lower(state: *mut ffi::lua_State, s: &str) {
    unsafe {
        if !s.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
            ffi::lua_pushlstring(state, s.as_ptr() as *const c_char, s.len());
            return;
        }
        let mut b: ffi::luaL_Buffer = std::mem::zeroed();
        ffi::luaL_buffinit(state, &mut b);
        let mut chunk = [0u8; 256];
        let mut used = 0;
        for c in s.chars() {
            for l in c.to_lowercase() {
                if used + 4 > chunk.len() {
                    ffi::luaL_addlstring(&mut b, chunk.as_ptr() as *const c_char, used);
                    used = 0;
                }
                used += l.encode_utf8(&mut chunk[used..]).len();
            }
        }
        ffi::luaL_addlstring(&mut b, chunk.as_ptr() as *const c_char, used);
        ffi::luaL_pushresult(&mut b);
    }
}

/// `text.lower(s)`.
unsafe extern "C-unwind" fn lua_lower(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let bytes = arg_bytes(state, 1);
        match std::str::from_utf8(bytes) {
            Ok(s) => push_lower(state, s),
            Err(_) => {
                // Invalid bytes are dropped: lower the valid pieces and join them.
                let mut pieces = 0;
                for piece in valid_chunks(bytes) {
                    ffi::luaL_checkstack(state, 2, c"text.lower: text too long".as_ptr());
                    push_lower(state, piece);
                    pieces += 1;
                }
                ffi::lua_concat(state, pieces);
            }
        }
        1
    }
}

/// `text.words(s)`.
unsafe extern "C-unwind" fn lua_words(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let bytes = arg_bytes(state, 1);
        ffi::lua_createtable(state, 16, 0);
        let mut n: ffi::lua_Integer = 0;
        for piece in valid_chunks(bytes) {
            for word in split_words(piece) {
                push_lower(state, word);
                n += 1;
                ffi::lua_rawseti(state, -2, n);
            }
        }
        1
    }
}

/// `text.len(s)`.
unsafe extern "C-unwind" fn lua_len(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let n = len(arg_bytes(state, 1));
        ffi::lua_pushinteger(state, ffi::lua_Integer::try_from(n).unwrap_or(0));
        1
    }
}

/// What `find_any` found at one position of the list.
enum Probe {
    Found,
    Missed,
    NotAString,
}

/// `text.find_any(s, phrases)`: the first phrase (a string, or a list of
/// them) that occurs in `s` ignoring case, or nil.
unsafe extern "C-unwind" fn lua_find_any(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let bytes = arg_bytes(state, 1);
        let kind = ffi::lua_type(state, 2);
        if kind != ffi::LUA_TSTRING && kind != ffi::LUA_TTABLE {
            return ffi::luaL_error(
                state,
                c"text.find_any(s, phrases): phrases must be a string or a list of strings"
                    .as_ptr(),
            );
        }
        let probe = |hay: &str, idx: c_int| -> Probe {
            if ffi::lua_type(state, idx) != ffi::LUA_TSTRING {
                return Probe::NotAString;
            }
            let mut n = 0usize;
            let p = ffi::lua_tolstring(state, idx, &mut n);
            let phrase = String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, n));
            if contains(hay, &phrase) {
                Probe::Found
            } else {
                Probe::Missed
            }
        };
        // `hay` is the one heap value: only raw reads and pops happen while
        // it lives, and none of them can raise.
        let hay = lower(&String::from_utf8_lossy(bytes));
        let outcome = if kind == ffi::LUA_TSTRING {
            ffi::lua_pushvalue(state, 2);
            probe(&hay, -1)
        } else {
            let mut outcome = Probe::Missed;
            let mut i = 1;
            loop {
                if ffi::lua_rawgeti(state, 2, i) == ffi::LUA_TNIL {
                    break;
                }
                match probe(&hay, -1) {
                    Probe::Missed => ffi::lua_pop(state, 1),
                    found_or_bad => {
                        outcome = found_or_bad;
                        break;
                    }
                }
                i += 1;
            }
            outcome
        };
        drop(hay);
        match outcome {
            Probe::Found => 1,
            Probe::Missed => {
                ffi::lua_pushnil(state);
                1
            }
            Probe::NotAString => ffi::luaL_error(
                state,
                c"text.find_any(s, phrases): phrases must be strings".as_ptr(),
            ),
        }
    }
}

/// Installs the `text` table in a state's globals.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let functions: [(&str, ffi::lua_CFunction); 4] = [
        ("lower", lua_lower),
        ("words", lua_words),
        ("len", lua_len),
        ("find_any", lua_find_any),
    ];
    for (name, f) in functions {
        // SAFETY: each function follows the C API contract above.
        t.set(name, unsafe { lua.create_c_function(f)? })?;
    }
    lua.globals().set("text", t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_knows_accents_and_other_scripts() {
        assert_eq!(lower("ÁLVARO Núñez ÜBER"), "álvaro núñez über");
        assert_eq!(lower("ΣΟΦΙΑ"), "σοφια");
        assert_eq!(lower("Plain ASCII"), "plain ascii");
    }

    #[test]
    fn words_split_on_spanish_punctuation() {
        assert_eq!(
            words("¿Puedes DECIRME tu DNI, Álvaro? ¡Gracias!"),
            ["puedes", "decirme", "tu", "dni", "álvaro", "gracias"]
        );
        assert_eq!(words("TV-0482913: 47,35 €"), ["tv", "0482913", "47", "35"]);
        assert!(words(" ¿? ").is_empty());
    }

    #[test]
    fn find_any_is_plain_and_ignores_case() {
        let phrases = ["algo más".to_string(), "adiós".to_string()];
        assert_eq!(find_any("¿Desea ALGO MÁS?", &phrases), Some("algo más"));
        assert_eq!(find_any("Adiós, buen día", &phrases), Some("adiós"));
        assert_eq!(find_any("Nada", &phrases), None);
        // Pattern characters are plain text.
        let dots = [".*".to_string()];
        assert_eq!(find_any("abc", &dots), None);
        assert_eq!(find_any("a.*b", &dots), Some(".*"));
    }

    #[test]
    fn len_counts_characters() {
        assert_eq!(len("ñandú".as_bytes()), 5);
        assert_eq!(len(b"abc"), 3);
        assert_eq!(len(&[0x61, 0xff, 0x62]), 3);
    }

    #[test]
    fn lua_sees_the_library() {
        use mlua::Value;
        let lua = Lua::new();
        lua.set_memory_limit(8 * 1024 * 1024).unwrap();
        register(&lua).unwrap();
        let ok: bool = lua
            .load(
                r#"local w = text.words("¿Tienes el DNI?")
                   return text.lower("ÑU") == "ñu" and #w == 3 and w[1] == "tienes"
                     and text.find_any("Buenos DÍAS", {"hola", "buenos días"}) == "buenos días"
                     and text.find_any("x", "y") == nil and text.len("año") == 3"#,
            )
            .eval()
            .unwrap();
        assert!(ok);
        let e = lua
            .load("return text.find_any('x', {1})")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("phrases must be strings"), "{e}");
        let e = lua
            .load("return text.find_any('x', 5)")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("a string or a list"), "{e}");
        let e = lua
            .load("return text.lower({})")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("string expected"), "{e}");
        let odd: String = lua.load(r#"return text.lower("A\255B")"#).eval().unwrap();
        assert_eq!(odd, "ab");
        // The limit is back: a bomb after a text call still fails.
        let e = lua
            .load("local w = text.words('a b') return ('x'):rep(64 * 1024 * 1024)")
            .eval::<Value>()
            .unwrap_err();
        assert!(matches!(e, mlua::Error::MemoryError(_)), "{e}");
    }
}
