//! The date facts of every shipped bank, for calls on fixed days: each one
//! on its side of the call, written in the bank's format, and a weekday
//! named in a callback or a "since" the real one of a day near the call.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::bank::Bank;
use super::calendar::{minus, plus};
use super::classify::{Domain, Topic};
use super::facts::Facts;
use super::var_names::RoleNames;
use super::{MockInput, load};
use crate::rng::ConvRng;

/// Every bank and variant shipped.
fn banks() -> Vec<&'static Bank> {
    load::files()
        .iter()
        .flat_map(|(file, text)| load::parse_all(file, text).unwrap())
        .map(|b| &*Box::leak(Box::new(b)))
        .collect()
}

/// The days in `from..=to` that `bank` writes as `text`.
fn days_written(bank: &Bank, text: &str, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| {
            let month = &bank.facts.months[d.month0() as usize];
            bank.locale.date(i64::from(d.day()), month) == text
        })
        .collect()
}

fn facts(bank: &'static Bank, today: NaiveDate, seed: u64) -> Facts {
    let none = BTreeMap::new();
    let roles = [String::from("agent"), String::from("client")];
    let input = MockInput {
        language: "",
        roles: &roles,
        turns: 12,
        scenario_id: "billing_dispute",
        scenario_title: "Billing",
        scenario_text: "",
        attrs: &none,
        variables: &none,
        system: "",
        title: "",
        start: today.and_hms_opt(11, 0, 0).unwrap(),
    };
    let topic = Topic::Billing;
    Facts::build(
        &input,
        bank,
        topic,
        Domain::Telecom,
        RoleNames::default(),
        &mut ConvRng::new(seed),
    )
}

#[test]
fn every_bank_dates_what_comes_after_the_call_after_it() {
    for bank in banks() {
        for today in ["2026-03-10", "2026-12-28", "2027-01-01"] {
            let today = NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap();
            let months = &bank.facts.months;
            for seed in 0..60 {
                let f = facts(bank, today, seed);
                let code = &bank.language.codes[0];
                let ahead = |key: &str, days: u64| {
                    let text = f.get(key).unwrap();
                    let found = days_written(bank, text, plus(today, 1), plus(today, days));
                    assert!(!found.is_empty(), "{code} {today}: {key} = {text:?}");
                };
                ahead("eff_date", 30);
                ahead("ship_day", 7);
                let sent = f.get("sent_day").unwrap();
                let back = days_written(bank, sent, minus(today, 10), minus(today, 1));
                assert!(!back.is_empty(), "{code} {today}: sent_day = {sent:?}");
                let bill_month = months.iter().position(|m| m == f.get("month").unwrap());
                let m = today.month0() as usize;
                assert!(
                    bill_month == Some(m) || bill_month == Some((m + 11) % 12),
                    "{code} {today}: month = {:?}",
                    f.get("month")
                );
                let perm = months
                    .iter()
                    .position(|x| x == f.get("perm_month").unwrap());
                let ahead_months = perm.map(|p| (p + 12 - m) % 12);
                assert!(matches!(ahead_months, Some(4..=9)), "{code} {today}");
                let dob = f.get("dob").unwrap();
                let year: i32 = dob
                    .rsplit(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 4)
                    .and_then(|y| y.parse().ok())
                    .unwrap_or_else(|| panic!("{code}: dob {dob:?}"));
                assert!(today.year() - year >= 20, "{code} {today}: dob = {dob:?}");
            }
        }
    }
}

#[test]
fn a_weekday_a_phrase_names_is_the_real_one() {
    for bank in banks() {
        let weekdays = &bank.facts.weekdays;
        // 2026-03-10 is a Tuesday.
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let named = |text: &str| weekdays.iter().position(|w| text.contains(w.as_str()));
        let (mut callbacks, mut sinces) = (0, 0);
        for seed in 0..200 {
            let f = facts(bank, today, seed);
            let callback = f.get("callback").unwrap();
            if let Some(w) = named(callback) {
                callbacks += 1;
                // Two to six days ahead, a working day: Thursday to Monday.
                assert!([3, 4, 0].contains(&w), "{callback:?}");
            }
            let since = f.get("since").unwrap();
            if let Some(w) = named(since) {
                sinces += 1;
                // Two to six days back, a working day: Wednesday to Friday.
                assert!([2, 3, 4].contains(&w), "{since:?}");
            }
        }
        let code = &bank.language.codes[0];
        assert!(callbacks > 0 && sinces > 0, "{code}: {callbacks} {sinces}");
    }
}
