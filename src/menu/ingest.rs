//! The menu's "ingest a file" questions: the file, its format and, for a
//! CSV, the column and speaker mapping; then a preview of the first
//! conversation as it will be stored, and a confirmation. Nothing is
//! written before it.

use camino::{Utf8Path, Utf8PathBuf};
use dialoguer::theme::Theme;
use dialoguer::{Confirm, Input, Select};

use super::{MenuExit, term};
use crate::ingest::Format;

/// What the operator chose to ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestChoice {
    pub file: Utf8PathBuf,
    pub format: Format,
    /// `--columns` (CSV only).
    pub columns: Option<String>,
    /// `--roles`, when given.
    pub roles: Option<String>,
}

/// What the menu needs from the file: its CSV header, and the preview of a
/// choice (the first conversation and the counts) or why it cannot be read.
pub trait IngestPreview {
    fn header(&self, file: &Utf8Path) -> Result<Vec<String>, String>;
    fn preview(&self, choice: &IngestChoice) -> Result<String, String>;
}

/// The format a file's extension suggests.
pub fn format_of(file: &Utf8Path) -> Format {
    match file.extension().map(str::to_ascii_lowercase).as_deref() {
        Some("jsonl" | "ndjson" | "json") => Format::Jsonl,
        _ => Format::Csv,
    }
}

/// The `--columns` a header suggests: the first header matching each key's
/// usual names (as speech-analytics platforms export them).
pub fn guess_columns(header: &[String]) -> String {
    const NAMES: &[(&str, &[&str])] = &[
        (
            "conversation",
            &[
                "conversation_id",
                "call_id",
                "conversation",
                "contact_id",
                "session_id",
                "interaction_id",
                "id",
            ],
        ),
        (
            "role",
            &[
                "role",
                "speaker",
                "participant",
                "party",
                "channel",
                "author",
            ],
        ),
        (
            "text",
            &[
                "text",
                "utterance",
                "transcript",
                "content",
                "message",
                "sentence",
            ],
        ),
        (
            "timestamp",
            &[
                "timestamp",
                "start_time",
                "start",
                "time",
                "datetime",
                "created_at",
            ],
        ),
    ];
    let lower: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    NAMES
        .iter()
        .filter_map(|(key, names)| {
            names
                .iter()
                .find_map(|n| lower.iter().position(|h| h == n))
                .map(|i| format!("{key}={}", header[i].trim()))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Asks for a line, pre-filled with `initial` for the operator to edit.
fn ask(theme: &dyn Theme, question: &str, initial: &str, empty: bool) -> Result<String, MenuExit> {
    Input::<String>::with_theme(theme)
        .with_prompt(question)
        .with_initial_text(initial)
        .allow_empty(empty)
        .interact_text()
        .map_err(term)
}

/// Asks for the file and its mapping until the preview reads it, then asks to confirm.
pub fn choose(theme: &dyn Theme, files: &dyn IngestPreview) -> Result<IngestChoice, MenuExit> {
    let mut file_text = String::new();
    loop {
        file_text = Input::<String>::with_theme(theme)
            .with_prompt("File to ingest (CSV or JSONL)")
            .with_initial_text(file_text.clone())
            .validate_with(|t: &String| {
                if Utf8Path::new(t.trim()).is_file() {
                    Ok(())
                } else {
                    Err(format!("{} is not a file", t.trim()))
                }
            })
            .interact_text()
            .map_err(term)?;
        let file = Utf8PathBuf::from(file_text.trim());
        let formats = [
            "csv — one row per turn",
            "jsonl — one conversation per line",
        ];
        let default = usize::from(format_of(&file) == Format::Jsonl);
        let Some(f) = Select::with_theme(theme)
            .with_prompt("Format")
            .items(formats)
            .default(default)
            .interact_opt()
            .map_err(term)?
        else {
            return Err(MenuExit::Cancelled);
        };
        let format = if f == 0 { Format::Csv } else { Format::Jsonl };
        let columns = if format == Format::Csv {
            match files.header(&file) {
                Ok(header) => {
                    eprintln!("Columns in the file: {}", header.join(", "));
                    let text = ask(
                        theme,
                        "Columns (KEY=COLUMN,…)",
                        &guess_columns(&header),
                        false,
                    )?;
                    Some(text.trim().to_string())
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    continue;
                }
            }
        } else {
            None
        };
        let roles = ask(
            theme,
            "Speaker labels to roles, e.g. AGENTE=agent,CLIENTE=client (empty: keep the labels)",
            "",
            true,
        )?;
        let choice = IngestChoice {
            file,
            format,
            columns,
            roles: Some(roles.trim().to_string()).filter(|r| !r.is_empty()),
        };
        match files.preview(&choice) {
            Ok(text) => eprintln!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                continue;
            }
        }
        let confirmed = Confirm::with_theme(theme)
            .with_prompt(format!("Ingest {}?", choice.file))
            .default(true)
            .interact_opt()
            .map_err(term)?;
        return match confirmed {
            Some(true) => Ok(choice),
            _ => Err(MenuExit::Cancelled),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_guessed_from_usual_header_names() {
        let header: Vec<String> = ["Call_ID", "Speaker", "Utterance", "start_time", "queue"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            guess_columns(&header),
            "conversation=Call_ID,role=Speaker,text=Utterance,timestamp=start_time"
        );
        assert_eq!(guess_columns(&["x".to_string()]), "");
        assert_eq!(format_of(Utf8Path::new("a/b.JSONL")), Format::Jsonl);
        assert_eq!(format_of(Utf8Path::new("calls.csv")), Format::Csv);
    }
}
