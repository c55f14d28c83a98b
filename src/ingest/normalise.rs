//! From the rows of a source file to the turns convgen stores: speaker labels
//! mapped to roles, consecutive turns of one speaker merged, timestamps in
//! UTC, and the checks that apply to real transcripts (no empty text, known
//! roles, increasing timestamps). Texts are trimmed and their CRLF line
//! breaks become LF. Pure: every reason names `file:line`.

use chrono::{DateTime, SecondsFormat, Utc};

use super::roles::RoleMap;
use super::{RawConversation, RawTurn};
use crate::conversation::Turn;
use crate::validate::parse_utc_timestamp;

/// A conversation ready to store: its roles, merged turns and failures.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    pub roles: Vec<String>,
    pub turns: Vec<Turn>,
    /// Why it fails the checks (empty: valid), each naming `file:line`.
    pub issues: Vec<String>,
}

/// An RFC 3339 timestamp (any offset) in UTC, as precise as it was given.
pub fn to_utc(s: &str) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?;
    Some(
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
    )
}

/// Maps, merges and checks one conversation read from `path`.
pub fn normalise(raw: &RawConversation, map: Option<&RoleMap>, path: &str) -> Normalised {
    let mut issues = Vec::new();
    let mut roles = map.map(RoleMap::roles).unwrap_or_default();
    let mut turns: Vec<Turn> = Vec::new();
    let mut last_row_time: Option<DateTime<Utc>> = None;
    if raw.turns.is_empty() {
        issues.push(format!(
            "{path}:{}: the conversation has no turns",
            raw.line
        ));
    }
    for row in &raw.turns {
        let at = |what: String| format!("{path}:{}: {what}", row.line);
        let role = role_of(row, map, &mut roles, &mut issues, path);
        // Line breaks inside a text are `\n`, whatever the exporting system used.
        let text = row.text.replace("\r\n", "\n");
        if row.text.trim().is_empty() {
            issues.push(at(format!("empty text (speaker `{}`)", row.role)));
        }
        let timestamp = match row.timestamp.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => match to_utc(s) {
                Some(utc) => Some(utc),
                None => {
                    issues.push(at(format!(
                        "timestamp `{s}` is not RFC 3339 (e.g. 2026-03-02T09:15:00+01:00)"
                    )));
                    None
                }
            },
        };
        let time = timestamp.as_deref().and_then(parse_utc_timestamp);
        if let (Some(t), Some(prev)) = (time, last_row_time)
            && t < prev
        {
            issues.push(at(format!(
                "timestamp {} is before the previous row's",
                timestamp.as_deref().unwrap_or_default()
            )));
        }
        if time.is_some() {
            last_row_time = time;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => {
                let text = text.trim();
                if !text.is_empty() {
                    if !last.text.is_empty() {
                        last.text.push(' ');
                    }
                    last.text.push_str(text);
                }
                if last.timestamp.is_none() {
                    last.timestamp = timestamp;
                }
            }
            _ => {
                let prev_time = turns
                    .iter()
                    .rev()
                    .find_map(|t| t.timestamp.as_deref().and_then(parse_utc_timestamp));
                if let (Some(t), Some(prev)) = (time, prev_time)
                    && t <= prev
                {
                    issues.push(at(format!(
                        "timestamp {} is not after the previous turn's",
                        timestamp.as_deref().unwrap_or_default()
                    )));
                }
                turns.push(Turn {
                    index: turns.len() as u32 + 1,
                    role,
                    text: text.trim().to_string(),
                    timestamp,
                    latency_ms: None,
                });
            }
        }
    }
    Normalised {
        roles,
        turns,
        issues,
    }
}

