//! The company a system prompt names.

use super::keywords::Keywords;
use super::vars::{clip, sanitize};

/// A company name the system prompt states, as in "agente de atención al cliente
/// de Telvento," or "Company: Ashcombe Bank": up to three capitalised words after
/// a telling phrase.
pub fn company_in_prompt(system: &str, k: &Keywords) -> Option<String> {
    let text = clip(system, 4000);
    let lower = text.to_ascii_lowercase();
    for trigger in &k.company_triggers {
        let mut from = 0;
        while let Some(found) = lower[from..].find(trigger) {
            let at = from + found;
            let start = at + trigger.len();
            from = start;
            // whole words only
            let word_start = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if !word_start {
                continue;
            }
            let rest = text[start..].trim_start_matches([' ', '*', ':', '_', '"', '«', '“', '\'']);
            if rest.len() == text[start..].len() && !rest.is_empty() {
                // the trigger must be followed by a separator
                continue;
            }
            let mut words: Vec<&str> = Vec::new();
            let line = rest.lines().next().unwrap_or("");
            for raw in line.split_whitespace().take(3) {
                let word =
                    raw.trim_end_matches(['.', ',', ';', ':', ')', '»', '"', '”', '*', '\'']);
                let capital = word.chars().next().is_some_and(char::is_uppercase);
                if !capital || k.company_stop.iter().any(|s| s == word) {
                    break;
                }
                words.push(word);
                if word.len() != raw.len() {
                    break;
                }
            }
            let name = sanitize(&words.join(" "));
            if name.chars().count() >= 3 && name.len() <= 40 {
                return Some(name);
            }
        }
    }
    None
}
