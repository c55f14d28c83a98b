//! Audit of ingested conversations: they have no prompt version to look up,
//! so their lineage is their `source` (the file and sha256 their run read)
//! and their built-in checks are the ones that apply to real transcripts.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;
use chrono::{DateTime, Utc};

use crate::conversation::{Conversation, SourceRef, Status, Turn};
use crate::prompt::{Prompt, PromptMode};
use crate::validate::parse_utc_timestamp;

/// What is wrong with an ingested conversation read back: (kind, message).
pub fn findings(
    conv: &Conversation,
    run_source: Option<&SourceRef>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match (&conv.source, run_source) {
        (None, _) => out.push((
            "registry_mismatch",
            format!(
                "{} is ingested but names no source file",
                conv.conversation_id
            ),
        )),
        (Some(s), Some(run)) if s.sha256 != run.sha256 || s.path != run.path => out.push((
            "registry_mismatch",
            format!(
                "{} says it was read from {} (sha256 {}), its run read {} (sha256 {})",
                conv.conversation_id, s.path, s.sha256, run.path, run.sha256
            ),
        )),
        _ => {}
    }
    if conv.prompt.is_some() {
        out.push((
            "registry_mismatch",
            format!("{} is ingested but names a prompt", conv.conversation_id),
        ));
    }
    if conv.status == Status::Valid {
        let issues = check_stored(&conv.turns, &conv.roles);
        if !issues.is_empty() {
            out.push((
                "check_failed",
                format!("fails the built-in checks: {}", issues.join("; ")),
            ));
        }
    }
    out
}

/// What an audit script's `ctx.prompt` holds for an ingested conversation:
/// the batches' name, the source file as title, the conversation's
/// language and roles, `turns` 0 (real calls have no fixed length) and no
/// scenarios.
pub fn stand_in_prompt(conv: &Conversation, name: &str) -> Prompt {
    let source = conv.source.as_ref();
    Prompt {
        path: Utf8PathBuf::from(source.map_or("", |s| s.path.as_str())),
        name: name.to_string(),
        title: source.map_or_else(String::new, |s| s.path.clone()),
        language: conv.language.clone(),
        roles: conv.roles.clone(),
        turns: 0,
        timestamps: conv.turns.iter().any(|t| t.timestamp.is_some()),
        version: None,
        script: None,
        start: None,
        temperature: None,
        max_tokens: None,
        mode: PromptMode::Whole,
        system: String::new(),
        scenarios: Vec::new(),
        placeholder_lines: BTreeMap::new(),
        malformed: Vec::new(),
        variables: BTreeMap::new(),
        // Scripts share ctx tables per prompt sha256: one per source and roles.
        sha256: format!(
            "ingested:{}:{}",
            source.map_or("", |s| s.sha256.as_str()),
            conv.roles.join(",")
        ),
    }
}

/// The checks of a stored ingested conversation, for `audit`: texts not
/// empty, roles among its `roles`, timestamps RFC 3339 UTC and increasing.
pub fn check_stored(turns: &[Turn], roles: &[String]) -> Vec<String> {
    let mut issues = Vec::new();
    if turns.is_empty() {
        issues.push("it has no turns".to_string());
    }
    let mut previous: Option<DateTime<Utc>> = None;
    for (i, turn) in turns.iter().enumerate() {
        let n = i + 1;
        if turn.index as usize != n {
            issues.push(format!("turn {n} is numbered {}", turn.index));
        }
        if !roles.contains(&turn.role) {
            issues.push(format!("turn {n}: unknown role `{}`", turn.role));
        }
        if turn.text.trim().is_empty() {
            issues.push(format!("turn {n}: empty text"));
        }
        if let Some(s) = turn.timestamp.as_deref() {
            match parse_utc_timestamp(s) {
                None => issues.push(format!("turn {n}: timestamp `{s}` is not RFC 3339 UTC")),
                Some(t) => {
                    if previous.is_some_and(|p| t <= p) {
                        issues.push(format!(
                            "turn {n}: timestamp {s} is not after the previous turn's"
                        ));
                    }
                    previous = Some(t);
                }
            }
        }
    }
    issues
}
