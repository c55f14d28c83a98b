//! Which conversations a command means: batches named by id, by run or all,
//! narrowed by metadata the registry indexes. `export` and `list
//! conversations` share it, so a filter selects the same rows in both, and a
//! filter naming something the registry does not hold is an error listing
//! what it does hold, never an empty result.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;

use crate::conversation::{BatchStatus, Status};
use crate::prompt::{self, Prompt};
use crate::registry::{
    BatchFilter, BatchRecord, ConversationFilter, ConversationRecord, PromptRecord, Registry,
    RegistryError,
};

/// How many known values an error lists before it says how many more there are.
const KNOWN_SHOWN: usize = 12;

/// What to select: batches (explicit ids, a run, or every batch), then filters.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Explicit batch ids; empty means every batch (or the run's).
    pub batches: Vec<String>,
    pub run: Option<String>,
    /// Prompt name or prompt id.
    pub prompt: Option<String>,
    pub scenario: Option<String>,
    /// `None` is any status.
    pub status: Option<Status>,
    pub language: Option<String>,
    /// Batches created at or after (registry timestamp form).
    pub since: Option<String>,
    /// Batches created before (registry timestamp form).
    pub until: Option<String>,
}

/// A filter that names nothing the registry holds.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("{flag} {value}: no such {what} in {registry}; known: {known}")]
    Unknown {
        flag: &'static str,
        value: String,
        what: &'static str,
        registry: String,
        known: String,
    },
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The batches a query selects, and the prompt versions they were made with.
#[derive(Debug, Clone)]
pub struct Selected {
    pub batches: Vec<BatchRecord>,
    /// Registered prompt versions by prompt id, parsed from their stored source.
    pub prompts: BTreeMap<String, (PromptRecord, Option<Prompt>)>,
}

