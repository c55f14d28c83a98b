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

/// The characters of `s` in lower case, for every script Unicode knows
/// (Á → á, Ñ → ñ, Σ → σ): the one definition `lower` and the bindings share.
fn lowered(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `s` in lower case.
pub fn lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    lower_into(s, &mut out);
    out
}

/// Appends `s` in lower case to `out`: what [`lowered`] gives, with runs of
/// ASCII (most of any text) lowered a slice at a time.
fn lower_into(s: &str, out: &mut String) {
    let mut rest = s;
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| b >= 0x80).unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        if let Some(c) = rest.chars().next() {
            match latin1_lower(c) {
                Some(l) => out.push(l),
                None => out.extend(c.to_lowercase()),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// The lower case of a Latin-1 letter (À–ÿ, where Spanish, Portuguese,
/// French, German and Catalan letters live) without Unicode's tables;
/// `None` for any other character.
fn latin1_lower(c: char) -> Option<char> {
    match c {
        // À–Þ are capitals one row above their small letters, but for ×.
        '\u{C0}'..='\u{DE}' if c != '\u{D7}' => char::from_u32(c as u32 + 0x20),
        // ß–ÿ (and ÷) have no lower case of their own.
        '\u{D7}' | '\u{DF}'..='\u{FF}' => Some(c),
        _ => None,
    }
}

/// True when lowering `s` changes it.
fn has_upper(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.chars().any(|c| {
        if c.is_ascii() {
            c.is_ascii_uppercase()
        } else if let Some(l) = latin1_lower(c) {
            l != c
        } else {
            let mut l = c.to_lowercase();
            !(l.len() == 1 && l.next() == Some(c))
        }
    })
}

/// `s` in lower case, borrowed when it has no capital to lower.
fn lower_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if has_upper(s) {
        std::borrow::Cow::Owned(lower(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The words of a text, in lower case: runs of letters and digits (any
/// script); everything else (spaces, «¿», «¡», punctuation) separates them.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    scan_words(s, |word| {
        out.push(match word {
            Word::Lowered(w) => String::from_utf8_lossy(w).into_owned(),
            Word::Long(w) => lower(w),
        });
        false
    });
    out
}

/// True when `phrase` occurs in `lowered` (a text already in lower case),
/// ignoring case; plain text, no patterns.
pub fn contains(lowered: &str, phrase: &str) -> bool {
    lowered.contains(lower_cow(phrase).as_ref())
}

/// The first of `phrases` found in `s`, ignoring case.
pub fn find_any<'p>(s: &str, phrases: &'p [String]) -> Option<&'p str> {
    let hay = lower(s);
    phrases
        .iter()
        .find(|p| contains(&hay, p))
        .map(String::as_str)
}

/// A word as [`scan_words`] hands it over.
pub enum Word<'a> {
    /// In lower case.
    Lowered(&'a [u8]),
    /// As written: too long for the scan's buffer (lower it yourself).
    Long(&'a str),
}

/// Calls `f` with each word of `s` (as [`words`] cuts them), in lower case,
/// until it returns true. ASCII goes a byte at a time, other letters
/// through Unicode's tables. No heap: the C bindings run it across calls
/// that may `longjmp`.
pub fn scan_words(s: &str, mut f: impl FnMut(Word) -> bool) -> bool {
    let mut buf = [0u8; 256];
    let mut used = 0;
    let mut start = None;
    let mut too_long = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    loop {
        let at = i;
        // The next character, lowered into `buf` when it belongs to a word.
        let in_word = match bytes.get(i) {
            None => false,
            Some(&b) if b < 0x80 => {
                i += 1;
                if b.is_ascii_alphanumeric() {
                    if used < buf.len() {
                        buf[used] = b.to_ascii_lowercase();
                        used += 1;
                    } else {
                        too_long = true;
                    }
                    true
                } else {
                    false
                }
            }
            Some(_) => {
                let c = s[i..].chars().next().unwrap_or(' ');
                i += c.len_utf8();
                if let Some(l) = latin1_lower(c).filter(|_| c != '\u{D7}' && c != '\u{F7}') {
                    // À–ÿ but × and ÷: letters, lowered without Unicode's tables.
                    if used + l.len_utf8() <= buf.len() {
                        used += l.encode_utf8(&mut buf[used..]).len();
                    } else {
                        too_long = true;
                    }
                    true
                } else if c.is_alphanumeric() {
                    for l in c.to_lowercase() {
                        if used + l.len_utf8() <= buf.len() {
                            used += l.encode_utf8(&mut buf[used..]).len();
                        } else {
                            too_long = true;
                        }
                    }
                    true
                } else {
                    false
                }
            }
        };
        if in_word {
            start.get_or_insert(at);
            continue;
        }
        if let Some(from) = start.take() {
            let word = if too_long {
                Word::Long(&s[from..at])
            } else {
                Word::Lowered(&buf[..used])
            };
            if f(word) {
                return true;
            }
        }
        used = 0;
        too_long = false;
        if i >= bytes.len() {
            return false;
        }
    }
}

/// Where in `list` (words in lower case) the first word of `s` that is one
/// of them sits, ignoring the case of `s`.
pub fn find_word_in(s: &str, list: &[&[u8]]) -> Option<usize> {
    // A short list is scanned; a long one is sorted by length first, so each
    // word is compared with the few of its length.
    const SCAN: usize = 48;
    let mut by_len: Vec<(usize, usize)> = Vec::new();
    if list.len() > SCAN {
        by_len = list.iter().map(|e| e.len()).zip(0..).collect();
        by_len.sort_unstable();
    }
    // Which (first byte, length) pairs the list holds: most words of a text
    // are ruled out by one bit test, without looking at the list.
    let pair = |w: &[u8]| usize::from(w.first().copied().unwrap_or(0)) * 16 + w.len().min(15);
    let mut pairs = [0u64; 64];
    for e in list {
        let p = pair(e);
        pairs[p / 64] |= 1 << (p % 64);
    }
    let mut found = None;
    scan_words(s, |word| {
        let long;
        let w = match word {
            Word::Lowered(w) => w,
            Word::Long(w) => {
                long = lower(w);
                long.as_bytes()
            }
        };
        let p = pair(w);
        if pairs[p / 64] & (1 << (p % 64)) == 0 {
            return false;
        }
        found = if list.len() > SCAN {
            let from = by_len.partition_point(|(len, _)| *len < w.len());
            by_len[from..]
                .iter()
                .take_while(|(len, _)| *len == w.len())
                .find(|(_, i)| list[*i] == w)
                .map(|(_, i)| *i)
        } else {
            // Length and first byte rule out most entries without a memcmp.
            list.iter()
                .position(|e| e.len() == w.len() && e.first() == w.first() && *e == w)
        };
        found.is_some()
    });
    found
}

/// The first word of `s` that is one of `words`, ignoring case; as listed.
pub fn find_word<'w>(s: &str, words: &'w [String]) -> Option<&'w str> {
    let lowered: Vec<String> = words.iter().map(|w| lower(w)).collect();
    let list: Vec<&[u8]> = lowered.iter().map(|w| w.as_bytes()).collect();
    find_word_in(s, &list).map(|i| words[i].as_str())
}