/// The role of a row: its label mapped (an unknown label is an issue and
/// stays as written), or the label itself when there is no mapping.
fn role_of(
    row: &RawTurn,
    map: Option<&RoleMap>,
    roles: &mut Vec<String>,
    issues: &mut Vec<String>,
    path: &str,
) -> String {
    let label = row.role.trim();
    let Some(map) = map else {
        if !label.is_empty() && !roles.iter().any(|r| r == label) {
            roles.push(label.to_string());
        }
        if label.is_empty() {
            issues.push(format!("{path}:{}: empty speaker label", row.line));
        }
        return label.to_string();
    };
    match map.role(label) {
        Some(role) => role.to_string(),
        None => {
            issues.push(format!(
                "{path}:{}: unknown speaker `{label}` (--roles maps {})",
                row.line,
                map.labels().join(", ")
            ));
            label.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ingested::check_stored;

    fn row(line: u64, role: &str, text: &str, ts: Option<&str>) -> RawTurn {
        RawTurn {
            line,
            role: role.into(),
            text: text.into(),
            timestamp: ts.map(String::from),
        }
    }

    fn conv(turns: Vec<RawTurn>) -> RawConversation {
        RawConversation {
            id: Some("c1".into()),
            line: turns.first().map_or(1, |t| t.line),
            turns,
            metadata: Default::default(),
        }
    }

    #[test]
    fn same_speaker_rows_merge_keeping_the_first_timestamp() {
        let m = RoleMap::parse("AGENTE=agent,CLIENTE=client").unwrap();
        let n = normalise(
            &conv(vec![
                row(
                    2,
                    "AGENTE",
                    "Buenos días.",
                    Some("2026-03-02T09:15:00+01:00"),
                ),
                row(
                    3,
                    "AGENTE",
                    " ¿En qué puedo ayudarle?",
                    Some("2026-03-02T09:15:04+01:00"),
                ),
                row(
                    4,
                    "CLIENTE",
                    "Tengo un cargo doble.",
                    Some("2026-03-02T08:15:09Z"),
                ),
            ]),
            Some(&m),
            "calls.csv",
        );
        assert_eq!(n.issues, Vec::<String>::new());
        assert_eq!(n.turns.len(), 2);
        assert_eq!(n.turns[0].text, "Buenos días. ¿En qué puedo ayudarle?");
        assert_eq!(
            n.turns[0].timestamp.as_deref(),
            Some("2026-03-02T08:15:00Z")
        );
        assert_eq!(n.turns[1].index, 2);
        assert_eq!(n.turns[1].role, "client");
        assert!(check_stored(&n.turns, &n.roles).is_empty());
    }

    #[test]
    fn failures_name_the_file_and_line() {
        let m = RoleMap::parse("AGENTE=agent,CLIENTE=client").unwrap();
        let n = normalise(
            &conv(vec![
                row(2, "AGENTE", "Hola", Some("2026-03-02T09:15:00Z")),
                row(3, "CLIENTE", "  ", Some("2026-03-02T09:16:00Z")),
                row(4, "SUPERVISOR", "Un momento", Some("2026-03-02T09:17:00Z")),
                row(5, "AGENTE", "Vale", Some("2026-03-02T09:10:00Z")),
                row(6, "CLIENTE", "Sí", Some("ayer")),
            ]),
            Some(&m),
            "calls.csv",
        );
        let all = n.issues.join("\n");
        assert!(all.contains("calls.csv:3: empty text"), "{all}");
        assert!(
            all.contains("calls.csv:4: unknown speaker `SUPERVISOR`"),
            "{all}"
        );
        assert!(
            all.contains("calls.csv:5: timestamp 2026-03-02T09:10:00Z is before"),
            "{all}"
        );
        assert!(
            all.contains("calls.csv:6: timestamp `ayer` is not RFC 3339"),
            "{all}"
        );
    }

    #[test]
    fn without_a_mapping_labels_are_roles_in_order_of_appearance() {
        let n = normalise(
            &conv(vec![
                row(1, "user", "a", None),
                row(2, "assistant", "b", None),
            ]),
            None,
            "x.jsonl",
        );
        assert_eq!(n.roles, vec!["user", "assistant"]);
        assert!(n.issues.is_empty());
        assert!(n.turns.iter().all(|t| t.timestamp.is_none()));
    }

    #[test]
    fn equal_turn_timestamps_fail_and_stored_checks_catch_edits() {
        let n = normalise(
            &conv(vec![
                row(1, "a", "x", Some("2026-01-01T00:00:00Z")),
                row(2, "b", "y", Some("2026-01-01T00:00:00Z")),
            ]),
            None,
            "f",
        );
        assert!(n.issues[0].contains("f:2: timestamp"), "{:?}", n.issues);
        let mut turns = n.turns.clone();
        turns[1].timestamp = Some("2026-01-01T00:00:01Z".into());
        assert!(check_stored(&turns, &n.roles).is_empty());
        turns[0].text.clear();
        turns[1].role = "c".into();
        assert_eq!(check_stored(&turns, &n.roles).len(), 2);
    }
}
