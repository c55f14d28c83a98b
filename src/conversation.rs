//! The artefact contract: conversations and batches as written to disk.
//!
//! Downstream tools (embeddings, clustering, BI) read these files, so the field
//! names and their order here are a public interface (SPEC §5). Changing one
//! means a new `SCHEMA_VERSION`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the conversation and batch JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Which prompt version a conversation came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PromptRef {
    /// `<name>@<first 12 hex digits of sha256>`: stable across data dirs.
    pub id: String,
    pub name: String,
    /// The author's label from the front matter, when set.
    pub version: Option<String>,
    /// 1 for the first content of this name seen by the registry, then 2, 3…
    pub revision: u32,
    pub sha256: String,
}

/// The file an ingested conversation was read from, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SourceRef {
    /// The file, relative to the working directory of the `ingest` command
    /// (`../` steps when outside it).
    pub path: String,
    /// sha256 of the whole file as read.
    pub sha256: String,
    /// `csv` or `jsonl`.
    pub format: String,
    /// The line (from 1) where the conversation starts; 0 on a batch, which
    /// holds many.
    pub line: u64,
    /// The conversation's id in the source (a CSV's conversation column, a
    /// JSONL line's `id`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Which script shaped a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScriptRef {
    /// The script file, relative to the working directory the run was made
    /// from (`../` steps when outside it; never a home or temp folder).
    pub path: String,
    pub sha256: String,
}

/// The chosen scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioRef {
    pub id: String,
    pub title: String,
}

/// Who wrote the text, and with which settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GeneratorRef {
    pub provider: String,
    pub model: String,
    pub endpoint_host: Option<String>,
    /// The `[[endpoints]]` entry that wrote it, when the run had named endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub temperature: Option<f64>,
    /// The conversation's own seed (derived from the run seed and its index).
    pub seed: u64,
}

/// Token usage, summed per conversation, batch and run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// Adds another usage to this one. Counts come from servers: a
    /// hostile `usage` of 2^64 - 1 saturates instead of wrapping.
    pub fn add(&mut self, other: Usage) {
        self.prompt_tokens = self.prompt_tokens.saturating_add(other.prompt_tokens);
        self.completion_tokens = self
            .completion_tokens
            .saturating_add(other.completion_tokens);
    }

    /// Prompt plus completion tokens.
    pub fn total(&self) -> u64 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// Whether a conversation passed every check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Valid,
    Failed,
}

impl Status {
    /// The name used in files, the registry and filters.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Failed => "failed",
        }
    }
}

/// Where a conversation comes from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Written by an LLM or the mock.
    #[default]
    Generated,
    /// Read from real transcripts (`convgen ingest`).
    Ingested,
}

impl Origin {
    /// The name used in files and filters.
    pub fn as_str(&self) -> &'static str {
        match self {
            Origin::Generated => "generated",
            Origin::Ingested => "ingested",
        }
    }
}

/// One utterance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Turn {
    /// Position in the conversation, from 1.
    pub index: u32,
    pub role: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// One conversation file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Conversation {
    pub schema_version: u32,
    pub conversation_id: String,
    pub batch_id: String,
    pub run_id: String,
    /// Made by a generator, or read from real transcripts.
    #[serde(default)]
    pub origin: Origin,
    /// Conversation number in the run, from 1.
    pub index: u64,
    /// The prompt version a generated conversation came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptRef>,
    /// Where an ingested conversation was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    pub script: Option<ScriptRef>,
    pub scenario: ScenarioRef,
    pub variables: BTreeMap<String, Value>,
    pub language: String,
    pub roles: Vec<String>,
    pub generator: GeneratorRef,
    pub attempts: u32,
    pub status: Status,
    pub issues: Vec<String>,
    pub usage: Usage,
    /// The provider's ids of the requests that wrote the accepted text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    pub created_at: String,
    pub turns: Vec<Turn>,
}

/// How scenarios are chosen for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "scenario", rename_all = "lowercase")]
pub enum ScenarioMode {
    /// Every conversation gets this scenario.
    Fixed(String),
    /// Uniformly at random.
    Random,
    /// At random, in proportion to the catalog's weights.
    Weighted,
    /// The script's `select_scenario` hook decides.
    Script,
    /// Read from the source with the conversation (`convgen ingest`).
    Ingested,
}

impl ScenarioMode {
    /// A short label: `fixed:<id>`, `random`, `weighted`, `script`.
    pub fn label(&self) -> String {
        match self {
            ScenarioMode::Fixed(id) => format!("fixed:{id}"),
            ScenarioMode::Random => "random".into(),
            ScenarioMode::Weighted => "weighted".into(),
            ScenarioMode::Script => "script".into(),
            ScenarioMode::Ingested => "ingested".into(),
        }
    }
}

/// The state of a batch.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    /// Reserved by a run, not written yet.
    Pending,
    /// Every conversation valid.
    Complete,
    /// Written, some conversations failed.
    Partial,
    /// Written, every conversation failed.
    Failed,
}

impl BatchStatus {
    /// The name used in files, the registry and filters.
    pub fn as_str(&self) -> &'static str {
        match self {
            BatchStatus::Pending => "pending",
            BatchStatus::Complete => "complete",
            BatchStatus::Partial => "partial",
            BatchStatus::Failed => "failed",
        }
    }

    /// The status of a written batch with these counts.
    pub fn from_counts(valid: u64, failed: u64) -> Self {
        match (valid, failed) {
            (_, 0) => BatchStatus::Complete,
            (0, _) => BatchStatus::Failed,
            _ => BatchStatus::Partial,
        }
    }
}

/// Requested, valid and failed conversation counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counts {
    pub requested: u64,
    pub valid: u64,
    pub failed: u64,
}

/// The generator settings shared by a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchGenerator {
    pub provider: String,
    pub model: String,
    pub endpoint_host: Option<String>,
    pub temperature: Option<f64>,
}

/// `batch.json`: the batch's metadata and all its conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Batch {
    pub schema_version: u32,
    pub batch_id: String,
    pub run_id: String,
    /// Position of the batch in its run, from 1.
    pub batch_index: u32,
    /// The prompt version of a generated batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptRef>,
    /// The file an ingested batch was read from (`line` 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    pub script: Option<ScriptRef>,
    pub scenario_mode: ScenarioMode,
    pub generator: BatchGenerator,
    /// The run seed.
    pub seed: u64,
    pub started_at: String,
    pub finished_at: String,
    pub status: BatchStatus,
    pub counts: Counts,
    pub usage: Usage,
    pub conversations: Vec<Conversation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_counts_saturate_instead_of_wrapping() {
        let mut u = Usage {
            prompt_tokens: u64::MAX - 1,
            completion_tokens: 5,
        };
        u.add(Usage {
            prompt_tokens: 10,
            completion_tokens: u64::MAX,
        });
        assert_eq!(u.prompt_tokens, u64::MAX);
        assert_eq!(u.completion_tokens, u64::MAX);
        assert_eq!(u.total(), u64::MAX);
    }
}
