//! Built-in checks every conversation must pass (SPEC §5).
//!
//! Pure functions: generation runs them before writing, audit runs them again
//! on what it reads back, so both judge by the same rules.

use chrono::{DateTime, Utc};

use crate::conversation::{Conversation, Turn};
use crate::prompt::Prompt;

/// Parses a turn timestamp, accepting only RFC 3339 in UTC.
pub fn parse_utc_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?;
    if t.offset().local_minus_utc() != 0 {
        return None;
    }
    // "-00:00" means "unknown offset" in RFC 3339, not UTC.
    if s.ends_with("-00:00") {
        return None;
    }
    Some(t.with_timezone(&Utc))
}

/// Formats a time the way turn timestamps are written: UTC, milliseconds, `Z`.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Problems with the turns alone (count, roles, text, timestamps).
pub fn check_turns(turns: &[Turn], prompt: &Prompt) -> Vec<String> {
    let mut issues = Vec::new();
    if turns.len() != prompt.turns as usize {
        issues.push(format!(
            "expected {} turns, got {}",
            prompt.turns,
            turns.len()
        ));
    }
    let mut previous: Option<DateTime<Utc>> = None;
    for (i, turn) in turns.iter().enumerate() {
        let n = i + 1;
        if turn.index as usize != n {
            issues.push(format!("turn {n} is numbered {}", turn.index));
        }
        let expected = &prompt.roles[i % prompt.roles.len()];
        if !prompt.roles.contains(&turn.role) {
            issues.push(format!(
                "turn {n}: unknown role `{}` (expected one of {})",
                turn.role,
                prompt.roles.join(", ")
            ));
        } else if &turn.role != expected {
            issues.push(format!(
                "turn {n}: role `{}` breaks the alternation (expected `{expected}`)",
                turn.role
            ));
        }
        if turn.text.trim().is_empty() {
            issues.push(format!("turn {n}: empty text"));
        }
        if prompt.timestamps {
            match turn.timestamp.as_deref() {
                None => issues.push(format!("turn {n}: missing timestamp")),
                Some(s) => match parse_utc_timestamp(s) {
                    None => issues.push(format!("turn {n}: timestamp `{s}` is not RFC 3339 UTC")),
                    Some(t) => {
                        if let Some(p) = previous
                            && t <= p
                        {
                            issues.push(format!(
                                "turn {n}: timestamp {s} is not after the previous turn's"
                            ));
                        }
                        previous = Some(t);
                    }
                },
            }
        }
    }
    issues
}

/// Every built-in check on a whole conversation.
pub fn check_conversation(conv: &Conversation, prompt: &Prompt) -> Vec<String> {
    let mut issues = Vec::new();
    match prompt.scenario(&conv.scenario.id) {
        None => issues.push(format!(
            "scenario `{}` is not in the catalog of prompt `{}`",
            conv.scenario.id, prompt.name
        )),
        Some(s) if s.title != conv.scenario.title => issues.push(format!(
            "scenario `{}` has title `{}`, the catalog says `{}`",
            conv.scenario.id, conv.scenario.title, s.title
        )),
        Some(_) => {}
    }
    if conv.roles != prompt.roles {
        issues.push(format!(
            "roles {:?} differ from the prompt's {:?}",
            conv.roles, prompt.roles
        ));
    }
    issues.extend(check_turns(&conv.turns, prompt));
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use camino::Utf8Path;

    fn prompt(timestamps: bool) -> Prompt {
        let text = format!(
            "+++\nlanguage = \"en\"\nroles = [\"agent\", \"client\"]\nturns = 3\ntimestamps = {timestamps}\n+++\nx\n## Scenarios\n### a: A\nt\n"
        );
        crate::prompt::parse(Utf8Path::new("p.md"), text.as_bytes()).unwrap()
    }

    fn turn(index: u32, role: &str, text: &str, ts: Option<&str>) -> Turn {
        Turn {
            index,
            role: role.into(),
            text: text.into(),
            timestamp: ts.map(String::from),
            latency_ms: None,
        }
    }

    fn good() -> Vec<Turn> {
        vec![
            turn(1, "agent", "Hello", Some("2026-01-01T09:00:00.000Z")),
            turn(2, "client", "Hi", Some("2026-01-01T09:00:02.500Z")),
            turn(3, "agent", "Bye", Some("2026-01-01T09:00:05Z")),
        ]
    }

    #[test]
    fn good_turns_pass() {
        assert!(check_turns(&good(), &prompt(true)).is_empty());
        let no_ts: Vec<Turn> = good()
            .into_iter()
            .map(|mut t| {
                t.timestamp = None;
                t
            })
            .collect();
        assert!(check_turns(&no_ts, &prompt(false)).is_empty());
    }

    #[test]
    fn wrong_count_is_reported() {
        let mut t = good();
        t.pop();
        assert_eq!(
            check_turns(&t, &prompt(true)),
            vec!["expected 3 turns, got 2"]
        );
    }

    #[test]
    fn alternation_and_unknown_roles_are_reported() {
        let mut t = good();
        t[1].role = "agent".into();
        t[2].role = "robot".into();
        let issues = check_turns(&t, &prompt(true));
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert!(issues[0].contains("turn 2: role `agent` breaks the alternation"));
        assert!(issues[1].contains("turn 3: unknown role `robot`"));
    }

    #[test]
    fn empty_text_is_reported() {
        let mut t = good();
        t[0].text = "  \n".into();
        assert_eq!(check_turns(&t, &prompt(true)), vec!["turn 1: empty text"]);
    }

    #[test]
    fn timestamps_must_be_utc_and_increasing() {
        let mut t = good();
        t[1].timestamp = Some("2026-01-01T09:00:00.000Z".into());
        assert!(check_turns(&t, &prompt(true))[0].contains("not after the previous"));
        let mut t = good();
        t[1].timestamp = Some("2026-01-01T10:00:02+01:00".into());
        assert!(check_turns(&t, &prompt(true))[0].contains("not RFC 3339 UTC"));
        let mut t = good();
        t[2].timestamp = Some("yesterday".into());
        assert!(check_turns(&t, &prompt(true))[0].contains("`yesterday`"));
        let mut t = good();
        t[0].timestamp = None;
        assert_eq!(
            check_turns(&t, &prompt(true)),
            vec!["turn 1: missing timestamp"]
        );
        assert!(parse_utc_timestamp("2026-01-01T09:00:00-00:00").is_none());
        assert!(parse_utc_timestamp("2026-01-01T09:00:00+00:00").is_some());
    }

    #[test]
    fn misnumbered_turns_are_reported() {
        let mut t = good();
        t[2].index = 7;
        assert_eq!(check_turns(&t, &prompt(true)), vec!["turn 3 is numbered 7"]);
    }

    #[test]
    fn format_timestamp_is_utc_millis() {
        let t = parse_utc_timestamp("2026-01-01T09:00:05Z").unwrap();
        assert_eq!(format_timestamp(t), "2026-01-01T09:00:05.000Z");
    }
}
