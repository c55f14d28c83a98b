//! A language's formats: money, dates, honorifics, phone numbers, and the
//! few words the writer needs outside any pool.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::bank::ByDomain;
use super::vars::{clip, var_text};
use crate::rng::ConvRng;

/// Where the currency symbol goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolAt {
    /// "42,50 €".
    After,
    /// "$42.50" for a one-character symbol, "42.50 CHF" otherwise.
    Before,
    /// "R$ 42,50".
    BeforeSpace,
}

/// How an identity document number is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdFormat {
    /// Spain's DNI: eight digits and their check letter.
    #[default]
    Dni,
    /// Portugal's NIF: nine digits, the last a check digit.
    Nif,
    /// Brazil's CPF: 000.000.000-00 with its two check digits.
    Cpf,
    /// A customer number of eight digits.
    Digits,
}

/// How amounts are written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub thousands: char,
    pub decimal: char,
    /// Amounts of at least this many digits get thousands separators.
    pub group_from: usize,
    pub symbol: SymbolAt,
    /// The currency when the variables name none.
    pub currency: String,
    /// Symbols that, found in the system prompt, replace `currency`, in order.
    #[serde(default)]
    pub currency_in_prompt: Vec<String>,
    /// The currency of the fillers of long calls.
    pub filler_currency: String,
}

/// A language's formats.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locale {
    pub money: Money,
    /// `{day}` and `{month}`.
    pub date: String,
    /// `{day}`, `{month}` and `{year}`.
    pub birth_date: String,
    /// `{last}`: the surname.
    pub honorific_female: String,
    pub honorific_male: String,
    /// `#` a random digit, `[6|7]` one of the alternatives, `{201-989}` a
    /// number in that range; anything else as written.
    pub phone: String,
    /// The identity document number drawn when the variables give none.
    #[serde(default)]
    pub id: IdFormat,
    /// Whether generated names get two surnames half of the time.
    #[serde(default)]
    pub two_surnames: bool,
    /// The statement a charge appears on, per domain; `{month}`.
    pub bill: ByDomain<String>,
    /// The scenario's name when it has none.
    pub no_title: String,
    /// A turn when nothing else was said.
    pub empty_turn: String,
    /// The word before a list's last item («a, b y c»).
    pub and: String,
}

