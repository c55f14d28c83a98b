//! The reply contract: what the model is asked to return, as Rust types.
//!
//! The JSON Schema sent with a request (`response_format` json_schema) is
//! derived with `schemars` from the same types a reply is read into, so the
//! schema the model is given and the parser that reads its answer cannot
//! drift apart. Reading is lenient where models are (a reply wrapped in a
//! markdown code fence is accepted) and strict where it matters (every turn
//! needs a string `role` and `text`), with reasons the model is told on the
//! next attempt.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Deserialize;
use serde_json::Value;

/// A whole conversation: `{"turns": [{"role": …, "text": …}, …]}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConversationReply {
    pub turns: Vec<ReplyTurn>,
}

/// One turn of a [`ConversationReply`].
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReplyTurn {
    pub role: String,
    pub text: String,
}

/// One utterance, in turn-by-turn mode: `{"text": …}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct UtteranceReply {
    pub text: String,
}

/// The schema of `T`, inline, without the meta keys (`$schema`, `title`)
/// that strict structured-output modes do not take, and without the doc
/// comments (written for whoever reads this code, not for the model, whose
/// instructions are in the system message).
fn schema_of<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    strip_descriptions(&mut schema);
    schema
}

/// Removes `description` from a schema and its subschemas (a property
/// that happened to be named `description` would stay: the keys of
/// `properties` are names, not keywords).
fn strip_descriptions(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    map.remove("description");
    for (keyword, value) in map.iter_mut() {
        match (keyword.as_str(), value) {
            ("properties", Value::Object(props)) => props.values_mut().for_each(strip_descriptions),
            (_, Value::Array(items)) => items.iter_mut().for_each(strip_descriptions),
            (_, sub @ Value::Object(_)) => strip_descriptions(sub),
            _ => {}
        }
    }
}

/// The schema of a conversation reply, each `role` one of the prompt's roles.
pub fn conversation_schema(roles: &[String]) -> Value {
    let mut schema = schema_of::<ConversationReply>();
    if let Some(role) = schema.pointer_mut("/properties/turns/items/properties/role") {
        role["enum"] = Value::from(roles.to_vec());
    }
    schema
}

/// The schema of one utterance.
pub fn utterance_schema() -> Value {
    schema_of::<UtteranceReply>()
}

/// Strips a markdown code fence around a reply, if there is one.
pub fn strip_fence(content: &str) -> &str {
    let t = content.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

/// Reads a [`ConversationReply`] out of a reply's content, as (role, text) pairs.
pub fn parse_turns(content: &str) -> Result<Vec<(String, String)>, String> {
    let v: Value = serde_json::from_str(strip_fence(content)).map_err(|e| {
        format!("the reply is not valid JSON ({e}); reply with the JSON object only")
    })?;
    let turns = v.get("turns").and_then(Value::as_array).ok_or(
        "the reply has no `turns` array; reply with {\"turns\": [{\"role\": …, \"text\": …}]}",
    )?;
    turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let t = ReplyTurn::deserialize(t)
                .map_err(|_| format!("turn {} lacks a string `role` or `text`", i + 1))?;
            match super::limits::turn_too_long(&t.text) {
                Some(why) => Err(format!("turn {} {why}", i + 1)),
                None => Ok((t.role, t.text)),
            }
        })
        .collect()
}

/// Reads an [`UtteranceReply`]; a reply that is plain text, not JSON, is the
/// utterance itself.
pub fn parse_utterance(content: &str) -> Result<String, String> {
    let text = read_utterance(content)?;
    match super::limits::turn_too_long(&text) {
        Some(why) => Err(format!("the utterance {why}")),
        None => Ok(text),
    }
}

fn read_utterance(content: &str) -> Result<String, String> {
    let body = strip_fence(content);
    match serde_json::from_str::<Value>(body) {
        Ok(v) => UtteranceReply::deserialize(&v)
            .map(|u| u.text)
            .map_err(|_| {
                "the reply has no string `text`; reply with {\"text\": \"…\"}".to_string()
            }),
        Err(_) if !body.is_empty() && !body.starts_with('{') => Ok(body.to_string()),
        Err(e) => Err(format!(
            "the reply is not valid JSON ({e}); reply with {{\"text\": \"…\"}}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversation_schema_is_strict_and_names_the_roles() {
        let roles = vec!["agent".to_string(), "client".to_string()];
        assert_eq!(
            conversation_schema(&roles),
            serde_json::json!({
                "type": "object",
                "properties": {
                    "turns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "role": {"type": "string", "enum": ["agent", "client"]},
                                "text": {"type": "string"}
                            },
                            "required": ["role", "text"],
                            "additionalProperties": false
                        }
                    }
                },
                "required": ["turns"],
                "additionalProperties": false
            })
        );
        assert_eq!(
            utterance_schema(),
            serde_json::json!({
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn what_the_schema_describes_the_parser_reads() {
        let reply = r#"{"turns": [{"role": "agent", "text": "Hola"}, {"role": "client", "text": "Buenas"}]}"#;
        assert_eq!(
            parse_turns(reply).unwrap(),
            vec![
                ("agent".to_string(), "Hola".to_string()),
                ("client".to_string(), "Buenas".to_string())
            ]
        );
        assert_eq!(parse_utterance(r#"{"text": "Sí"}"#).unwrap(), "Sí");
        assert_eq!(parse_utterance("Sí, claro").unwrap(), "Sí, claro");
        assert!(parse_utterance(r#"{"texto": "Sí"}"#).is_err());
    }

    #[test]
    fn an_oversize_turn_is_a_reason_naming_it() {
        let long = "a".repeat(super::super::limits::TURN_CHARS + 1);
        let reply = serde_json::json!({"turns": [
            {"role": "agent", "text": "Hola"},
            {"role": "client", "text": long},
        ]});
        let why = parse_turns(&reply.to_string()).unwrap_err();
        assert!(why.starts_with("turn 2 is 65537 characters long"), "{why}");
        let why = parse_utterance(&serde_json::json!({"text": long}).to_string()).unwrap_err();
        assert!(
            why.starts_with("the utterance is 65537 characters"),
            "{why}"
        );
        assert!(parse_utterance(&long).is_err());
    }
}
