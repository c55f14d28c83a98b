//! The agent greets by the conversation's simulated time of day, with the
//! part-of-day boundaries of each bank: no morning greeting at 02:00, no
//! night greeting at 10:50, in every language and variant.

use std::collections::BTreeMap;

use super::MockInput;
use super::bank::Bank;
use super::load::{files, for_language, parse_all};
use crate::rng::ConvRng;

/// `text`'s words, lowercased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `phrase`'s words come one after the other in `text` (words, not
/// substrings: "bonjour" is not in "bonjours").
fn has_phrase(text: &str, phrase: &str) -> bool {
    let (text, phrase) = (words(text), words(phrase));
    !phrase.is_empty() && text.windows(phrase.len()).any(|w| w == phrase.as_slice())
}

/// The first role name of each side of a call in the bank file `text`.
fn call_roles(text: &str) -> [String; 2] {
    let table: toml::Table = toml::from_str(text).unwrap();
    ["agent_roles", "client_roles"].map(|k| table["keywords"][k][0].as_str().unwrap().to_string())
}

/// The first turn of `seed`'s call starting `minute` after midnight.
fn first_turn(bank: &'static Bank, roles: &[String], minute: u32, seed: u64) -> String {
    let none = BTreeMap::new();
    let input = MockInput {
        language: "",
        roles,
        turns: 12,
        scenario_id: "billing_dispute",
        scenario_title: "Billing",
        scenario_text: "",
        attrs: &none,
        variables: &none,
        system: "",
        title: "",
        start: super::calendar::test_start(minute),
    };
    let (conv, bad) = super::write(&input, roles, bank, None, &mut ConvRng::new(seed));
    assert!(!bad);
    conv[0].1.clone()
}

#[test]
fn no_bank_greets_the_morning_at_two_or_the_night_at_ten_fifty() {
    for (file, text) in files() {
        let roles = call_roles(text);
        for parsed in parse_all(file, text).unwrap_or_else(|e| panic!("{e}")) {
            // The bank as the mock uses it, with the stems it reads roles by.
            let (bank, marker) = for_language(&parsed.language.codes[0]);
            assert!(marker.is_none(), "{file}");
            let name = format!("{file} ({})", bank.language.codes.join(", "));
            let hello = &bank.facts.hello;
            let (morning, night) = (hello.morning.as_str(), hello.evening.as_str());
            assert!(!has_phrase(morning, night) && !has_phrase(night, morning));
            for (minute, right, wrong) in [(2 * 60, night, morning), (10 * 60 + 50, morning, night)]
            {
                let mut greeted = 0;
                for seed in 0..40 {
                    let first = first_turn(bank, &roles, minute, seed);
                    assert!(
                        !has_phrase(&first, wrong),
                        "{name} at minute {minute}, seed {seed}: {first:?}"
                    );
                    greeted += usize::from(has_phrase(&first, right));
                }
                // Some openings greet without naming the part of the day.
                assert!(
                    greeted >= 20,
                    "{name} at minute {minute}: {greeted} of 40 say {right:?}"
                );
            }
        }
    }
}

#[test]
fn each_part_of_the_day_begins_where_its_bank_says() {
    for (file, text) in files() {
        for bank in parse_all(file, text).unwrap_or_else(|e| panic!("{e}")) {
            let p = &bank.facts.day_parts;
            let (m, a, e) = (p.morning.0, p.afternoon.0, p.evening.0);
            let at = |minute: u32| p.at(minute);
            assert_eq!([at(m - 1), at(m), at(a - 1), at(a)], [2, 0, 0, 1], "{file}");
            assert_eq!([at(e - 1), at(e), at(1439), at(0)], [1, 2, 2, 2], "{file}");
        }
    }
}
