//! JSON Lines output: one object per row with the columns as keys, or the
//! chat fine-tuning form (`{"messages": […], "metadata": {…}}`).

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::conversation::Conversation;
use crate::export::columns::Column;
use crate::export::rows::{Cell, cell_json};

/// Writes one row as a JSON object whose keys are in column order.
pub fn write_row(out: &mut impl Write, columns: &[Column], cells: &[Cell]) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (c, cell)) in columns.iter().zip(cells).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &c.name)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, &cell_json(cell))?;
    }
    out.write_all(b"}\n")
}

/// The chat-messages form of a conversation: `system` first when given,
/// then each turn as `assistant` (the role `assistant` names) or `user`.
pub fn messages(conv: &Conversation, system: Option<&str>, assistant: &str) -> Value {
    let mut list: Vec<Value> = Vec::with_capacity(conv.turns.len() + 1);
    if let Some(text) = system {
        list.push(json!({"role": "system", "content": text}));
    }
    for t in &conv.turns {
        let role = if t.role == assistant {
            "assistant"
        } else {
            "user"
        };
        list.push(json!({"role": role, "content": t.text}));
    }
    let roles: Map<String, Value> = conv
        .roles
        .iter()
        .map(|r| {
            let to = if r == assistant { "assistant" } else { "user" };
            (r.clone(), Value::from(to))
        })
        .collect();
    json!({
        "messages": list,
        "metadata": {
            "conversation_id": conv.conversation_id,
            "batch_id": conv.batch_id,
            "run_id": conv.run_id,
            "origin": conv.origin.as_str(),
            "prompt": conv.prompt.as_ref().map(|p| &p.name),
            "prompt_id": conv.prompt.as_ref().map(|p| &p.id),
            "source": conv.source,
            "scenario_id": conv.scenario.id,
            "scenario_title": conv.scenario.title,
            "language": conv.language,
            "status": conv.status.as_str(),
            "roles": roles,
            "variables": conv.variables,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::columns::Kind;

    #[test]
    fn rows_keep_the_column_order() {
        let cols = vec![
            Column {
                name: "z".into(),
                kind: Kind::Text,
            },
            Column {
                name: "a".into(),
                kind: Kind::Int,
            },
        ];
        let mut out = Vec::new();
        write_row(&mut out, &cols, &[Cell::Text("é\n".into()), Cell::Null]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"z\":\"é\\n\",\"a\":null}\n"
        );
    }
}