/// `bytes` as text: borrowed when valid UTF-8 (checked at full speed, and
/// not at all for ASCII), with invalid sequences replaced otherwise.
fn as_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return std::borrow::Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Number of characters (not bytes); each invalid UTF-8 sequence counts as one.
pub fn len(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        // Characters are the bytes that do not continue one.
        Ok(_) => bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count(),
        Err(_) => bytes
            .utf8_chunks()
            .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
            .sum(),
    }
}

/// The valid UTF-8 of `bytes` with invalid sequences dropped, chunk by chunk
/// (one chunk, checked at full speed, when all of it is valid).
/// (No heap: the C bindings hold it across calls that may `longjmp`.)
fn valid_chunks(bytes: &[u8]) -> ValidChunks<'_> {
    match std::str::from_utf8(bytes) {
        Ok(s) => ValidChunks::Whole(Some(s)),
        Err(_) => ValidChunks::Pieces(bytes.utf8_chunks()),
    }
}

enum ValidChunks<'a> {
    Whole(Option<&'a str>),
    Pieces(std::str::Utf8Chunks<'a>),
}

impl<'a> Iterator for ValidChunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            ValidChunks::Whole(s) => s.take(),
            ValidChunks::Pieces(chunks) => chunks.next().map(|c| c.valid()),
        }
    }
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
        for l in lowered(s) {
            if used + 4 > chunk.len() {
                ffi::luaL_addlstring(&mut b, chunk.as_ptr() as *const c_char, used);
                used = 0;
            }
            used += l.encode_utf8(&mut chunk[used..]).len();
        }
        ffi::luaL_addlstring(&mut b, chunk.as_ptr() as *const c_char, used);
        ffi::luaL_pushresult(&mut b);
    }
}

