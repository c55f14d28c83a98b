//! The columns of an export: one fixed list per level and set of prompt
//! versions, never derived from the rows, so two exports of the same prompts
//! have the same schema whatever they select and whatever values they hold.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::prompt::Prompt;
use crate::vartype::{Base, VarType};

/// The type of a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    /// Unsigned 64-bit (seeds).
    UInt,
    Float,
    Bool,
    /// An instant, in UTC (milliseconds).
    Time,
    /// Any JSON value, written as JSON text (CSV, Parquet) or as itself (JSONL).
    Json,
    /// A list of `Text`, `Int`, `Float` or `Bool`.
    List(Scalar),
}

/// The item type of a list column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Text,
    Int,
    Float,
    Bool,
}

/// One column: its name and type (every column may hold nulls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

fn col(name: &str, kind: Kind) -> Column {
    Column {
        name: name.to_string(),
        kind,
    }
}

/// The fixed columns of a conversation row, before `var.*`, `attr.*` and
/// the transcript.
const CONVERSATION_FIXED: &[(&str, Kind)] = &[
    ("conversation_id", Kind::Text),
    ("batch_id", Kind::Text),
    ("run_id", Kind::Text),
    ("origin", Kind::Text),
    ("prompt", Kind::Text),
    ("prompt_id", Kind::Text),
    ("prompt_sha256", Kind::Text),
    ("script_sha256", Kind::Text),
    ("scenario_id", Kind::Text),
    ("scenario_title", Kind::Text),
    ("language", Kind::Text),
    ("status", Kind::Text),
    ("attempts", Kind::Int),
    ("issues", Kind::List(Scalar::Text)),
    ("n_turns", Kind::Int),
    ("started_at", Kind::Time),
    ("ended_at", Kind::Time),
    ("duration_s", Kind::Float),
    ("created_at", Kind::Time),
    ("provider", Kind::Text),
    ("model", Kind::Text),
    ("seed", Kind::UInt),
    ("prompt_tokens", Kind::Int),
    ("completion_tokens", Kind::Int),
];

/// The columns of a turn row.
const TURN: &[(&str, Kind)] = &[
    ("conversation_id", Kind::Text),
    ("batch_id", Kind::Text),
    ("run_id", Kind::Text),
    ("origin", Kind::Text),
    ("prompt", Kind::Text),
    ("scenario_id", Kind::Text),
    ("status", Kind::Text),
    ("index", Kind::Int),
    ("role", Kind::Text),
    ("text", Kind::Text),
    ("timestamp", Kind::Time),
    ("latency_ms", Kind::Int),
];

/// The column type of a declared variable.
pub fn kind_of(ty: &VarType) -> Kind {
    let scalar = match ty.base {
        Base::String => Scalar::Text,
        Base::Number => Scalar::Float,
        Base::Integer => Scalar::Int,
        Base::Boolean => Scalar::Bool,
        Base::Object => return Kind::Json,
    };
    match (ty.list, scalar) {
        (true, s) => Kind::List(s),
        (false, Scalar::Text) => Kind::Text,
        (false, Scalar::Float) => Kind::Float,
        (false, Scalar::Int) => Kind::Int,
        (false, Scalar::Bool) => Kind::Bool,
    }
}

/// The column type that holds every value of a scenario attribute.
fn attr_kind(values: &[&Value]) -> Kind {
    let all = |f: fn(&Value) -> bool| values.iter().all(|v| f(v));
    if all(Value::is_string) {
        Kind::Text
    } else if all(|v| v.is_i64()) {
        Kind::Int
    } else if all(Value::is_number) {
        Kind::Float
    } else if all(Value::is_boolean) {
        Kind::Bool
    } else {
        Kind::Json
    }
}

