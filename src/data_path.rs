//! Ids and relative paths read back from the registry, checked before they
//! become paths (SPEC §6).
//!
//! The registry is data, and data can be edited: a batch id of `../victim`
//! or a conversation file of `/dev/zero` must never reach the filesystem.
//! An id is what convgen makes (letters, digits, `_` and `-`); a relative
//! path is a few steps of such names (a `.json` suffix allowed), with no
//! `..`, `.`, empty or absolute step, so joined onto the data dir it stays
//! inside it. Whether a step on disk is a real folder and not a symlink is
//! [`crate::regular_file`]'s part.

use camino::{Utf8Path, Utf8PathBuf};

use crate::artefact::BatchDir;
use crate::registry::{BatchRecord, ConversationRecord};

/// Longest id accepted: a prompt name is at most 64 bytes, ids add a few digits.
pub const MAX_ID_LEN: usize = 128;
/// Most steps a relative path may have (`<batch>/conversations/<id>.json` has 3).
const MAX_STEPS: usize = 8;
/// Most characters of a bad value shown in a message.
const SHOWN_CHARS: usize = 80;

/// A registry value that cannot be used as a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{record}: its `{field}` {value} {why}; the registry was edited or is damaged, so convgen does not use it as a path"
)]
pub struct Tampered {
    /// The record at fault, e.g. "batch \"demo-000001\" in the registry".
    pub record: String,
    pub field: &'static str,
    /// The value, quoted and escaped (control characters never reach a terminal).
    pub value: String,
    pub why: &'static str,
}

/// A value quoted for a message: escaped, and cut short when long.
pub fn shown(value: &str) -> String {
    let mut out: String = value.chars().take(SHOWN_CHARS).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    format!("\"{}\"", out.escape_debug())
}

fn id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Why `value` is not an id convgen could have made, if it is not.
pub fn id_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.len() > MAX_ID_LEN {
        Some("is longer than any id convgen makes")
    } else if !value.bytes().all(id_char) {
        Some("holds characters no convgen id has (only letters, digits, `_` and `-`)")
    } else {
        None
    }
}

/// Why `value` is not a plain relative path inside the data dir, if it is not.
pub fn relative_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        return Some("is empty");
    }
    if value.starts_with('/') || Utf8Path::new(value).is_absolute() {
        return Some("is an absolute path, not one inside the data dir");
    }
    if value.contains('\\') {
        return Some("holds a backslash");
    }
    let steps: Vec<&str> = value.split('/').collect();
    if steps.len() > MAX_STEPS {
        return Some("has more steps than any file convgen writes");
    }
    for step in steps {
        let problem = match step {
            "" => "has an empty step",
            ".." => "has a `..` step, leading out of its folder",
            "." => "has a `.` step",
            s if s.starts_with('.') => "has a step starting with `.`",
            s if s.len() > MAX_ID_LEN + 8 => "has a step longer than any name convgen makes",
            s if !s.bytes().all(|b| id_char(b) || b == b'.') => {
                "holds characters no convgen file name has (only letters, digits, `_`, `-` and `.`)"
            }
            _ => continue,
        };
        return Some(problem);
    }
    None
}

/// Checks an id read from `record`.
pub fn check_id(record: &str, field: &'static str, value: &str) -> Result<(), Tampered> {
    match id_problem(value) {
        None => Ok(()),
        Some(why) => Err(tampered(record, field, value, why)),
    }
}

/// `value` joined onto `data_dir`, once it is checked as a plain relative path.
pub fn inside(
    data_dir: &Utf8Path,
    record: &str,
    field: &'static str,
    value: &str,
) -> Result<Utf8PathBuf, Tampered> {
    match relative_problem(value) {
        None => Ok(data_dir.join(value)),
        Some(why) => Err(tampered(record, field, value, why)),
    }
}

fn tampered(record: &str, field: &'static str, value: &str, why: &'static str) -> Tampered {
    Tampered {
        record: record.to_string(),
        field,
        value: shown(value),
        why,
    }
}

/// How messages name a batch record.
pub fn batch_label(batch_id: &str) -> String {
    format!("batch {} in the registry", shown(batch_id))
}

/// The folder a batch record is written to, read from or audited in: its
/// `batch_id`, `run_id` and `path` checked.
pub fn batch_folder(data_dir: &Utf8Path, batch: &BatchRecord) -> Result<BatchDir, Tampered> {
    let record = batch_label(&batch.batch_id);
    check_id(&record, "batch_id", &batch.batch_id)?;
    check_id(&record, "run_id", &batch.run_id)?;
    inside(data_dir, &record, "path", &batch.path)?;
    Ok(BatchDir::new(data_dir, &batch.path))
}

/// The file of a conversation record, checked: its ids and its `file`.
pub fn conversation_file(
    data_dir: &Utf8Path,
    conv: &ConversationRecord,
) -> Result<Utf8PathBuf, Tampered> {
    let record = format!(
        "conversation {} in the registry",
        shown(&conv.conversation_id)
    );
    check_id(&record, "conversation_id", &conv.conversation_id)?;
    check_id(&record, "batch_id", &conv.batch_id)?;
    inside(data_dir, &record, "file", &conv.file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_convgen_makes_pass_and_anything_else_is_named() {
        for good in ["demo-000001", "run-000001", "call_center_es-000002-0007"] {
            assert_eq!(id_problem(good), None, "{good}");
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        for (bad, needle) in [
            ("", "empty"),
            ("../victim", "characters"),
            ("a/b", "characters"),
            ("..", "characters"),
            ("a\0b", "characters"),
            ("demo 1", "characters"),
            (long.as_str(), "longer"),
        ] {
            let why = id_problem(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(why.contains(needle), "{bad:?}: {why}");
        }
    }

    #[test]
    fn relative_paths_stay_inside_the_data_dir() {
        for good in [
            "demo-000001",
            "demo-000001/conversations/demo-000001-0001.json",
        ] {
            assert_eq!(relative_problem(good), None, "{good}");
        }
        for (bad, needle) in [
            ("", "empty"),
            ("../outside", "`..`"),
            ("demo-000001/../../etc/passwd", "`..`"),
            ("/dev/zero", "absolute"),
            ("//dev/zero", "absolute"),
            ("a//b", "empty step"),
            ("a/", "empty step"),
            ("./a", "`.` step"),
            ("a/.hidden", "starting with `.`"),
            ("a\\..\\b", "backslash"),
            ("a/b c", "characters"),
            ("a/\u{1b}[2J", "characters"),
            ("a/b/c/d/e/f/g/h/i", "more steps"),
        ] {
            let why = relative_problem(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(why.contains(needle), "{bad:?}: {why}");
        }
    }

    #[test]
    fn a_refusal_names_the_record_the_field_and_the_value_escaped() {
        let e = inside(
            Utf8Path::new("batches"),
            "batch \"x\"",
            "path",
            "../\u{1b}]x",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("batch \"x\": its `path` \"../\\u{1b}]x\""),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_eq!(text.lines().count(), 1);
        let long = format!("../{}", "a".repeat(500));
        assert!(shown(&long).chars().count() < SHOWN_CHARS + 4);
        assert_eq!(
            inside(Utf8Path::new("batches"), "r", "path", "demo-000001").unwrap(),
            Utf8Path::new("batches/demo-000001")
        );
        assert!(check_id("r", "run_id", "run-000001").is_ok());
    }
}
