//! Reading a registered conversation file for export: its path checked
//! before use, only a regular file of bounded size opened, and its bytes
//! verified against the sha256 the registry holds before they are parsed.

use std::io::Read;

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};

use crate::conversation::Conversation;
use crate::prompt::sha256_hex;
use crate::registry::ConversationRecord;

/// The largest conversation file read (a conversation of a few hundred turns is well under it).
pub const MAX_CONVERSATION_BYTES: u64 = 64 * 1024 * 1024;

/// Why a registered conversation file cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(
        "{conversation_id}: the registry names the file `{file}`, which is not a path inside the data dir"
    )]
    Unsafe {
        conversation_id: String,
        file: String,
    },
    #[error("{path}: cannot be read: {message}")]
    Unreadable { path: Utf8PathBuf, message: String },
    #[error("{path}: not a regular file; nothing exported (run `convgen audit`)")]
    NotAFile { path: Utf8PathBuf },
    #[error("{path}: larger than {MAX_CONVERSATION_BYTES} bytes; nothing exported")]
    TooLarge { path: Utf8PathBuf },
    #[error(
        "{path}: modified after it was registered (sha256 differs); nothing exported (run `convgen audit`)"
    )]
    Tampered { path: Utf8PathBuf },
    #[error("{path}: not a conversation file: {message}")]
    Invalid { path: Utf8PathBuf, message: String },
}

/// The file of `record` under `data_dir`, when its registered path is a
/// plain relative path (no `..`, not absolute).
pub fn conversation_path(
    data_dir: &Utf8Path,
    record: &ConversationRecord,
) -> Result<Utf8PathBuf, ReadError> {
    let rel = Utf8Path::new(&record.file);
    let plain = !record.file.is_empty()
        && rel
            .components()
            .all(|c| matches!(c, Utf8Component::Normal(_)));
    if !plain {
        return Err(ReadError::Unsafe {
            conversation_id: record.conversation_id.clone(),
            file: record.file.clone(),
        });
    }
    Ok(data_dir.join(rel))
}

/// Reads, verifies and parses the conversation `record` registers.
pub fn read_verified(
    data_dir: &Utf8Path,
    record: &ConversationRecord,
) -> Result<Conversation, ReadError> {
    let path = conversation_path(data_dir, record)?;
    let unreadable = |e: std::io::Error| ReadError::Unreadable {
        path: path.clone(),
        message: e.to_string(),
    };
    let meta = std::fs::symlink_metadata(&path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path });
    }
    let file = std::fs::File::open(&path).map_err(unreadable)?;
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_CONVERSATION_BYTES) as usize);
    file.take(MAX_CONVERSATION_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_CONVERSATION_BYTES {
        return Err(ReadError::TooLarge { path });
    }
    if sha256_hex(&bytes) != record.sha256 {
        return Err(ReadError::Tampered { path });
    }
    serde_json::from_slice(&bytes).map_err(|e| ReadError::Invalid {
        path,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Usage;

    fn record(file: &str) -> ConversationRecord {
        ConversationRecord {
            conversation_id: "p-000001-0001".into(),
            batch_id: "p-000001".into(),
            run_id: "run-000001".into(),
            index: 1,
            prompt_id: "p@0".into(),
            scenario_id: "s".into(),
            status: "valid".into(),
            attempts: 1,
            turns: 2,
            issues: Vec::new(),
            usage: Usage::default(),
            file: file.into(),
            sha256: String::new(),
        }
    }

    #[test]
    fn only_plain_relative_paths_are_used() {
        let dir = Utf8Path::new("/data");
        assert_eq!(
            conversation_path(dir, &record("b/conversations/x.json")).unwrap(),
            "/data/b/conversations/x.json"
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x.json",
            "b/../../x.json",
            "./b/x.json",
        ] {
            let e = conversation_path(dir, &record(bad))
                .unwrap_err()
                .to_string();
            assert!(e.contains("not a path inside the data dir"), "{bad}: {e}");
        }
    }
}
