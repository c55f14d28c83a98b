//! The findings of one batch's audit, and reading the files it checks.

use camino::Utf8Path;

use super::Finding;
use crate::prompt::sha256_hex;
use crate::regular_file::{self, FileError};

/// Findings of one batch, as they are found.
pub(super) struct Collector<'a> {
    pub(super) batch_id: &'a str,
    pub(super) findings: Vec<Finding>,
}

impl Collector<'_> {
    /// Records one finding.
    pub(super) fn add(
        &mut self,
        kind: &'static str,
        conversation: Option<&str>,
        file: Option<&str>,
        message: String,
    ) {
        self.findings.push(Finding {
            batch_id: self.batch_id.to_string(),
            conversation_id: conversation.map(String::from),
            file: file.map(String::from),
            kind,
            message,
        });
    }

    /// Reads a registered file, finding `missing_file` when it cannot be
    /// read and `sha256_mismatch` when it is not the `sha256` registered.
    /// Returns its bytes and whether they are untouched.
    /// Only regular files are read, never through a symlink, and at most
    /// `max` bytes: anything else is `not_regular_file` or `file_too_large`.
    pub(super) fn read_registered(
        &mut self,
        (data_dir, rel): (&Utf8Path, &Utf8Path),
        conversation: Option<&str>,
        max: u64,
        sha256: &str,
    ) -> Option<(Vec<u8>, bool)> {
        let path = data_dir.join(rel);
        let file = rel.as_str();
        let bytes = match regular_file::read_inside(data_dir, rel, max) {
            Ok(bytes) => bytes,
            Err(e) => {
                let (kind, message) = match &e {
                    FileError::NotRegular { .. } | FileError::NotFolder { .. } => {
                        ("not_regular_file", e.to_string())
                    }
                    FileError::TooLarge { .. } => ("file_too_large", e.to_string()),
                    FileError::Io { source, .. } => {
                        ("missing_file", format!("{path} cannot be read: {source}"))
                    }
                };
                self.add(kind, conversation, Some(file), message);
                return None;
            }
        };
        let untouched = sha256_hex(&bytes) == sha256;
        if !untouched {
            let message = format!("{path} was modified after it was registered (sha256 differs)");
            self.add("sha256_mismatch", conversation, Some(file), message);
        }
        Some((bytes, untouched))
    }
}
