//! Size caps on what a server sends back and on what turns mode re-sends.
//!
//! Each cap is far above anything a working endpoint produces (a call-centre
//! turn is a few hundred characters), so only a broken or hostile server
//! meets one; then the message says which cap and by how much, and nothing
//! oversized is stored or printed.

use crate::escape;

/// Characters of a server's error text kept in a message (one line).
pub const ERROR_CHARS: usize = 500;
/// Bytes of an error reply (a status other than 2xx) that are read (1 MiB).
pub const ERROR_BODY_BYTES: u64 = 1024 * 1024;
/// Characters of a request id (`x-request-id`, `apim-request-id`, a
/// completion's `id`) that a conversation records.
pub const REQUEST_ID_CHARS: usize = 128;
/// Characters one turn may hold (64 Ki): a longer turn fails the attempt.
pub const TURN_CHARS: usize = 65_536;
/// Characters of the conversation so far that turns mode re-sends with one
/// request (512 Ki, about 128k tokens: more than current models read).
pub const CONTEXT_CHARS: usize = 524_288;

/// A server's error text as messages carry it: one line, control
/// characters shown escaped, at most [`ERROR_CHARS`] characters.
pub fn error_text(raw: &str) -> String {
    escape::capped_line(raw.trim(), ERROR_CHARS)
}

/// A request id as a conversation records it: visible ASCII only, at most
/// [`REQUEST_ID_CHARS`]; `None` when nothing is left.
pub fn request_id(raw: &str) -> Option<String> {
    let id: String = raw
        .chars()
        .filter(char::is_ascii_graphic)
        .take(REQUEST_ID_CHARS)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Why a turn's text is too long to keep (`None` when it is not): "is N
/// characters long, …", to follow the turn's name.
pub fn turn_too_long(text: &str) -> Option<String> {
    if text.len() <= TURN_CHARS {
        return None;
    }
    let n = text.chars().count();
    (n > TURN_CHARS).then(|| {
        format!(
            "is {n} characters long, over the {TURN_CHARS} a turn may hold; write shorter turns"
        )
    })
}

/// Why turns mode cannot send the next request (`None` when it can): the
/// conversation so far, which every request re-sends, is over [`CONTEXT_CHARS`].
pub fn context_too_long(so_far: &[(String, String)]) -> Option<String> {
    let n: usize = so_far
        .iter()
        .map(|(role, text)| role.chars().count() + text.chars().count() + 3)
        .sum();
    (n > CONTEXT_CHARS).then(|| {
        format!(
            "the conversation so far is {n} characters, over the {CONTEXT_CHARS} that turns mode re-sends with each request; write shorter turns or use mode = \"whole\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_are_one_capped_line() {
        assert_eq!(error_text("  bad key \n"), "bad key");
        assert_eq!(
            error_text("x\n2026-12-02 ERROR forged\x1b[2J"),
            "x\\n2026-12-02 ERROR forged\\u{1b}[2J"
        );
        let huge = "e".repeat(30_000_000);
        let shown = error_text(&huge);
        assert!(shown.starts_with(&"e".repeat(ERROR_CHARS)));
        assert!(shown.ends_with(&format!("… ({} bytes more)", 30_000_000 - ERROR_CHARS)));
        assert!(shown.chars().count() < ERROR_CHARS + 40);
    }

    #[test]
    fn request_ids_keep_visible_ascii_up_to_the_cap() {
        assert_eq!(request_id("req-123").as_deref(), Some("req-123"));
        assert_eq!(request_id("a\x1b]0;b\x07 c").as_deref(), Some("a]0;bc"));
        assert_eq!(request_id(" \t\x1b"), None);
        let long = request_id(&"r".repeat(1_000_000)).unwrap();
        assert_eq!(long.len(), REQUEST_ID_CHARS);
    }

    #[test]
    fn turns_and_context_have_caps() {
        assert_eq!(turn_too_long(&"ñ".repeat(TURN_CHARS)), None);
        let over = turn_too_long(&"a".repeat(TURN_CHARS + 1)).unwrap();
        assert!(
            over.starts_with("is 65537 characters long, over the 65536"),
            "{over}"
        );
        let turn = ("agent".to_string(), "x".repeat(100_000));
        assert_eq!(context_too_long(&vec![turn.clone(); 5]), None);
        let over = context_too_long(&vec![turn; 6]).unwrap();
        assert!(
            over.contains("600048 characters, over the 524288"),
            "{over}"
        );
    }
}
