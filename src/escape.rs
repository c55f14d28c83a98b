//! Text from outside convgen (a server's error body, a model's turns, a
//! script's `print`) made safe to show on a terminal or write into a log.
//!
//! Such text may hold terminal escapes (`ESC ] 0 ; … BEL` retitles a window,
//! `ESC [ 2 J` clears it) or a newline followed by a forged log line. Every
//! display edge (stderr, stdout, `run.log`, `preview.txt`) passes it through
//! here; the JSON artefacts keep the exact text, which JSON escapes anyway.
//!
//! What is shown visibly instead of being sent raw: C0 controls but tab
//! (`\n`, `\r`, others as `\u{1b}`), DEL and C1 controls, the Unicode line
//! and paragraph separators, and the bidirectional overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069) that reorder what a reader sees.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is shown escaped; a newline only where `keep_newline` is off.
fn hidden(c: char, keep_newline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_newline,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// Appends `c` as it is shown escaped: `\n`, `\r`, or `\u{…}` in hex.
fn push_shown(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escaped(text: &str, keep_newline: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c, keep_newline) {
            push_shown(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as one line: every control character shown escaped, a newline as `\n`.
pub fn line(text: &str) -> Cow<'_, str> {
    escaped(text, false)
}

/// `text` as lines: newlines kept, every other control character shown escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    escaped(text, true)
}

/// `text` as one line (see [`line`]) of at most `max_chars` characters
/// (escapes counted as shown), then `… (N bytes more)` for what is left out.
pub fn capped_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    let mut piece = String::new();
    for (at, c) in text.char_indices() {
        piece.clear();
        if hidden(c, false) {
            push_shown(&mut piece, c);
        } else {
            piece.push(c);
        }
        let width = piece.chars().count();
        if shown + width > max_chars {
            let _ = write!(out, "… ({} bytes more)", text.len() - at);
            return out;
        }
        shown += width;
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_forged_lines_are_shown_not_sent() {
        assert_eq!(line("\x1b]0;pwned\x07"), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(line("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            line("ok\n2026-12-02T03:00:00Z run-000001 [error] forged\rx"),
            "ok\\n2026-12-02T03:00:00Z run-000001 [error] forged\\rx"
        );
        assert_eq!(
            line("del\x7f c1\u{9b}31m nel\u{85}"),
            "del\\u{7f} c1\\u{9b}31m nel\\u{85}"
        );
        assert_eq!(
            line("\u{202e}txt.exe \u{2066}x\u{2069} \u{2028}"),
            "\\u{202e}txt.exe \\u{2066}x\\u{2069} \\u{2028}"
        );
        assert_eq!(line("\0"), "\\u{0}");
    }

    #[test]
    fn plain_text_passes_untouched() {
        let text = "Buenas tardes, ¿en qué puedo ayudarle?\tÑandú — 東京 😀 \\n";
        assert!(matches!(line(text), Cow::Borrowed(_)));
        assert_eq!(line(text), text);
        assert_eq!(block(text), text);
    }

    #[test]
    fn blocks_keep_their_newlines_only() {
        assert_eq!(block("one\ntwo\r\n\x1b[31m"), "one\ntwo\\r\n\\u{1b}[31m");
    }

    #[test]
    fn capped_lines_say_how_much_was_left_out() {
        assert_eq!(capped_line("short", 10), "short");
        assert_eq!(capped_line("abcdef", 6), "abcdef");
        assert_eq!(capped_line("abcdefgh", 5), "abcde… (3 bytes more)");
        // Bytes, not characters: `ñ` is two.
        assert_eq!(capped_line("abñ", 2), "ab… (2 bytes more)");
        // An escape is counted as shown, and never cut in half.
        assert_eq!(capped_line("ab\x1bc", 6), "ab… (2 bytes more)");
        assert_eq!(capped_line("a\nb", 10), "a\\nb");
        let big = "x".repeat(30_000_000);
        let capped = capped_line(&big, 500);
        assert_eq!(
            capped,
            format!("{}… (29999500 bytes more)", "x".repeat(500))
        );
    }
}
