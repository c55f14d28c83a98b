//! Conversations as rows: one per conversation or one per turn, each cell
//! typed by its column ([`Column`]). Pure: the writers decide the encoding.

use serde_json::Value;

use crate::conversation::{Conversation, Turn};
use crate::export::columns::{Column, Kind, Scalar};
use crate::prompt::Scenario;
use crate::validate::parse_utc_timestamp;

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    /// Milliseconds since the Unix epoch, UTC.
    Time(i64),
    /// A JSON value (lists, objects, undeclared variables).
    Json(Value),
}

/// An instant of a [`Cell::Time`] as RFC 3339 UTC text, as artefacts write it.
pub fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A cell as JSON (instants as RFC 3339 text).
pub fn cell_json(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Text(s) => Value::from(s.as_str()),
        Cell::Int(n) => Value::from(*n),
        Cell::UInt(n) => Value::from(*n),
        Cell::Float(f) => Value::from(*f),
        Cell::Bool(b) => Value::from(*b),
        Cell::Time(ms) => Value::from(time_text(*ms)),
        Cell::Json(v) => v.clone(),
    }
}

/// A cell as CSV text: empty for null, JSON for lists and objects, a float
/// always with a decimal point (so readers infer one type for the column).
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::UInt(n) => n.to_string(),
        Cell::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
        Cell::Float(f) => f.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(ms) => time_text(*ms),
        Cell::Json(v) => v.to_string(),
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn time(s: Option<&str>) -> Cell {
    s.and_then(parse_utc_timestamp)
        .map_or(Cell::Null, |t| Cell::Time(t.timestamp_millis()))
}

fn int(n: u64) -> Cell {
    i64::try_from(n).map_or(Cell::Null, Cell::Int)
}

/// `value` as a cell of `kind`; a value that does not fit is null (a
/// conversation that failed its declared types still exports; its
/// `variables` column keeps every value as written).
pub fn cell_of(kind: Kind, value: Option<&Value>) -> Cell {
    let Some(v) = value.filter(|v| !v.is_null()) else {
        return Cell::Null;
    };
    let scalar = |s: Scalar, v: &Value| match s {
        Scalar::Text => v.as_str().map(text),
        Scalar::Int => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Cell::Int),
        Scalar::Float => v.as_f64().map(Cell::Float),
        Scalar::Bool => v.as_bool().map(Cell::Bool),
    };
    let out = match kind {
        Kind::Text => scalar(Scalar::Text, v),
        Kind::Int => scalar(Scalar::Int, v),
        Kind::Float => scalar(Scalar::Float, v),
        Kind::Bool => scalar(Scalar::Bool, v),
        Kind::UInt => v.as_u64().map(Cell::UInt),
        Kind::Time => return time(v.as_str()),
        Kind::Json => Some(Cell::Json(v.clone())),
        Kind::List(s) => match v {
            Value::Array(items) if items.iter().all(|i| scalar(s, i).is_some()) => {
                Some(Cell::Json(v.clone()))
            }
            Value::Object(m) if m.is_empty() => Some(Cell::Json(Value::Array(Vec::new()))),
            _ => None,
        },
    };
    out.unwrap_or(Cell::Null)
}

/// The turns as `role: text` lines (a multi-line text keeps its lines).
pub fn transcript(turns: &[Turn]) -> String {
    let mut out = String::new();
    for t in turns {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&t.role);
        out.push_str(": ");
        out.push_str(&t.text);
    }
    out
}

/// The cells of a conversation row, in the order of `columns`; `scenario` is
/// the catalog entry it was made from, when its prompt version is known.
pub fn conversation_row(
    conv: &Conversation,
    scenario: Option<&Scenario>,
    columns: &[Column],
) -> Vec<Cell> {
    let first = conv.turns.first().and_then(|t| t.timestamp.as_deref());
    let last = conv.turns.last().and_then(|t| t.timestamp.as_deref());
    let duration = match (time(first), time(last)) {
        (Cell::Time(a), Cell::Time(b)) => Cell::Float((b - a) as f64 / 1000.0),
        _ => Cell::Null,
    };
    columns
        .iter()
        .map(|c| match c.name.as_str() {
            name if LINEAGE.contains(&name) => lineage_cell(conv, name),
            "prompt_id" => conv.prompt.as_ref().map_or(Cell::Null, |p| text(&p.id)),
            "prompt_sha256" => conv.prompt.as_ref().map_or(Cell::Null, |p| text(&p.sha256)),
            "script_sha256" => conv.script.as_ref().map_or(Cell::Null, |s| text(&s.sha256)),
            "scenario_title" => text(&conv.scenario.title),
            "language" => text(&conv.language),
            "attempts" => Cell::Int(conv.attempts.into()),
            "issues" => Cell::Json(Value::from(conv.issues.clone())),
            "n_turns" => int(conv.turns.len() as u64),
            "started_at" => time(first),
            "ended_at" => time(last),
            "duration_s" => duration.clone(),
            "created_at" => time(Some(&conv.created_at)),
            "provider" => text(&conv.generator.provider),
            "model" => text(&conv.generator.model),
            "seed" => Cell::UInt(conv.generator.seed),
            "prompt_tokens" => int(conv.usage.prompt_tokens),
            "completion_tokens" => int(conv.usage.completion_tokens),
            "variables" => Cell::Json(serde_json::to_value(&conv.variables).unwrap_or_default()),
            "transcript" => Cell::Text(transcript(&conv.turns)),
            name => {
                if let Some(var) = name.strip_prefix("var.") {
                    cell_of(c.kind, conv.variables.get(var))
                } else if let Some(attr) = name.strip_prefix("attr.") {
                    let value = scenario.and_then(|s| match attr {
                        "weight" => Some(Value::from(s.weight)),
                        _ => s.attrs.get(attr).cloned(),
                    });
                    cell_of(c.kind, value.as_ref())
                } else {
                    Cell::Null
                }
            }
        })
        .collect()
}