/// `a, b, c` of at most [`KNOWN_SHOWN`] values, then how many more.
fn known_list(values: impl IntoIterator<Item = String>) -> String {
    let all: Vec<String> = values.into_iter().collect();
    if all.is_empty() {
        return "none".into();
    }
    let mut out = all
        .iter()
        .take(KNOWN_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > KNOWN_SHOWN {
        out.push_str(&format!(" … ({} more)", all.len() - KNOWN_SHOWN));
    }
    out
}

/// Every registered prompt version, parsed from its stored bytes.
fn load_prompts(
    registry: &Registry,
) -> Result<BTreeMap<String, (PromptRecord, Option<Prompt>)>, RegistryError> {
    let mut out = BTreeMap::new();
    for record in registry.prompts()? {
        let parsed = registry
            .prompt_source(&record.sha256)?
            .and_then(|bytes| prompt::parse(Utf8Path::new(&record.path), &bytes).ok());
        out.insert(record.prompt_id.clone(), (record, parsed));
    }
    Ok(out)
}

/// Checks that a `--prompt` (name or id) and a `--run` name something the
/// registry holds; otherwise the error lists what it does hold.
pub fn check_names(
    registry: &Registry,
    prompt: Option<&str>,
    run: Option<&str>,
) -> Result<(), SelectError> {
    let place = || registry.path().to_string();
    if let Some(p) = prompt {
        let prompts = registry.prompts()?;
        // The name of ingested batches (`ingest --name`) selects them as a
        // prompt name selects generated ones.
        let ingested = || -> Result<BTreeSet<String>, RegistryError> {
            Ok(registry
                .runs()?
                .into_iter()
                .filter(|r| r.config.source.is_some())
                .map(|r| r.config.prompt_name)
                .collect())
        };
        if !prompts.iter().any(|r| r.name == p || r.prompt_id == p) && !ingested()?.contains(p) {
            let mut names: BTreeSet<String> = prompts.into_iter().map(|r| r.name).collect();
            names.extend(ingested()?);
            return Err(SelectError::Unknown {
                flag: "--prompt",
                value: p.to_string(),
                what: "prompt",
                registry: place(),
                known: known_list(names),
            });
        }
    }
    if let Some(run) = run
        && registry.run(run)?.is_none()
    {
        return Err(SelectError::Unknown {
            flag: "--run",
            value: run.to_string(),
            what: "run",
            registry: place(),
            known: known_list(registry.runs()?.into_iter().rev().map(|r| r.run_id)),
        });
    }
    Ok(())
}

/// Resolves a query to the written batches it selects, checking every name it holds.
pub fn resolve(registry: &Registry, q: &Query) -> Result<Selected, SelectError> {
    let place = || registry.path().to_string();
    let prompts = load_prompts(registry)?;
    check_names(registry, q.prompt.as_deref(), q.run.as_deref())?;
    if let Some(s) = &q.scenario {
        // Ingested conversations come with no scenario of a catalog.
        let ids: BTreeSet<String> = prompts
            .values()
            .filter_map(|(_, p)| p.as_ref())
            .flat_map(|p| p.scenarios.iter().map(|s| s.id.clone()))
            .chain([crate::ingest::conversation::UNLABELLED.to_string()])
            .collect();
        if !ids.contains(s) {
            return Err(SelectError::Unknown {
                flag: "--scenario",
                value: s.clone(),
                what: "scenario in any registered prompt",
                registry: place(),
                known: known_list(ids),
            });
        }
    }
    let candidates = if !q.batches.is_empty() {
        let mut out = Vec::new();
        for id in &q.batches {
            match registry.batch(id)? {
                Some(b) => out.push(b),
                None => {
                    let all = registry.batches(&BatchFilter::default())?;
                    return Err(SelectError::Unknown {
                        flag: "batch",
                        value: id.clone(),
                        what: "batch",
                        registry: place(),
                        known: known_list(all.into_iter().rev().map(|b| b.batch_id)),
                    });
                }
            }
        }
        out
    } else {
        registry.batches(&BatchFilter {
            prompt: q.prompt.clone(),
            run: q.run.clone(),
            status: None,
            since: q.since.clone(),
            until: q.until.clone(),
        })?
    };
    let batches = candidates
        .into_iter()
        .filter(|b| batch_matches(b, q, &prompts))
        .collect();
    Ok(Selected { batches, prompts })
}

/// Whether a batch passes the query's batch-level filters (written, run,
/// prompt, dates, language).
fn batch_matches(
    b: &BatchRecord,
    q: &Query,
    prompts: &BTreeMap<String, (PromptRecord, Option<Prompt>)>,
) -> bool {
    b.status != BatchStatus::Pending
        && q.run.as_ref().is_none_or(|r| &b.run_id == r)
        && q.prompt
            .as_ref()
            .is_none_or(|p| &b.prompt_name == p || &b.prompt_id == p)
        && q.since.as_ref().is_none_or(|s| &b.created_at >= s)
        && q.until.as_ref().is_none_or(|u| &b.created_at < u)
        && q.language.as_ref().is_none_or(|l| {
            prompts
                .get(&b.prompt_id)
                .is_some_and(|(r, _)| &r.language == l)
        })
}

/// The registered conversations of one selected batch that pass the query's
/// conversation-level filters (scenario, status), in id order.
pub fn conversations_of(
    registry: &Registry,
    batch: &BatchRecord,
    q: &Query,
) -> Result<Vec<ConversationRecord>, RegistryError> {
    let mut out = registry.conversations(&ConversationFilter {
        batch: Some(batch.batch_id.clone()),
        run: None,
        scenario: q.scenario.clone(),
        status: q.status.map(|s| s.as_str().to_string()),
    })?;
    out.sort_by(|a, b| a.conversation_id.cmp(&b.conversation_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_capped_with_a_count() {
        assert_eq!(known_list(Vec::new()), "none");
        assert_eq!(known_list(["a".to_string(), "b".into()]), "a, b");
        let many = (0..20).map(|i| format!("v{i}"));
        let text = known_list(many);
        assert!(text.starts_with("v0, v1"), "{text}");
        assert!(text.ends_with("(8 more)"), "{text}");
        assert!(!text.contains("v12"), "{text}");
    }
}
