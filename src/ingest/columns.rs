//! `--columns`: which header of a CSV source holds the conversation id, the
//! speaker, the text and the timestamp.

/// `--columns conversation=…,role=…,text=…,timestamp=…`: the header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub conversation: String,
    pub role: String,
    pub text: String,
    pub timestamp: String,
    /// True when `timestamp` was named (then the column must exist).
    pub timestamp_named: bool,
}

impl Default for ColumnMap {
    fn default() -> Self {
        Self {
            conversation: "conversation_id".into(),
            role: "role".into(),
            text: "text".into(),
            timestamp: "timestamp".into(),
            timestamp_named: false,
        }
    }
}

impl ColumnMap {
    /// Parses `key=column,…` over the defaults; the error names the bad item.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut map = Self::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((key, column)) = item.split_once('=') else {
                return Err(format!("`{item}` is not KEY=column"));
            };
            let column = column.trim().to_string();
            if column.is_empty() {
                return Err(format!("`{item}` names no column"));
            }
            match key.trim() {
                "conversation" => map.conversation = column,
                "role" => map.role = column,
                "text" => map.text = column,
                "timestamp" => {
                    map.timestamp = column;
                    map.timestamp_named = true;
                }
                other => {
                    return Err(format!(
                        "unknown key `{other}` (known: conversation, role, text, timestamp)"
                    ));
                }
            }
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_override_the_defaults_and_unknown_keys_are_refused() {
        let m = ColumnMap::parse("conversation=call_id, timestamp=start").unwrap();
        assert_eq!(
            (m.conversation.as_str(), m.role.as_str()),
            ("call_id", "role")
        );
        assert!(m.timestamp_named);
        assert!(!ColumnMap::default().timestamp_named);
        assert!(
            ColumnMap::parse("speaker=x")
                .unwrap_err()
                .contains("unknown key `speaker`")
        );
        assert!(
            ColumnMap::parse("role=")
                .unwrap_err()
                .contains("names no column")
        );
        assert!(ColumnMap::parse("role").unwrap_err().contains("KEY=column"));
    }
}