/// The columns of a conversation row for exports of these prompt versions:
/// the fixed ones, `var.<name>` per declared variable (typed as declared; a
/// name declared with two types is JSON text) and per `{{placeholder}}` the
/// prompts use without declaring it (JSON text), `variables` (every
/// variable, as JSON), `attr.<name>` per scenario attribute (`weight` included),
/// then `transcript`.
pub fn conversation_columns<'a>(prompts: impl IntoIterator<Item = &'a Prompt>) -> Vec<Column> {
    let mut vars: BTreeMap<String, Kind> = BTreeMap::new();
    let mut attrs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in prompts {
        for (name, ty) in &p.variables {
            let kind = kind_of(ty);
            vars.entry(name.clone())
                .and_modify(|k| {
                    if *k != kind {
                        *k = Kind::Json;
                    }
                })
                .or_insert(kind);
        }
        // A placeholder names a variable every conversation fills, known
        // from the prompt itself: its column does not depend on the rows.
        for name in p.placeholder_lines.keys() {
            vars.entry(name.clone()).or_insert(Kind::Json);
        }
        for s in &p.scenarios {
            attrs
                .entry("weight".into())
                .or_default()
                .push(Value::from(s.weight));
            for (name, v) in &s.attrs {
                attrs.entry(name.clone()).or_default().push(v.clone());
            }
        }
    }
    let mut out: Vec<Column> = CONVERSATION_FIXED.iter().map(|(n, k)| col(n, *k)).collect();
    out.extend(vars.into_iter().map(|(n, k)| col(&format!("var.{n}"), k)));
    out.push(col("variables", Kind::Json));
    out.extend(attrs.into_iter().map(|(n, values)| {
        let refs: Vec<&Value> = values.iter().collect();
        col(&format!("attr.{n}"), attr_kind(&refs))
    }));
    out.push(col("transcript", Kind::Text));
    out
}

/// The columns of a turn row.
pub fn turn_columns() -> Vec<Column> {
    TURN.iter().map(|(n, k)| col(n, *k)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8Path;

    fn prompt(front: &str, catalog: &str) -> Prompt {
        let text = format!(
            "+++\ntitle = \"T\"\nlanguage = \"es\"\nroles = [\"a\", \"b\"]\nturns = 2\n{front}\n+++\nSys.\n\n## Scenarios\n\n{catalog}"
        );
        crate::prompt::parse(Utf8Path::new("p.md"), text.as_bytes()).unwrap()
    }

    #[test]
    fn columns_come_from_the_prompts_not_the_rows() {
        let p = prompt(
            "[variables]\namount = \"number\"\ntags = \"list<string>\"\ncard = \"object?\"",
            "### x: X\n```toml\nweight = 2\ntone = \"calm\"\nlevel = 1\n```\nText.\n\n### y: Y\n```toml\ntone = \"angry\"\nlevel = 2.5\n```\nText.\n",
        );
        let cols = conversation_columns([&p]);
        let kind = |n: &str| cols.iter().find(|c| c.name == n).map(|c| c.kind);
        assert_eq!(kind("var.amount"), Some(Kind::Float));
        assert_eq!(kind("var.tags"), Some(Kind::List(Scalar::Text)));
        assert_eq!(kind("var.card"), Some(Kind::Json));
        assert_eq!(kind("attr.tone"), Some(Kind::Text));
        assert_eq!(kind("attr.level"), Some(Kind::Float));
        assert_eq!(kind("attr.weight"), Some(Kind::Float));
        assert_eq!(kind("started_at"), Some(Kind::Time));
        assert_eq!(cols.last().map(|c| c.name.as_str()), Some("transcript"));
    }

    #[test]
    fn an_undeclared_placeholder_is_a_json_text_column() {
        let p = prompt("", "### a: A\nHola {{cliente}}\n");
        let cols = conversation_columns([&p]);
        assert!(
            cols.iter()
                .any(|c| c.name == "var.cliente" && c.kind == Kind::Json),
            "{:?}",
            cols.iter().map(|c| &c.name).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_variable_declared_two_ways_is_json_text() {
        let a = prompt("[variables]\nn = \"integer\"", "### x: X\nT.\n");
        let b = prompt("[variables]\nn = \"string\"", "### x: X\nT.\n");
        let cols = conversation_columns([&a, &b]);
        assert!(
            cols.iter()
                .any(|c| c.name == "var.n" && c.kind == Kind::Json)
        );
    }
}
