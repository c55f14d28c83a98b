//! The JSON Schema (draft 2020-12) of convgen's artefacts and export rows.
//!
//! The artefact schemas are derived with `schemars` from the very types the
//! files are written from ([`Conversation`], [`Batch`]); the row schemas from
//! the column list the export writes ([`crate::export::columns`]). Neither can
//! drift from what convgen writes. A prompt adds its declared `[variables]`.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::conversation::{Batch, Conversation};
use crate::export::columns::{Column, Kind, Scalar, conversation_columns, turn_columns};
use crate::prompt::Prompt;
use crate::vartype::{Base, VarType};

/// What a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Artefact {
    /// A conversation file (`conversations/<id>.json`).
    Conversation,
    /// A `batch.json`.
    Batch,
    /// One line of `export --format jsonl` at conversation level.
    ConversationRow,
    /// One line of `export --format jsonl --level turn`.
    TurnRow,
}

mod written;

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of `artefact`; `prompt` adds its declared variables (and, for
/// conversation rows, its `var.*` and `attr.*` columns).
pub fn schema(artefact: Artefact, prompt: Option<&Prompt>) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    match artefact {
        Artefact::Conversation => {
            let mut s = generator.into_root_schema_for::<Conversation>().to_value();
            let sample = serde_json::to_value(written::sample_conversation()).unwrap_or_default();
            written::require_written(&mut s, &sample);
            prompt_or_source(&mut s);
            if let Some(p) = prompt {
                declare(&mut s["properties"]["variables"], p);
            }
            s
        }
        Artefact::Batch => {
            let mut s = generator.into_root_schema_for::<Batch>().to_value();
            let sample = serde_json::to_value(written::sample_batch()).unwrap_or_default();
            written::require_written(&mut s, &sample);
            prompt_or_source(&mut s);
            prompt_or_source(&mut s["$defs"]["Conversation"]);
            if let Some(p) = prompt {
                declare(
                    &mut s["$defs"]["Conversation"]["properties"]["variables"],
                    p,
                );
            }
            s
        }
        Artefact::ConversationRow => {
            let columns = conversation_columns(prompt);
            let mut s = row_schema("ConversationRow", &columns);
            if prompt.is_none() {
                // Without a prompt the var.* and attr.* columns are not known.
                s["patternProperties"] = json!({"^(var|attr)\\.": {}});
            }
            s
        }
        Artefact::TurnRow => row_schema("TurnRow", &turn_columns()),
    }
}

/// The schema of one declared type.
fn type_schema(ty: &VarType) -> Value {
    let base = |b: Base| match b {
        Base::String => "string",
        Base::Number => "number",
        Base::Integer => "integer",
        Base::Boolean => "boolean",
        Base::Object => "object",
    };
    let mut s = if ty.list {
        json!({"type": "array", "items": {"type": base(ty.base)}})
    } else {
        json!({"type": base(ty.base)})
    };
    if ty.optional {
        s["type"] = json!([s["type"].clone(), "null"]);
    }
    s
}

/// Adds a prompt's declared variables to the schema of a `variables` object.
fn declare(variables: &mut Value, prompt: &Prompt) {
    let props: Map<String, Value> = prompt
        .variables
        .iter()
        .map(|(n, t)| (n.clone(), type_schema(t)))
        .collect();
    let required: Vec<&String> = prompt
        .variables
        .iter()
        .filter(|(_, t)| !t.optional)
        .map(|(n, _)| n)
        .collect();
    variables["properties"] = Value::Object(props);
    variables["required"] = json!(required);
}

fn scalar_type(s: Scalar) -> &'static str {
    match s {
        Scalar::Text => "string",
        Scalar::Int => "integer",
        Scalar::Float => "number",
        Scalar::Bool => "boolean",
    }
}

/// The schema of one column's JSONL value (every column may be null).
fn column_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text => json!({"type": ["string", "null"]}),
        Kind::Int => json!({"type": ["integer", "null"]}),
        Kind::UInt => json!({"type": ["integer", "null"], "minimum": 0}),
        Kind::Float => json!({"type": ["number", "null"]}),
        Kind::Bool => json!({"type": ["boolean", "null"]}),
        Kind::Time => json!({"type": ["string", "null"], "format": "date-time"}),
        Kind::Json => json!({}),
        Kind::List(s) => json!({"type": ["array", "null"], "items": {"type": scalar_type(s)}}),
    }
}

/// An object with exactly these columns as keys.
fn row_schema(title: &str, columns: &[Column]) -> Value {
    let props: Map<String, Value> = columns
        .iter()
        .map(|c| (c.name.clone(), column_schema(c.kind)))
        .collect();
    json!({
        "$schema": DRAFT,
        "title": title,
        "type": "object",
        "properties": props,
        "required": columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// A generated conversation or batch names its prompt, an ingested one its
/// source file: exactly one of the two (so neither is required alone; the
/// sample the required fields are read from is a generated one).
fn prompt_or_source(s: &mut Value) {
    if let Some(required) = s.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|f| f != "prompt");
    }
    s["oneOf"] = json!([
        {"required": ["prompt"], "not": {"required": ["source"]}},
        {"required": ["source"], "not": {"required": ["prompt"]}},
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artefact_schemas_require_the_contract_fields() {
        let s = schema(Artefact::Conversation, None);
        assert_eq!(s["$schema"], DRAFT);
        let required = s["required"].as_array().unwrap();
        let either = s["oneOf"].to_string();
        assert!(
            either.contains("\"prompt\"") && either.contains("\"source\""),
            "{either}"
        );
        for f in ["conversation_id", "status", "turns", "attempts", "roles"] {
            assert!(
                required.iter().any(|r| r == f),
                "{f} not required: {required:?}"
            );
        }
        let b = schema(Artefact::Batch, None);
        assert!(
            b["required"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "conversations")
        );
    }

    #[test]
    fn fields_written_as_null_are_required_and_skipped_ones_are_not() {
        let s = schema(Artefact::Conversation, None);
        let has = |v: &Value, f: &str| v.as_array().unwrap().iter().any(|r| r == f);
        assert!(has(&s["required"], "script"));
        assert!(has(&s["$defs"]["PromptRef"]["required"], "version"));
        assert!(has(&s["$defs"]["GeneratorRef"]["required"], "temperature"));
        assert!(!has(&s["$defs"]["GeneratorRef"]["required"], "endpoint"));
        assert!(has(&s["$defs"]["Turn"]["required"], "text"));
        assert!(!has(&s["$defs"]["Turn"]["required"], "timestamp"));
        assert!(!has(&s["required"], "request_ids"));
        let b = schema(Artefact::Batch, None);
        assert!(has(
            &b["$defs"]["BatchGenerator"]["required"],
            "endpoint_host"
        ));
        assert!(has(&b["$defs"]["Conversation"]["required"], "origin"));
    }

    #[test]
    fn declared_types_become_schemas() {
        let t = |s| type_schema(&VarType::parse(s).unwrap());
        assert_eq!(t("number"), json!({"type": "number"}));
        assert_eq!(t("object?"), json!({"type": ["object", "null"]}));
        assert_eq!(
            t("list<string>"),
            json!({"type": "array", "items": {"type": "string"}})
        );
    }

    #[test]
    fn row_schemas_list_every_column() {
        let s = schema(Artefact::TurnRow, None);
        assert_eq!(
            s["required"].as_array().unwrap().len(),
            turn_columns().len()
        );
        assert_eq!(s["properties"]["timestamp"]["format"], "date-time");
        assert_eq!(s["additionalProperties"], false);
    }
}
