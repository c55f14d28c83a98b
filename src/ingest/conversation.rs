//! An ingested conversation as convgen stores it: the raw conversation
//! normalised and checked, with `origin: "ingested"`, its `source` (file,
//! sha256, format, line, id) in place of a prompt, and its metadata kept
//! as `variables`.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;

use super::RawConversation;
use super::normalise::normalise;
use super::store::Plan;
use crate::conversation::{
    Conversation, GeneratorRef, Origin, SCHEMA_VERSION, ScenarioRef, SourceRef, Status, Usage,
};
use crate::generate::conversation_id;
use crate::registry::BatchRecord;

/// The scenario of an ingested conversation: real calls come unlabelled.
pub const UNLABELLED: &str = "unlabelled";
/// Its title.
pub const UNLABELLED_TITLE: &str = "Unlabelled (ingested)";
/// The language recorded when the source does not give one (BCP 47 "undetermined").
pub const UNDETERMINED: &str = "und";

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The source a conversation (or, with line 0, a batch) came from.
pub fn source_ref(plan: &Plan, sha256: &str, line: u64, id: Option<String>) -> SourceRef {
    SourceRef {
        path: plan.recorded.clone(),
        sha256: sha256.to_string(),
        format: plan.format.as_str().to_string(),
        line,
        id,
    }
}

/// One conversation of a batch, normalised and checked.
pub fn conversation(
    plan: &Plan,
    sha256: &str,
    raw: RawConversation,
    batch: &BatchRecord,
    n: u64,
) -> Conversation {
    let norm = normalise(&raw, plan.roles.as_ref(), &plan.recorded);
    let language = match raw.metadata.get("language") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => UNDETERMINED.to_string(),
    };
    let status = if norm.issues.is_empty() {
        Status::Valid
    } else {
        Status::Failed
    };
    Conversation {
        schema_version: SCHEMA_VERSION,
        conversation_id: conversation_id(&batch.batch_id, n),
        batch_id: batch.batch_id.clone(),
        run_id: batch.run_id.clone(),
        origin: Origin::Ingested,
        index: batch.first_index + n - 1,
        prompt: None,
        source: Some(source_ref(plan, sha256, raw.line, raw.id)),
        script: None,
        scenario: ScenarioRef {
            id: UNLABELLED.into(),
            title: UNLABELLED_TITLE.into(),
        },
        variables: raw.metadata.into_iter().collect::<BTreeMap<_, _>>(),
        language,
        roles: norm.roles,
        generator: GeneratorRef {
            provider: "ingest".into(),
            model: plan.format.as_str().into(),
            endpoint_host: None,
            endpoint: None,
            temperature: None,
            seed: 0,
        },
        attempts: 1,
        status,
        issues: norm.issues,
        usage: Usage::default(),
        request_ids: Vec::new(),
        created_at: now(),
        turns: norm.turns,
    }
}