/// Pushes a word from [`scan_words`] in lower case.
unsafe fn push_word(state: *mut ffi::lua_State, word: Word) {
    unsafe {
        match word {
            Word::Lowered(w) => {
                ffi::lua_pushlstring(state, w.as_ptr() as *const c_char, w.len());
            }
            Word::Long(w) => push_lower(state, w),
        }
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
            scan_words(piece, |word| {
                push_word(state, word);
                n += 1;
                ffi::lua_rawseti(state, -2, n);
                false
            });
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

/// The texts `find_any` lowered last, with their lower case: scripts look
/// for several lists of phrases in the same turn, and in each turn again in
/// later hooks (`validate_conversation` walks them all).
#[derive(Default)]
struct Lowered {
    entries: Vec<(Vec<u8>, String)>,
    /// The entry to replace next.
    next: usize,
}

impl Lowered {
    /// Enough for every turn of a long conversation.
    const SIZE: usize = 32;

    /// The lower case of `bytes` (read as text), from the cache or made now.
    fn get(&mut self, bytes: &[u8]) -> &str {
        let at = match self.entries.iter().position(|(b, _)| b == bytes) {
            Some(i) => i,
            None => {
                let mut lowered = String::new();
                lower_into(&as_text(bytes), &mut lowered);
                let entry = (bytes.to_vec(), lowered);
                if self.entries.len() < Self::SIZE {
                    self.entries.push(entry);
                    self.entries.len() - 1
                } else {
                    let i = self.next;
                    self.entries[i] = entry;
                    self.next = (i + 1) % Self::SIZE;
                    i
                }
            }
        };
        &self.entries[at].1
    }
}

thread_local! {
    static LOWERED: std::cell::Cell<Lowered> = const {
        std::cell::Cell::new(Lowered {
            entries: Vec::new(),
            next: 0,
        })
    };
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
            let phrase = as_text(std::slice::from_raw_parts(p as *const u8, n));
            if contains(hay, &phrase) {
                Probe::Found
            } else {
                Probe::Missed
            }
        };
        // `hay` (and the cache borrow) are the heap values here: only raw
        // reads and pops happen while they live, and none of them can raise.
        let mut cache = LOWERED.with(|c| c.take());
        let hay = cache.get(bytes);
        let outcome = if kind == ffi::LUA_TSTRING {
            ffi::lua_pushvalue(state, 2);
            probe(hay, -1)
        } else {
            let mut outcome = Probe::Missed;
            let mut i = 1;
            loop {
                if ffi::lua_rawgeti(state, 2, i) == ffi::LUA_TNIL {
                    break;
                }
                match probe(hay, -1) {
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
        LOWERED.with(|c| c.replace(cache));
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

/// `text.find_word(s, words)`: the first word of `s` that is in `words` (a
/// list of words, or a set: a table with the words, in lower case, as keys),
/// ignoring case; the entry as written in the list (the word, for a set), or nil.
unsafe extern "C-unwind" fn lua_find_word(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let bytes = arg_bytes(state, 1);
        if ffi::lua_type(state, 2) != ffi::LUA_TTABLE {
            return ffi::luaL_error(
                state,
                c"text.find_word(s, words): words must be a list of words or a set of them"
                    .as_ptr(),
            );
        }
        let n = ffi::lua_rawlen(state, 2);
        if n == 0 {
            // A set: look each word up as a key (a pushed string may
            // allocate, so no heap value lives here).
            for piece in valid_chunks(bytes) {
                let hit = scan_words(piece, |word| {
                    push_word(state, word);
                    ffi::lua_pushvalue(state, -1);
                    ffi::lua_rawget(state, 2);
                    let hit = ffi::lua_toboolean(state, -1) != 0;
                    ffi::lua_pop(state, if hit { 1 } else { 2 });
                    hit
                });
                if hit {
                    return 1;
                }
            }
            ffi::lua_pushnil(state);
            return 1;
        }
        // A list: read it once (raw reads and pops only while `list` lives:
        // none can raise), then compare words against it in Rust.
        let mut list: Vec<std::borrow::Cow<'_, [u8]>> = Vec::with_capacity(n);
        for i in 1..=n {
            if ffi::lua_rawgeti(state, 2, i as ffi::lua_Integer) != ffi::LUA_TSTRING {
                ffi::lua_pop(state, 1);
                break;
            }
            let mut len = 0usize;
            let p = ffi::lua_tolstring(state, -1, &mut len);
            ffi::lua_pop(state, 1);
            // The table keeps the string alive after the pop.
            let raw = std::slice::from_raw_parts(p as *const u8, len);
            list.push(match lower_cow(&as_text(raw)) {
                std::borrow::Cow::Owned(w) => std::borrow::Cow::Owned(w.into_bytes()),
                std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(raw),
            });
        }
        let bad = list.len() < n;
        let found = if bad {
            None
        } else {
            let plain: Vec<&[u8]> = list.iter().map(|e| e.as_ref()).collect();
            valid_chunks(bytes).find_map(|piece| find_word_in(piece, &plain))
        };
        drop(list);
        if bad {
            return ffi::luaL_error(
                state,
                c"text.find_word(s, words): the list holds something that is not a string".as_ptr(),
            );
        }
        match found {
            Some(i) => {
                ffi::lua_rawgeti(state, 2, i as ffi::lua_Integer + 1);
            }
            None => ffi::lua_pushnil(state),
        }
        1
    }
}

/// Installs the `text` table in a state's globals.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let functions: [(&str, ffi::lua_CFunction); 5] = [
        ("lower", lua_lower),
        ("words", lua_words),
        ("len", lua_len),
        ("find_any", lua_find_any),
        ("find_word", lua_find_word),
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
    fn lower_is_the_lower_case_of_each_character() {
        for s in [
            "",
            "plain",
            "MiXeD ASCII 123 ¿Qué TAL?",
            "ÁÉÍÓÚ ÑÜ àéí",
            "Straße İstanbul ǅ ΣΟΦΙΑ",
            "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
            "😀 emoji AND text",
            "x\u{301}Y",
        ] {
            let expected: String = lowered(s).collect();
            assert_eq!(lower(s), expected, "{s:?}");
            assert_eq!(has_upper(s), expected != s, "{s:?}");
            assert_eq!(lower_cow(s), expected, "{s:?}");
        }
    }

    #[test]
    fn latin1_letters_split_and_lower_as_unicode_says() {
        for c in '\u{80}'..='\u{24F}' {
            let expected: Vec<String> = if c.is_alphanumeric() {
                vec![c.to_lowercase().collect()]
            } else {
                Vec::new()
            };
            assert_eq!(words(&format!(" {c} ")), expected, "{c:?}");
        }
    }

    #[test]
    fn find_word_in_short_and_long_lists() {
        let short: Vec<&[u8]> = vec![b"tu", b"tienes", "está".as_bytes()];
        assert_eq!(find_word_in("¿Ya ESTÁ?", &short), Some(2));
        assert_eq!(find_word_in("Usted tiene", &short), None);
        assert_eq!(find_word_in("", &short), None);
        assert_eq!(find_word_in("tu", &[]), None);
        // Repeated entries: the first answers.
        let twice: Vec<&[u8]> = vec![b"a", b"tu", b"b", b"tu"];
        assert_eq!(find_word_in("y tu", &twice), Some(1));
        // Words longer than 63 bytes share a length bit: still compared exactly.
        let long_a = "a".repeat(70);
        let long_b = "a".repeat(80);
        let longs: Vec<&[u8]> = vec![long_a.as_bytes()];
        assert_eq!(find_word_in(&long_b, &longs), None);
        assert_eq!(find_word_in(&format!("x {long_a}"), &longs), Some(0));
        // Past the scan limit the list is searched by length: same answers.
        let owned: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let mut long: Vec<&[u8]> = owned.iter().map(|w| w.as_bytes()).collect();
        long.extend(short.iter().copied());
        assert_eq!(find_word_in("ya está", &long), Some(102));
        assert_eq!(find_word_in("di W57 y w3", &long), Some(57));
        assert_eq!(find_word_in("nada", &long), None);
    }

    #[test]
    fn the_lowered_cache_answers_for_the_text_asked() {
        let mut cache = Lowered::default();
        let texts: Vec<String> = (0..Lowered::SIZE * 2 + 3)
            .map(|i| format!("TURNO {i} ÁRBOL"))
            .collect();
        for round in 0..2 {
            for t in &texts {
                assert_eq!(cache.get(t.as_bytes()), lower(t), "round {round}");
            }
        }
        assert_eq!(cache.entries.len(), Lowered::SIZE);
        assert_eq!(cache.get(&[b'A', 0xff, b'B']), "a\u{fffd}b");
    }

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
    fn long_words_are_kept_whole() {
        let long = "Á".repeat(200);
        let text = format!("uno {long} dos");
        let got = words(&text);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], "á".repeat(200));
        assert_eq!(got[2], "dos");
        let list = [long.clone()];
        assert_eq!(find_word(&format!("x {long}"), &list), Some(long.as_str()));
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
    fn find_word_matches_whole_words_only() {
        let tuteo = ["tú".to_string(), "Tienes".to_string()];
        assert_eq!(find_word("¿TIENES el DNI?", &tuteo), Some("Tienes"));
        assert_eq!(find_word("Usted tiene el DNI", &tuteo), None);
        assert_eq!(find_word("¿Y TÚ?", &tuteo), Some("tú"));
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
                     and text.find_any("x", "y") == nil and text.len("año") == 3
                     and text.find_word("¿TIENES el DNI?", {"tú", "tienes"}) == "tienes"
                     and text.find_word("Usted tiene", {"tú", "tienes"}) == nil
                     and text.find_word("¿Y TÚ?", {"Tú"}) == "Tú"
                     and text.find_word("¿Y TÚ?", {["tú"] = true}) == "tú"
                     and text.find_word("usted", {usted = false}) == nil"#,
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
            .load("return text.find_word('x', {'a', 3})")
            .eval::<Value>()
            .unwrap_err();
        assert!(e.to_string().contains("not a string"), "{e}");
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