/// The columns both levels take from the conversation itself.
const LINEAGE: &[&str] = &[
    "conversation_id",
    "batch_id",
    "run_id",
    "origin",
    "prompt",
    "scenario_id",
    "status",
];

/// The cell of a [`LINEAGE`] column.
fn lineage_cell(conv: &Conversation, name: &str) -> Cell {
    match name {
        "conversation_id" => text(&conv.conversation_id),
        "batch_id" => text(&conv.batch_id),
        "run_id" => text(&conv.run_id),
        "origin" => text(conv.origin.as_str()),
        "prompt" => conv.prompt.as_ref().map_or(Cell::Null, |p| text(&p.name)),
        "scenario_id" => text(&conv.scenario.id),
        "status" => text(conv.status.as_str()),
        _ => Cell::Null,
    }
}

/// The cells of each turn row of a conversation, in the order of `columns`.
pub fn turn_rows<'a>(
    conv: &'a Conversation,
    columns: &'a [Column],
) -> impl Iterator<Item = Vec<Cell>> + 'a {
    conv.turns.iter().map(move |t| {
        columns
            .iter()
            .map(|c| match c.name.as_str() {
                name if LINEAGE.contains(&name) => lineage_cell(conv, name),
                "index" => Cell::Int(t.index.into()),
                "role" => text(&t.role),
                "text" => text(&t.text),
                "timestamp" => time(t.timestamp.as_deref()),
                "latency_ms" => t.latency_ms.map_or(Cell::Null, int),
                _ => Cell::Null,
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_that_do_not_fit_their_column_are_null() {
        assert_eq!(cell_of(Kind::Float, Some(&json!(3))), Cell::Float(3.0));
        assert_eq!(cell_of(Kind::Float, Some(&json!("3"))), Cell::Null);
        assert_eq!(cell_of(Kind::Int, Some(&json!(4.0))), Cell::Int(4));
        assert_eq!(cell_of(Kind::Int, Some(&json!(4.5))), Cell::Null);
        assert_eq!(cell_of(Kind::Text, None), Cell::Null);
        assert_eq!(
            cell_of(Kind::List(Scalar::Text), Some(&json!({}))),
            Cell::Json(json!([]))
        );
        assert_eq!(
            cell_of(Kind::List(Scalar::Text), Some(&json!([1]))),
            Cell::Null
        );
        assert_eq!(
            cell_of(Kind::Time, Some(&json!("2026-03-02T09:00:00.500Z"))),
            Cell::Time(1_772_442_000_500)
        );
    }

    #[test]
    fn cells_as_text_and_json() {
        assert_eq!(cell_text(&Cell::Float(3.0)), "3.0");
        assert_eq!(cell_text(&Cell::Float(2.5)), "2.5");
        assert_eq!(cell_text(&Cell::Null), "");
        assert_eq!(cell_text(&Cell::Json(json!(["a"]))), r#"["a"]"#);
        assert_eq!(
            cell_text(&Cell::Time(1_772_442_000_500)),
            "2026-03-02T09:00:00.500Z"
        );
        assert_eq!(
            cell_json(&Cell::Time(1_772_442_000_500)),
            json!("2026-03-02T09:00:00.500Z")
        );
    }

    #[test]
    fn transcripts_are_role_text_lines() {
        let turn = |i, role: &str, text: &str| Turn {
            index: i,
            role: role.into(),
            text: text.into(),
            timestamp: None,
            latency_ms: None,
        };
        let t = transcript(&[
            turn(1, "agent", "Hola,\nbuenos días"),
            turn(2, "client", "Sí"),
        ]);
        assert_eq!(t, "agent: Hola,\nbuenos días\nclient: Sí");
    }
}
