//! The shipped banks load, every template in them renders, and the checks
//! at load refuse what a translator could get wrong.

use std::collections::BTreeMap;

use serde_json::Value;

use super::MockInput;
use super::bank::Bank;
use super::classify::{Domain, Topic};
use super::facts::Facts;
use super::load::{files, parse, parse_all};
use super::var_names::RoleNames;
use super::writer::Writer;
use crate::rng::ConvRng;

/// Every template string of a bank's pools, with its path.
fn templates(file: &str, text: &str) -> Vec<(String, String)> {
    fn walk(path: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    if k != "fits" && k != "kind" {
                        walk(&format!("{path}.{k}"), v, out);
                    }
                }
            }
            toml::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), v, out);
                }
            }
            toml::Value::String(s) => out.push((path.to_string(), s.clone())),
            _ => {}
        }
    }
    let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = Vec::new();
    for section in ["facts", "call", "generic", "specifics"] {
        walk(section, &table[section], &mut out);
    }
    if let Some(toml::Value::Table(variants)) = table.get("variants") {
        for (name, v) in variants {
            for section in ["facts", "call", "generic"] {
                if let Some(v) = v.get(section) {
                    walk(&format!("variants.{name}.{section}"), v, &mut out);
                }
            }
        }
    }
    out
}

fn leak(bank: Bank) -> &'static Bank {
    Box::leak(Box::new(bank))
}

fn input<'a>(
    language: &'a str,
    roles: &'a [String],
    none: &'a BTreeMap<String, Value>,
) -> MockInput<'a> {
    MockInput {
        language,
        roles,
        turns: 24,
        scenario_id: "billing_dispute",
        scenario_title: "Disputa de factura",
        scenario_text: "Cobro duplicado en la factura.",
        attrs: none,
        variables: none,
        system: "",
        title: "",
        start: super::calendar::test_start(10 * 60),
    }
}

#[test]
fn every_shipped_bank_loads_and_renders_every_template() {
    let roles = [String::from("agent"), String::from("client")];
    let none = BTreeMap::new();
    for (file, text) in files() {
        let banks = parse_all(file, text).unwrap_or_else(|e| panic!("{e}"));
        let all = templates(file, text);
        assert!(all.len() > 300, "{file}: only {} templates", all.len());
        for bank in banks {
            let bank = leak(bank);
            let mut rng = ConvRng::new(7);
            let input = input(file, &roles, &none);
            let facts = Facts::build(
                &input,
                bank,
                Topic::Billing,
                Domain::Telecom,
                RoleNames::default(),
                &mut rng,
            );
            let mut w = Writer::new(&mut rng, bank, facts);
            for (path, tpl) in &all {
                w.text(tpl);
                let out = w.finish();
                assert!(!w.bad, "{file}: {path}: {tpl:?} did not render");
                assert!(
                    !out.contains(['{', '}']) && !out.trim().is_empty(),
                    "{file}: {path}: {tpl:?} rendered as {out:?}"
                );
            }
        }
    }
}

/// The Spanish bank with one edit.
fn es_with(from: &str, to: &str) -> Result<Bank, String> {
    let (file, text) = files()[0];
    assert!(text.contains(from), "{from:?} not in {file}");
    parse(file, &text.replacen(from, to, 1))
}

#[test]
fn the_checks_name_the_file_and_the_field_at_fault() {
    let cases = [
        (
            "{company}",
            "{compnay}",
            "call.ring[1]: unknown fact {compnay}",
        ),
        ("ring = [", "ring = [] \nx = [", "call.ring: 0 entries"),
        ("bye_short = [", "bye_shrt = [", "bye_short"),
        ("    \"diciembre\",\n", "", "facts.months"),
        ("\"Buenas tardes\"", "\"Buenas [tardes\"", "not closed"),
        ("fits = \"s0\"", "fits = \"s9\"", "s9"),
        (
            "\"Todo empezó {spec}.\"",
            "\"Todo empezó.\"",
            "specifics.adverbial",
        ),
        (
            "evening = \"21:00\"",
            "evening = \"25:00\"",
            "not a time of day",
        ),
        (
            "evening = \"21:00\"",
            "evening = \"11:00\"",
            "facts.day_parts",
        ),
    ];
    for (from, to, want) in cases {
        let Err(e) = es_with(from, to) else {
            panic!("{from:?} → {to:?} was accepted");
        };
        assert!(e.contains("lang/es.toml") && e.contains(want), "{e}");
    }
}

#[test]
fn a_bank_with_shorter_lists_than_another_never_panics() {
    let (file, text) = files()[0];
    let mut table: toml::Table = toml::from_str(text).unwrap();
    // Every pool cut to its first entry, which then fits every domain (the
    // load check wants each domain to find one).
    fn cut(v: &mut toml::Value) {
        match v {
            toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| cut(v)),
            toml::Value::Array(items) => {
                items.truncate(1);
                if let Some(toml::Value::Table(entry)) = items.first_mut() {
                    entry.remove("fits");
                }
            }
            _ => {}
        }
    }
    for section in ["facts", "call", "generic"] {
        cut(&mut table[section]);
    }
    let months = (1..=12)
        .map(|m| toml::Value::from(format!("mes{m}")))
        .collect();
    table["facts"]["months"] = toml::Value::Array(months);
    let weekdays = (1..=7)
        .map(|d| toml::Value::from(format!("día{d}")))
        .collect();
    table["facts"]["weekdays"] = toml::Value::Array(weekdays);
    let bank = leak(parse(file, &toml::to_string(&table).unwrap()).unwrap());
    let none = BTreeMap::new();
    for roles in [
        vec!["agent", "client"],
        vec!["client", "agent"],
        vec!["a", "b", "c"],
    ] {
        let roles: Vec<String> = roles.into_iter().map(String::from).collect();
        for seed in 0..50 {
            let input = input("es", &roles, &none);
            let (conv, bad) = super::write(&input, &roles, bank, None, &mut ConvRng::new(seed));
            assert_eq!(conv.len(), 24);
            assert!(!bad);
        }
    }
}

#[test]
fn the_brazilian_variant_speaks_no_portuguese_of_portugal() {
    let (file, text) = files()[2];
    let mut table: toml::Table = toml::from_str(text).unwrap();
    let Some(toml::Value::Table(mut variants)) = table.remove("variants") else {
        panic!("{file} has no variants");
    };
    let Some(toml::Value::Table(mut br)) = variants.remove("br") else {
        panic!("{file} has no br variant");
    };
    br.remove("tags");
    super::load::lay_over(&mut table, br);
    let portugal = [
        "estou a ",
        "está a ",
        "registad",
        "telemóvel",
        "morada",
        "encomenda",
        "palavra-passe",
        "-lhe",
        "-me ",
        "contactá",
        "adeus",
        "percebo",
        "apoio ao cliente",
        "equipa ",
        "portes",
        "ficha",
        "telefónic",
        "contacto",
        "fidelização",
        "tarifário",
        "prémio",
        "multibanco",
        "peritagem",
        "condutor",
        // «olhe» as a word, not «olhei»
        "olhe,",
        "olhe ",
        "gostava",
        "à espera",
    ];
    let mut found = Vec::new();
    for (path, tpl) in templates(file, &toml::to_string(&table).unwrap()) {
        let low = tpl.to_lowercase();
        if let Some(w) = portugal.iter().find(|w| low.contains(*w)) {
            found.push(format!("{path}: {w:?} in {tpl:?}"));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
