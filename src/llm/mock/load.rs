//! The phrase banks: each language's data file, embedded, parsed once and
//! checked when first used: every pool non-empty (and at most 64 entries,
//! the writer's memory of what it said), every `{fact}` known, every
//! `[a|b]` closed, twelve months, seven weekdays.

use std::sync::OnceLock;

use super::bank::Bank;
use super::domain_check::check_domains;
use super::facts::key_index;
use super::keywords::Keywords;

/// Each language's data file: its name and its text.
const FILES: [(&str, &str); 4] = [
    ("lang/es.toml", include_str!("lang/es.toml")),
    ("lang/en.toml", include_str!("lang/en.toml")),
    ("lang/pt.toml", include_str!("lang/pt.toml")),
    ("lang/fr.toml", include_str!("lang/fr.toml")),
];

/// The bank every language without its own falls back to (marked).
const FALLBACK: &str = "en";

/// Parses and checks one file: its bank, then each of its variants (the
/// base with the variant's tables laid over it); errors name the file, the
/// variant and the field.
pub fn parse_all(file: &str, text: &str) -> Result<Vec<Bank>, String> {
    let mut raw: toml::Table = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let variants = match raw.remove("variants") {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(format!("{file}: variants: must be a table of variants")),
    };
    let mut out = vec![from_table(file, raw.clone())?];
    for (name, over) in variants {
        let at = format!("{file} (variant {name})");
        let toml::Value::Table(mut over) = over else {
            return Err(format!("{at}: must be a table"));
        };
        let tags = match over.remove("tags") {
            Some(toml::Value::Array(tags)) if !tags.is_empty() => tags,
            _ => return Err(format!("{at}: tags: needs the language tags it is for")),
        };
        let mut table = raw.clone();
        lay_over(&mut table, over);
        let language = table
            .get_mut("language")
            .and_then(toml::Value::as_table_mut)
            .ok_or_else(|| format!("{at}: language: missing"))?;
        language.insert("tags".into(), toml::Value::Array(tags));
        language.insert("names".into(), toml::Value::Array(Vec::new()));
        let mut bank = from_table(&at, table)?;
        bank.language.variant = true;
        out.push(bank);
    }
    Ok(out)
}

/// One bank, the first of [`parse_all`] (for the tests).
#[cfg(test)]
pub fn parse(file: &str, text: &str) -> Result<Bank, String> {
    parse_all(file, text).map(|mut banks| banks.swap_remove(0))
}

/// `over`'s tables merged into `base`'s, its other values replacing them.
pub fn lay_over(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => lay_over(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn from_table(file: &str, raw: toml::Table) -> Result<Bank, String> {
    for section in ["facts", "call", "generic", "specifics"] {
        if let Some(v) = raw.get(section) {
            check_pools(file, section, v)?;
        }
    }
    let bank: Bank = toml::Value::Table(raw)
        .try_into()
        .map_err(|e| format!("{file}: {e}"))?;
    if bank.facts.months.len() != 12 {
        return Err(format!("{file}: facts.months: needs 12 months"));
    }
    if bank.facts.weekdays.len() != 7 {
        return Err(format!(
            "{file}: facts.weekdays: needs 7 days, Monday first"
        ));
    }
    bank.facts
        .day_parts
        .check()
        .map_err(|e| format!("{file}: facts.day_parts: {e}"))?;
    check_domains(file, &bank)?;
    let said = [
        ("noun", &bank.specifics.noun),
        ("adverbial", &bank.specifics.adverbial),
    ];
    for (pool, templates) in said {
        if let Some(t) = templates.iter().find(|t| !t.contains("{spec}")) {
            return Err(format!("{file}: specifics.{pool}: {t:?} needs {{spec}}"));
        }
    }
    if bank.language.codes.is_empty() {
        return Err(format!("{file}: language.codes: empty"));
    }
    for tpl in [&bank.locale.date, &bank.locale.birth_date] {
        if !tpl.contains("{day}") || !tpl.contains("{month}") {
            return Err(format!(
                "{file}: locale: {tpl:?} needs {{day}} and {{month}}"
            ));
        }
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

/// Every bank, each with the stems it reads scenarios with: its own and
/// those of the banks its `also_read` names, in the order of the files.
fn banks() -> &'static [Bank] {
    static BANKS: OnceLock<Vec<Bank>> = OnceLock::new();
    BANKS.get_or_init(|| {
        // The shipped banks are checked by the tests: a failure here is a
        // bug in a data file of this crate, not bad input.
        let per_file: Vec<Vec<Bank>> = FILES
            .iter()
            .map(|(file, text)| parse_all(file, text).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let first_code = |f: &Vec<Bank>| f[0].language.codes[0].clone();
        let codes: Vec<String> = per_file.iter().map(first_code).collect();
        let stems: Vec<&Keywords> = per_file.iter().map(|f| &f[0].keywords).collect();
        let mut read = Vec::new();
        for (i, file) in per_file.iter().enumerate() {
            let also = &file[0].language.also_read;
            let mut k = Keywords::default();
            for (j, code) in codes.iter().enumerate() {
                if j == i || also.contains(code) {
                    k.extend(stems[j]);
                }
            }
            read.push(k);
        }
        let mut all = Vec::new();
        for (file, k) in per_file.into_iter().zip(read) {
            for mut bank in file {
                bank.read = Keywords::default();
                bank.read.extend(&k);
                all.push(bank);
            }
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
    let tag = whole.to_lowercase().replace('_', "-");
    let found = banks
        .iter()
        .find(|b| b.language.tags.contains(&tag))
        .or_else(|| {
            banks.iter().find(|b| {
                !b.language.variant
                    && (b.language.codes.contains(&primary)
                        || b.language
                            .names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(whole)))
            })
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
    let fallback = banks
        .iter()
        .find(|b| b.language.codes[0] == FALLBACK)
        .unwrap_or(&banks[0]);
    let to = fallback.language.codes.first().map_or("en", String::as_str);
    (fallback, Some(format!("[{clean}→{to}]")))
}

/// Every shipped bank's file name and text (for the tests).
#[cfg(test)]
pub fn files() -> &'static [(&'static str, &'static str)] {
    &FILES
}
