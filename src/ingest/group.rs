//! Rows to conversations: consecutive rows of one conversation id make one
//! conversation; the columns nobody mapped become its metadata.

use std::collections::BTreeMap;

use serde_json::Value;

use super::RawConversation;
use super::csv::Row;

/// Builds conversations from rows: rows of one conversation id, in file order.
#[derive(Debug, Default)]
pub struct Grouper {
    current: Option<(String, RawConversation, BTreeMap<String, Vec<String>>)>,
}

impl Grouper {
    /// Adds a row; returns the conversation it closes, when it starts a new one.
    pub fn push(&mut self, row: Row) -> Option<RawConversation> {
        if let Some((id, conv, extra)) = &mut self.current
            && *id == row.conversation
        {
            for (k, v) in row.extra {
                extra.entry(k).or_default().push(v);
            }
            conv.turns.push(row.turn);
            return None;
        }
        let done = self.finish();
        let mut extra: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in row.extra {
            extra.entry(k).or_default().push(v);
        }
        let conv = RawConversation {
            id: Some(row.conversation.clone()),
            line: row.turn.line,
            turns: vec![row.turn],
            metadata: BTreeMap::new(),
        };
        self.current = Some((row.conversation, conv, extra));
        done
    }

    /// The conversation being built, closed.
    pub fn finish(&mut self) -> Option<RawConversation> {
        let (_, mut conv, extra) = self.current.take()?;
        conv.metadata = metadata(extra);
        Some(conv)
    }
}

/// The unmapped columns of a conversation's rows: one value when every row
/// agrees, else every row's value in order (nothing is lost).
fn metadata(extra: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Value> {
    extra
        .into_iter()
        .map(|(k, values)| {
            let same = values.windows(2).all(|w| w[0] == w[1]);
            let value = if same {
                Value::from(values.into_iter().next().unwrap_or_default())
            } else {
                Value::from(values)
            };
            (k, value)
        })
        .collect()
}
