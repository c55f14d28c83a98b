//! JSONL with one conversation per line, in either shape:
//! `{"id", "turns": [{"role", "text", "timestamp"?}], "metadata"?}` or the
//! chat-messages form `{"messages": [{"role", "content"}], …}`, where a
//! `system` message is kept as metadata (`system`), not as a turn.
//! Every other top-level key is kept as metadata too.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{ParseError, RawConversation, RawTurn};

/// Parses one line (numbered from 1); `Ok(None)` for a blank line.
pub fn parse_line(line_no: u64, line: &[u8]) -> Result<Option<RawConversation>, ParseError> {
    let err = |m: String| ParseError::at(line_no, m);
    let text = std::str::from_utf8(line).map_err(|_| err("the line is not valid UTF-8".into()))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(err(
            "expected a JSON object (one conversation per line)".into()
        ));
    };
    let id = match obj.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(err("`id` must be a string or a number".into())),
    };
    let mut metadata: BTreeMap<String, Value> = match obj.remove("metadata") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m.into_iter().collect(),
        Some(_) => return Err(err("`metadata` must be an object".into())),
    };
    let turns = match (obj.remove("turns"), obj.remove("messages")) {
        (Some(t), None) => turns(line_no, t)?,
        (None, Some(m)) => messages(line_no, m, &mut metadata)?,
        (Some(_), Some(_)) => {
            return Err(err("a line has `turns` or `messages`, not both".into()));
        }
        (None, None) => {
            return Err(err(
                "no `turns` or `messages` (expected {\"id\", \"turns\": [{\"role\", \"text\"}]} \
                 or {\"messages\": [{\"role\", \"content\"}]})"
                    .into(),
            ));
        }
    };
    for (k, v) in obj {
        metadata.entry(k).or_insert(v);
    }
    Ok(Some(RawConversation {
        id,
        line: line_no,
        turns,
        metadata,
    }))
}

fn items(line_no: u64, value: Value, key: &str) -> Result<Vec<Map<String, Value>>, ParseError> {
    let Value::Array(list) = value else {
        return Err(ParseError::at(line_no, format!("`{key}` must be an array")));
    };
    list.into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(m) => Ok(m),
            _ => Err(ParseError::at(
                line_no,
                format!("`{key}[{i}]` must be an object"),
            )),
        })
        .collect()
}

fn string(
    line_no: u64,
    item: &Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<Option<String>, ParseError> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ParseError::at(
            line_no,
            format!("`{at}.{key}` must be a string"),
        )),
    }
}

fn turns(line_no: u64, value: Value) -> Result<Vec<RawTurn>, ParseError> {
    items(line_no, value, "turns")?
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = format!("turns[{i}]");
            let role = string(line_no, t, &at, "role")?
                .ok_or_else(|| ParseError::at(line_no, format!("`{at}` has no `role`")))?;
            Ok(RawTurn {
                line: line_no,
                role,
                text: string(line_no, t, &at, "text")?.unwrap_or_default(),
                timestamp: string(line_no, t, &at, "timestamp")?,
            })
        })
        .collect()
}

/// The text of a chat message: a string, or the text parts of a list.
fn content(line_no: u64, m: &Map<String, Value>, at: &str) -> Result<String, ParseError> {
    match m.get("content") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => Ok(parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n")),
        Some(_) => Err(ParseError::at(
            line_no,
            format!("`{at}.content` must be a string or a list of parts"),
        )),
    }
}

fn messages(
    line_no: u64,
    value: Value,
    metadata: &mut BTreeMap<String, Value>,
) -> Result<Vec<RawTurn>, ParseError> {
    let mut out = Vec::new();
    let mut system: Vec<String> = Vec::new();
    for (i, m) in items(line_no, value, "messages")?.iter().enumerate() {
        let at = format!("messages[{i}]");
        let role = string(line_no, m, &at, "role")?
            .ok_or_else(|| ParseError::at(line_no, format!("`{at}` has no `role`")))?;
        let text = content(line_no, m, &at)?;
        if role == "system" {
            system.push(text);
            continue;
        }
        out.push(RawTurn {
            line: line_no,
            role,
            text,
            timestamp: string(line_no, m, &at, "timestamp")?,
        });
    }
    if !system.is_empty() {
        metadata.insert("system".into(), Value::from(system.join("\n\n")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_turns_shape_keeps_id_metadata_and_other_keys() {
        let line = br#"{"id": 42, "turns": [{"role": "agent", "text": "Hola", "timestamp": "2026-01-01T10:00:00+01:00"}], "metadata": {"queue": "billing"}, "channel": "phone"}"#;
        let c = parse_line(3, line).unwrap().unwrap();
        assert_eq!(c.id.as_deref(), Some("42"));
        assert_eq!(c.line, 3);
        assert_eq!(
            c.turns[0].timestamp.as_deref(),
            Some("2026-01-01T10:00:00+01:00")
        );
        assert_eq!(c.metadata["queue"], "billing");
        assert_eq!(c.metadata["channel"], "phone");
    }

    #[test]
    fn a_system_message_is_metadata_not_a_turn() {
        let line = br#"{"messages": [{"role": "system", "content": "Eres un agente."}, {"role": "user", "content": "Hola"}, {"role": "assistant", "content": [{"type": "text", "text": "Buenas"}]}], "metadata": {"source": "crm"}}"#;
        let c = parse_line(1, line).unwrap().unwrap();
        assert_eq!(c.turns.len(), 2);
        assert_eq!(c.turns[1].text, "Buenas");
        assert_eq!(c.metadata["system"], "Eres un agente.");
        assert_eq!(c.metadata["source"], "crm");
        assert_eq!(c.id, None);
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        assert!(parse_line(7, b"  ").unwrap().is_none());
        for bad in [
            &b"{\"turns\": [}"[..],
            b"[1]",
            b"{\"id\": 1}",
            b"{\"turns\": [{\"text\": \"x\"}]}",
            b"{\"turns\": [{\"role\": 1, \"text\": \"x\"}]}",
            b"{\"messages\": \"x\"}",
            b"\xff",
        ] {
            let e = parse_line(7, bad).unwrap_err();
            assert_eq!(e.line, 7, "{e:?}");
        }
    }
}
