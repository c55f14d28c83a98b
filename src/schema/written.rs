//! Which fields a schema requires: every field convgen always writes.
//!
//! `schemars` leaves `Option` fields out of `required`, but convgen writes
//! most of them as `null` rather than leaving them out (`script`,
//! `prompt.version`, `generator.temperature`…), and a loader relies on the
//! key being there. So the required fields are read off a sample artefact
//! serialised by the same serde code that writes the files: a key present in
//! it with every optional value unset is one that is always written; keys
//! skipped when empty (`turns[].timestamp`, `request_ids`) stay optional.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::conversation::{
    Batch, BatchGenerator, BatchStatus, Conversation, Counts, GeneratorRef, Origin, PromptRef,
    SCHEMA_VERSION, ScenarioMode, ScenarioRef, Status, Turn, Usage,
};

/// A conversation with every optional value unset.
pub fn sample_conversation() -> Conversation {
    Conversation {
        schema_version: SCHEMA_VERSION,
        conversation_id: "p-000001-0001".into(),
        batch_id: "p-000001".into(),
        run_id: "run-000001".into(),
        origin: Origin::Generated,
        index: 1,
        prompt: Some(PromptRef {
            id: "p@000000000000".into(),
            name: "p".into(),
            version: None,
            revision: 1,
            sha256: String::new(),
        }),
        source: None,
        script: None,
        scenario: ScenarioRef {
            id: "s".into(),
            title: "S".into(),
        },
        variables: BTreeMap::new(),
        language: "es".into(),
        roles: vec!["a".into(), "b".into()],
        generator: GeneratorRef {
            provider: "mock".into(),
            model: "m".into(),
            endpoint_host: None,
            endpoint: None,
            temperature: None,
            seed: 1,
        },
        attempts: 1,
        status: Status::Valid,
        issues: Vec::new(),
        usage: Usage::default(),
        request_ids: Vec::new(),
        created_at: String::new(),
        turns: vec![Turn {
            index: 1,
            role: "a".into(),
            text: "t".into(),
            timestamp: None,
            latency_ms: None,
        }],
    }
}

/// A batch holding [`sample_conversation`], every optional value unset.
pub fn sample_batch() -> Batch {
    let conv = sample_conversation();
    Batch {
        schema_version: SCHEMA_VERSION,
        batch_id: conv.batch_id.clone(),
        run_id: conv.run_id.clone(),
        batch_index: 1,
        prompt: conv.prompt.clone(),
        source: None,
        script: None,
        scenario_mode: ScenarioMode::Random,
        generator: BatchGenerator {
            provider: "mock".into(),
            model: "m".into(),
            endpoint_host: None,
            temperature: None,
        },
        seed: 1,
        started_at: String::new(),
        finished_at: String::new(),
        status: BatchStatus::Complete,
        counts: Counts::default(),
        usage: Usage::default(),
        conversations: vec![conv],
    }
}

/// The `$defs` name a subschema points at, through `anyOf` (an `Option`).
fn def_name(schema: &Value) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.strip_prefix("#/$defs/").map(String::from);
    }
    schema
        .get("anyOf")
        .and_then(Value::as_array)
        .and_then(|alts| alts.iter().find_map(def_name))
}

/// Walks `sample` beside `schema`, noting the keys of each object under
/// its definition's name (`None`: the root).
fn collect(
    root: &Value,
    schema: &Value,
    name: Option<String>,
    sample: &Value,
    out: &mut Vec<(Option<String>, Vec<String>)>,
) {
    let Value::Object(fields) = sample else {
        return;
    };
    out.push((name, fields.keys().cloned().collect()));
    for (key, value) in fields {
        let Some(sub) = schema.get("properties").and_then(|p| p.get(key)) else {
            continue;
        };
        let (sub, sub_name) = match def_name(sub) {
            Some(d) => (&root["$defs"][&d], Some(d)),
            None => (sub, None),
        };
        match value {
            Value::Object(_) if sub_name.is_some() => collect(root, sub, sub_name, value, out),
            Value::Array(items) => {
                let item_schema = sub.get("items").cloned().unwrap_or_default();
                if let (Some(first), Some(d)) = (items.first(), def_name(&item_schema)) {
                    collect(root, &root["$defs"][&d], Some(d), first, out);
                }
            }
            _ => {}
        }
    }
}

/// Makes every key `sample` holds required where its object is described.
pub fn require_written(schema: &mut Value, sample: &Value) {
    let mut found = Vec::new();
    collect(schema, schema, None, sample, &mut found);
    for (name, keys) in found {
        let target = match &name {
            None => &mut *schema,
            Some(d) => &mut schema["$defs"][d],
        };
        target["required"] = Value::from(keys);
    }
}
