//! The conversation's calendar: every date a call mentions, placed around
//! the call's simulated start. The bill is this month's or last month's;
//! what was sent or happened lies a few days back; deliveries, effective
//! dates, callbacks and the end of a contract lie ahead; a birth date lies
//! decades back. Weekday names in a bank's phrases ("on Thursday morning")
//! are turned into the weekday of a real day near the call.
//!
//! Pure: the call's date comes from the caller, the draws from its rng.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::rng::ConvRng;

/// The dates of one call, drawn once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDates {
    /// The day the call takes place.
    pub today: NaiveDate,
    /// The month of the statement a charge is on (0 January to 11 December).
    pub bill_month: usize,
    /// When a change (a cancellation, a new plan, a visit) takes effect.
    pub effective: NaiveDate,
    /// When something ordered will arrive or be collected.
    pub delivery: NaiveDate,
    /// When something (an order, a transfer) was sent.
    pub sent: NaiveDate,
    /// The month a contract's minimum term ends.
    pub term_end_month: usize,
    /// The working day a callback falls on, for phrases naming a weekday.
    pub callback_day: NaiveDate,
    /// A recent working day, for "since Monday" and the like.
    pub since_day: NaiveDate,
    pub birth: NaiveDate,
}

/// `today` plus `days`, or `today` itself at the end of the calendar.
pub fn plus(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_add_days(Days::new(days)).unwrap_or(today)
}

/// `today` minus `days`, or `today` itself at the start of the calendar.
pub fn minus(today: NaiveDate, days: u64) -> NaiveDate {
    today.checked_sub_days(Days::new(days)).unwrap_or(today)
}

fn month0(d: NaiveDate) -> usize {
    d.month0() as usize
}

fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A working day two to six days from `today` (`ahead`) or back.
fn working_day_near(today: NaiveDate, ahead: bool, rng: &mut ConvRng) -> NaiveDate {
    let at = |k: u64| {
        if ahead {
            plus(today, k)
        } else {
            minus(today, k)
        }
    };
    let days: Vec<NaiveDate> = (2..=6).map(at).filter(|d| is_working_day(*d)).collect();
    rng.choice(&days).copied().unwrap_or_else(|| at(2))
}

impl CallDates {
    pub fn draw(today: NaiveDate, rng: &mut ConvRng) -> Self {
        let this_month = month0(today);
        // Early in the month the statement in question is often last month's.
        let bill_month = if rng.chance(0.4) {
            (this_month + 11) % 12
        } else {
            this_month
        };
        let effective = plus(today, rng.int(3, 30).unwrap_or(7) as u64);
        let delivery = plus(today, rng.int(1, 7).unwrap_or(2) as u64);
        let sent = minus(today, rng.int(2, 10).unwrap_or(4) as u64);
        let term_end_month = (this_month + 4 + rng.below(6) as usize) % 12;
        let callback_day = working_day_near(today, true, rng);
        let since_day = working_day_near(today, false, rng);
        let age_days = rng.int(20 * 365 + 30, 78 * 365).unwrap_or(40 * 365) as u64;
        let birth = minus(today, age_days);
        CallDates {
            today,
            bill_month,
            effective,
            delivery,
            sent,
            term_end_month,
            callback_day,
            since_day,
            birth,
        }
    }
}

/// The past day the `k`-th filler of a long call names (from 0): the first
/// a few days back, each later one further back, so that no two are alike.
pub fn filler_day(today: NaiveDate, k: u64, offset: u64) -> NaiveDate {
    minus(today, 1 + offset % 5 + k * 3)
}

/// `phrase` with the first weekday name of `weekdays` (Monday first, seven
/// names, matched as a whole word) replaced by `day`'s; unchanged if it
/// names none.
pub fn retell_weekday(phrase: &str, weekdays: &[String], day: NaiveDate) -> String {
    let new = weekdays
        .get(day.weekday().num_days_from_monday() as usize)
        .map_or("", String::as_str);
    for name in weekdays {
        if let Some(pos) = find_word(phrase, name) {
            return format!("{}{new}{}", &phrase[..pos], &phrase[pos + name.len()..]);
        }
    }
    phrase.to_string()
}

/// Where `word` begins in `text` as a whole word (not inside another).
fn find_word(text: &str, word: &str) -> Option<usize> {
    if word.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(word).map(|i| i + from) {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '-');
        if edge(before) && edge(after) {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// 2026-03-10 (a Tuesday), `minute` after midnight: the start the unit tests
/// give their calls.
#[cfg(test)]
pub fn test_start(minute: u32) -> chrono::NaiveDateTime {
    let day = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap_or_default();
    day.and_hms_opt(minute / 60 % 24, minute % 60, 0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_date_is_on_its_side_of_the_call() {
        for today in ["2026-03-10", "2026-12-28", "2024-02-29", "2026-01-02"] {
            let today = day(today);
            for seed in 0..300 {
                let d = CallDates::draw(today, &mut ConvRng::new(seed));
                let m = month0(today);
                assert!(d.bill_month == m || d.bill_month == (m + 11) % 12, "{d:?}");
                assert!(
                    d.effective > today && d.effective <= plus(today, 30),
                    "{d:?}"
                );
                assert!(d.delivery > today && d.delivery <= plus(today, 7), "{d:?}");
                assert!(d.sent < today && d.sent >= minus(today, 10), "{d:?}");
                assert!(d.callback_day > today && d.callback_day <= plus(today, 6));
                assert!(is_working_day(d.callback_day), "{d:?}");
                assert!(d.since_day < today && is_working_day(d.since_day), "{d:?}");
                let months_ahead = (d.term_end_month + 12 - m) % 12;
                assert!((4..=9).contains(&months_ahead), "{d:?}");
                assert!(today.year() - d.birth.year() >= 20, "{d:?}");
            }
        }
    }

    #[test]
    fn december_calls_look_ahead_into_january() {
        let today = day("2026-12-28");
        let later: Vec<NaiveDate> = (0..200)
            .map(|s| CallDates::draw(today, &mut ConvRng::new(s)).effective)
            .collect();
        assert!(later.iter().any(|d| d.year() == 2027 && d.month() == 1));
    }

    #[test]
    fn fillers_name_past_days_without_repeating() {
        let today = day("2026-03-10");
        let days: Vec<NaiveDate> = (0..120).map(|k| filler_day(today, k, 7)).collect();
        let mut unique = days.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 120);
        assert!(days.iter().all(|d| *d < today));
        assert!(filler_day(today, 0, 7) >= minus(today, 5));
    }

    #[test]
    fn a_weekday_name_becomes_the_real_one() {
        let names: Vec<String> = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
            .iter()
            .chain(&["dimanche"])
            .map(|s| s.to_string())
            .collect();
        // 2026-03-10 is a Tuesday.
        let tue = day("2026-03-10");
        assert_eq!(retell_weekday("jeudi matin", &names, tue), "mardi matin");
        assert_eq!(retell_weekday("demain matin", &names, tue), "demain matin");
        let pt: Vec<String> = [
            "segunda-feira",
            "terça-feira",
            "quarta-feira",
            "quinta-feira",
        ]
        .iter()
        .chain(&["sexta-feira", "sábado", "domingo"])
        .map(|s| s.to_string())
        .collect();
        let fri = day("2026-03-13");
        assert_eq!(
            retell_weekday("na quinta-feira logo de manhã", &pt, fri),
            "na sexta-feira logo de manhã"
        );
        // Not inside another word.
        assert_eq!(find_word("Mondays and Monday", "Monday"), Some(12));
    }
}
