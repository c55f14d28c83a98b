//! The top-level error: every failure a command can report, with its exit code.

use crate::generate::GenerateError;
use crate::prompt::PromptError;
use crate::registry::RegistryError;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the work ran and found failures (failed conversations, audit findings).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage, configuration or input error; nothing useful was done.
pub const EXIT_ERROR: i32 = 2;

/// A command could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or argument is wrong.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// A run cannot be planned as asked.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// A run cannot be resumed as asked.
    #[error(transparent)]
    Resume(#[from] crate::resume::ResumeError),
    /// No generator could be built from the provider settings.
    #[error(transparent)]
    Provider(#[from] crate::llm::choose::ChooseError),
    /// A script could not be loaded or failed.
    #[error("{0}")]
    Script(String),
    /// Pre-run checks found problems: each on its own line, then what it means.
    #[error("{}\nerror: {} problem(s) with {subject}; nothing was sent or written (`{check}` lists them)", problems.join("\nerror: "), problems.len())]
    Problems {
        subject: String,
        problems: Vec<String>,
        /// The command that shows them again.
        check: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

impl From<crate::audit::AuditError> for Error {
    fn from(e: crate::audit::AuditError) -> Self {
        match e {
            crate::audit::AuditError::Registry(r) => Error::Registry(r),
            crate::audit::AuditError::Script(m) => Error::Script(m),
        }
    }
}

impl Error {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        EXIT_ERROR
    }
}
