//! Reading a registered conversation file for export: its ids and path
//! checked before use ([`data_path`]), only a regular file of bounded size
//! opened, never through a symlink ([`regular_file`]), and its bytes
//! verified against the sha256 the registry holds before they are parsed.

use camino::{Utf8Path, Utf8PathBuf};

use crate::conversation::Conversation;
use crate::data_path::{self, Tampered};
use crate::prompt::sha256_hex;
use crate::registry::ConversationRecord;
use crate::regular_file::{self, FileError, MAX_CONVERSATION_BYTES};

/// Why a registered conversation file cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}; nothing exported (run `convgen audit`)")]
    Unsafe(#[from] Tampered),
    #[error("{0}; nothing exported (run `convgen audit`)")]
    File(#[from] FileError),
    #[error(
        "{path}: modified after it was registered (sha256 differs); nothing exported (run `convgen audit`)"
    )]
    Tampered { path: Utf8PathBuf },
    #[error("{path}: not a conversation file: {message}")]
    Invalid { path: Utf8PathBuf, message: String },
}

/// Reads, verifies and parses the conversation `record` registers.
pub fn read_verified(
    data_dir: &Utf8Path,
    record: &ConversationRecord,
) -> Result<Conversation, ReadError> {
    let path = data_path::conversation_file(data_dir, record)?;
    let bytes = regular_file::read_inside(
        data_dir,
        Utf8Path::new(&record.file),
        MAX_CONVERSATION_BYTES,
    )?;
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
    fn only_plain_relative_paths_to_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let data = Utf8Path::from_path(dir.path()).unwrap();
        for bad in [
            "",
            "/etc/passwd",
            "../x.json",
            "b/../../x.json",
            "./b/x.json",
        ] {
            let e = read_verified(data, &record(bad)).unwrap_err();
            assert!(matches!(e, ReadError::Unsafe(_)), "{bad}: {e}");
            assert!(e.to_string().contains("does not use it as a path"), "{e}");
        }
        std::fs::create_dir_all(data.join("b/conversations")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", data.join("b/conversations/x.json")).unwrap();
        let e = read_verified(data, &record("b/conversations/x.json")).unwrap_err();
        assert!(matches!(e, ReadError::File(_)), "{e}");
        let real = data.join("b/conversations/y.json");
        std::fs::write(&real, b"{}").unwrap();
        let e = read_verified(data, &record("b/conversations/y.json")).unwrap_err();
        assert!(matches!(e, ReadError::Tampered { .. }), "{e}");
    }
}
