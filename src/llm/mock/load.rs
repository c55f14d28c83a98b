//! The phrase banks: each language's data file, embedded, parsed once and
//! checked when first used: every pool non-empty (and at most 64 entries,
//! the writer's memory of what it said), every `{fact}` known, every
//! `[a|b]` closed, twelve months.

use std::sync::OnceLock;

use super::bank::Bank;
use super::facts::key_index;
use super::keywords::Keywords;

/// Each language's data file: its name and its text.
const FILES: [(&str, &str); 2] = [
    ("lang/es.toml", include_str!("lang/es.toml")),
    ("lang/en.toml", include_str!("lang/en.toml")),
];

/// The bank every language without its own falls back to (marked).
const FALLBACK: usize = 1;

/// Parses and checks one bank; the error names the file and the field.
pub fn parse(file: &str, text: &str) -> Result<Bank, String> {
    let raw: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    for section in ["facts", "call", "generic"] {
        if let Some(v) = raw.get(section) {
            check_pools(file, section, v)?;
        }
    }
    let bank: Bank = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    if bank.facts.months.len() != 12 {
        return Err(format!("{file}: facts.months: needs 12 months"));
    }
    if bank.language.codes.is_empty() {
        return Err(format!("{file}: language.codes: empty"));
    }
    Ok(bank)
}

/// Every array of templates non-empty and at most 64 long; every string a
/// well-formed template naming known facts.
fn check_pools(file: &str, path: &str, v: &toml::Value) -> Result<(), String> {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                check_pools(file, &format!("{path}.{k}"), v)?;
            }
        }
        toml::Value::Array(items) => {
            if items.is_empty() || items.len() > 64 {
                return Err(format!(
                    "{file}: {path}: {} entries; a pool needs 1 to 64",
                    items.len()
                ));
            }
            for (i, item) in items.iter().enumerate() {
                check_pools(file, &format!("{path}[{}]", i + 1), item)?;
            }
        }
        toml::Value::String(s) if !path.ends_with(".fits") => {
            check_template(s).map_err(|e| format!("{file}: {path}: {e} in {s:?}"))?;
        }
        _ => {}
    }
    Ok(())
}

/// `{fact}` must name a fact; `[a|b]` must close and not nest.
pub fn check_template(s: &str) -> Result<(), String> {
    let mut rest = s;
    while let Some(pos) = rest.find(['{', '[', '}', ']']) {
        let open = rest.as_bytes()[pos];
        let close = match open {
            b'{' => '}',
            b'[' => ']',
            _ => return Err(format!("a stray {:?}", open as char)),
        };
        let Some(end) = rest[pos..].find(close).map(|e| e + pos) else {
            return Err(format!("{:?} not closed", open as char));
        };
        let inner = &rest[pos + 1..end];
        if open == b'{' {
            if key_index(inner).is_none() {
                return Err(format!("unknown fact {{{inner}}}"));
            }
        } else {
            for choice in inner.split('|') {
                if choice.contains('[') {
                    return Err(String::from("nested [ ]"));
                }
                check_template(choice)?;
            }
        }
        rest = &rest[end + 1..];
    }
    Ok(())
}

fn banks() -> &'static [Bank] {
    static BANKS: OnceLock<Vec<Bank>> = OnceLock::new();
    BANKS.get_or_init(|| {
        FILES
            .iter()
            // The shipped banks are checked by the tests: a failure here is a
            // bug in a data file of this crate, not bad input.
            .map(|(file, text)| parse(file, text).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    })
}

/// The stems of every bank together, in the order of the files.
pub fn keywords() -> &'static Keywords {
    static KEYWORDS: OnceLock<Keywords> = OnceLock::new();
    KEYWORDS.get_or_init(|| {
        let mut all = Keywords::default();
        for bank in banks() {
            all.extend(&bank.keywords);
        }
        all
    })
}

/// The bank to write `code` in, and the marker put before every turn when
/// `code` has no bank (the fallback's text is written then).
pub fn for_language(code: &str) -> (&'static Bank, Option<String>) {
    let banks = banks();
    let primary = code
        .trim()
        .split(['-', '_', '.', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let whole = code.trim();
    let found = banks.iter().find(|b| {
        b.language.codes.contains(&primary)
            || b.language
                .names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(whole))
    });
    if let Some(bank) = found {
        return (bank, None);
    }
    let clean: String = primary
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    let clean = if clean.is_empty() {
        String::from("und")
    } else {
        clean
    };
    let fallback = &banks[FALLBACK];
    let to = fallback.language.codes.first().map_or("en", String::as_str);
    (fallback, Some(format!("[{clean}→{to}]")))
}

/// Every shipped bank's file name and text (for the tests).
#[cfg(test)]
pub fn files() -> &'static [(&'static str, &'static str)] {
    &FILES
}