fn group_digits(int: u64, sep: char, min_len: usize) -> String {
    let raw = int.to_string();
    if raw.len() < min_len {
        return raw;
    }
    let mut out = String::with_capacity(raw.len() + raw.len() / 3);
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

impl Locale {
    /// "42,50 €" / "$42.50"; whole amounts without decimals.
    pub fn money(&self, value: f64, symbol: &str) -> String {
        let m = &self.money;
        let cents_total = (value.min(1e12) * 100.0).round() as u64;
        let (int, cents) = (cents_total / 100, cents_total % 100);
        let mut s = group_digits(int, m.thousands, m.group_from);
        if cents != 0 {
            s.push_str(&format!("{}{cents:02}", m.decimal));
        }
        match m.symbol {
            SymbolAt::Before if symbol.chars().count() == 1 => format!("{symbol}{s}"),
            SymbolAt::BeforeSpace => format!("{symbol} {s}"),
            _ => format!("{s} {symbol}"),
        }
    }

    /// The currency the variables name, else the one the prompt shows, else
    /// the language's.
    pub fn currency(
        &self,
        vars: &BTreeMap<String, Value>,
        names: &[String],
        system: &str,
    ) -> String {
        match var_text(vars, names) {
            Some(c) => match c.to_ascii_uppercase().as_str() {
                "EUR" | "EURO" | "EUROS" | "€" => String::from("€"),
                "USD" | "DOLLAR" | "DOLLARS" | "DÓLARES" | "DOLARES" | "$" => String::from("$"),
                "GBP" | "POUND" | "POUNDS" | "£" => String::from("£"),
                _ => clip(&c, 8).to_string(),
            },
            None => self
                .money
                .currency_in_prompt
                .iter()
                .find(|s| system.contains(s.as_str()))
                .unwrap_or(&self.money.currency)
                .clone(),
        }
    }

    pub fn date(&self, day: i64, month: &str) -> String {
        self.date
            .replace("{day}", &day.to_string())
            .replace("{month}", month)
    }

    pub fn birth_date(&self, day: i64, month: &str, year: i64) -> String {
        self.birth_date
            .replace("{day}", &day.to_string())
            .replace("{month}", month)
            .replace("{year}", &year.to_string())
    }

    pub fn honorific(&self, female: bool, last: &str) -> String {
        let tpl = if female {
            &self.honorific_female
        } else {
            &self.honorific_male
        };
        tpl.replace("{last}", last)
    }

    /// An identity document number in the language's format.
    pub fn id(&self, rng: &mut ConvRng) -> String {
        match self.id {
            IdFormat::Dni => {
                let num = rng.int(10_000_000, 79_999_999).unwrap_or(12_345_678);
                let letter = b"TRWAGMYFPDXBNJZSQVHLCKE"[(num % 23) as usize] as char;
                format!("{num}{letter}")
            }
            IdFormat::Nif => {
                let num = rng.int(10_000_000, 29_999_999).unwrap_or(12_345_678);
                let mut d = digits_of(num);
                d.push(check_digit(&d, 9));
                d.iter().map(|x| char::from(b'0' + x)).collect()
            }
            IdFormat::Cpf => {
                let num = rng.int(100_000_000, 999_999_999).unwrap_or(123_456_789);
                let mut d = digits_of(num);
                d.push(check_digit(&d, 10));
                d.push(check_digit(&d, 11));
                let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
            }
            IdFormat::Digits => rng
                .int(10_000_000, 99_999_999)
                .unwrap_or(12_345_678)
                .to_string(),
        }
    }

    /// A phone number drawn from the `phone` pattern.
    pub fn phone(&self, rng: &mut ConvRng) -> String {
        let mut out = String::with_capacity(self.phone.len());
        let mut rest = self.phone.as_str();
        while let Some(c) = rest.chars().next() {
            let close = match c {
                '[' => rest.find(']'),
                '{' => rest.find('}'),
                _ => None,
            };
            match (c, close) {
                ('#', _) => out.push(char::from(b'0' + rng.below(10) as u8)),
                ('[', Some(end)) => {
                    let choices: Vec<&str> = rest[1..end].split('|').collect();
                    out.push_str(rng.choice(&choices).copied().unwrap_or(""));
                    rest = &rest[end..];
                }
                ('{', Some(end)) => {
                    let (lo, hi) = range(&rest[1..end]).unwrap_or((0, 9));
                    out.push_str(&rng.int(lo, hi).unwrap_or(lo).to_string());
                    rest = &rest[end..];
                }
                _ => out.push(c),
            }
            rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
        }
        out
    }
}

fn digits_of(n: i64) -> Vec<u8> {
    n.unsigned_abs()
        .to_string()
        .bytes()
        .map(|b| b - b'0')
        .collect()
}

/// The mod-11 check digit of `d` weighted from `top` down (NIF, CPF).
fn check_digit(d: &[u8], top: u32) -> u8 {
    let sum: u32 = d
        .iter()
        .zip((2..=top).rev())
        .map(|(x, w)| u32::from(*x) * w)
        .sum();
    match 11 - sum % 11 {
        r if r >= 10 => 0,
        r => r as u8,
    }
}

/// "201-989" as (201, 989).
pub fn range(s: &str) -> Option<(i64, i64)> {
    let (lo, hi) = s.split_once('-')?;
    let (lo, hi) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
    (lo <= hi).then_some((lo, hi))
}

/// Lower-cases the first letter unless the word looks like an acronym ("TV").
pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_uppercase() => s.to_string(),
        (Some(a), _) => {
            let mut out: String = a.to_lowercase().collect();
            out.push_str(&s[a.len_utf8()..]);
            out
        }
        _ => String::new(),
    }
}
