//! The text rules scripts use, as plain Rust over `&str`: lower case,
//! words, phrase and whole-word search. No Lua here: `script::text` binds
//! these to the `text` table, and they are unit-tested below.
//!
//! Lua's `string.lower` only knows A–Z and its patterns see bytes, so every
//! Spanish rule ("¿algo más?", «Álvaro», «DÍAS») needed hand-written byte
//! tables. Scripts call these dozens of times per conversation, so the
//! common cases (ASCII, Latin-1 letters, short word lists) have fast paths.

use std::borrow::Cow;

/// `s` in lower case, for every script Unicode knows (Á → á, Ñ → ñ, Σ → σ):
/// each character's `to_lowercase`, with fast paths.
pub fn lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    lower_into(s, &mut out);
    out
}

/// Appends `s` in lower case to `out`: what [`lower`] gives, with runs of
/// ASCII (most of any text) lowered a slice at a time.
pub fn lower_into(s: &str, out: &mut String) {
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
pub fn lower_cow(s: &str) -> Cow<'_, str> {
    if has_upper(s) {
        Cow::Owned(lower(s))
    } else {
        Cow::Borrowed(s)
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
/// until it returns true. ASCII goes a byte at a time, Latin-1 letters
/// without Unicode's tables, others through them; short words are lowered
/// into a stack buffer, so the scan itself does not allocate.
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

/// The lower case of the valid UTF-8 in `bytes`; invalid sequences are dropped.
pub fn lower_valid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        lower_into(chunk.valid(), &mut out);
    }
    out
}

/// `bytes` as text, with invalid sequences replaced (borrowed when valid).
pub fn as_text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The texts `find_any` lowered last, with their lower case: scripts look
/// for several lists of phrases in the same turn, and in each turn again in
/// later hooks (`validate_conversation` walks them all).
#[derive(Default)]
pub struct Lowered {
    entries: Vec<(Vec<u8>, String)>,
    /// The entry to replace next.
    next: usize,
}

impl Lowered {
    /// Enough for every turn of a long conversation.
    const SIZE: usize = 32;

    /// The longest text kept: 64 KiB, longer than any turn, so that the
    /// cache holds at most 4 MiB (its copies are outside Lua's memory limit).
    pub const MAX_KEPT: usize = 64 << 10;

    /// The lower case of `bytes` (read as text), from the cache or made now.
    /// Texts over [`Lowered::MAX_KEPT`] are lowered each time, not kept.
    pub fn get(&mut self, bytes: &[u8]) -> Cow<'_, str> {
        if bytes.len() > Self::MAX_KEPT {
            return Cow::Owned(lower(&as_text(bytes)));
        }
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
        Cow::Borrowed(&self.entries[at].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`lower`] must agree with: each character's lower case.
    fn lowered(s: &str) -> impl Iterator<Item = char> + '_ {
        s.chars().flat_map(char::to_lowercase)
    }

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
    fn invalid_utf8_is_dropped_when_lowering_and_replaced_when_read() {
        assert_eq!(lower_valid(b"A\xffB"), "ab");
        assert_eq!(lower_valid("ÑU".as_bytes()), "ñu");
        assert_eq!(lower_valid(b""), "");
        assert_eq!(as_text(b"a\xffb"), "a\u{fffd}b");
        assert!(matches!(as_text(b"plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn find_any_and_find_word_on_empty_inputs() {
        assert_eq!(find_any("", &["x".to_string()]), None);
        assert_eq!(find_any("abc", &[]), None);
        // An empty phrase is found in any text, as `string.find(s, "", 1, true)` is.
        assert_eq!(find_any("abc", &[String::new()]), Some(""));
        assert_eq!(find_word("", &["x".to_string()]), None);
        assert_eq!(find_word("x", &[]), None);
        assert_eq!(find_word("¿?", &["".to_string()]), None);
    }
}
