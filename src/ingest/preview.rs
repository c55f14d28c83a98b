//! The menu's look at a scanned file before anything is written: its
//! counts and its first conversation as it will be stored (mapped, merged,
//! in UTC, with the reasons it would fail). Control characters in the
//! file's text are shown escaped, so a transcript cannot drive the terminal.

use std::fmt::Write as _;

use super::normalise::normalise;
use super::source::Scan;
use super::store::Plan;

/// `s` with control characters (other than line breaks) escaped.
pub fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The counts and the first conversation of a scanned file.
pub fn first_conversation(plan: &Plan, scan: &Scan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} conversation(s), {} row(s) or turn(s); batches {}-000001…",
        shown(&plan.recorded),
        scan.conversations,
        scan.turns,
        plan.name
    );
    let Some(raw) = &scan.first else {
        out.push_str("the file holds no conversation\n");
        return out;
    };
    let n = normalise(raw, plan.roles.as_ref(), &plan.recorded);
    let _ = writeln!(
        out,
        "first conversation{} (line {}), roles {}:",
        raw.id
            .as_deref()
            .map(|id| format!(" {}", shown(id)))
            .unwrap_or_default(),
        raw.line,
        shown(&n.roles.join(", "))
    );
    for t in &n.turns {
        let when = t.timestamp.as_deref().unwrap_or("-");
        let _ = writeln!(out, "  [{when}] {}: {}", shown(&t.role), shown(&t.text));
    }
    for issue in &n.issues {
        let _ = writeln!(out, "  ! {}", shown(issue));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_but_line_breaks_kept() {
        assert_eq!(shown("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\nc");
    }
}
