//! One language's phrase bank, as its data file (`lang/<code>.toml`) holds
//! it: named pools of templates, no positions. `{fact}` in a template is a
//! fact of the conversation ([`super::facts::KEYS`]), `[a|b]` one
//! alternative drawn from the rng. Checked when loaded ([`super::load`]).

use std::sync::OnceLock;

use serde::Deserialize;

use super::classify::{Domain, Outcome, Tone, Topic};
use super::keywords::Keywords;
use super::locale::Locale;
use super::pools::{CallPools, FactPools, GenericPools};
use super::specifics::SpecificPools;
use super::stems::StemIndex;

pub use super::fits::{ANY, DOMAINS, Fits, domain_bit};

/// A phrase fitting some sub-types of its topic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tagged {
    #[serde(default)]
    pub fits: Fits,
    pub text: String,
}

/// A question and the answer it gets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qa {
    pub q: String,
    pub a: String,
}

/// A question and its answer, fitting some sub-types of its topic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaggedQa {
    #[serde(default)]
    pub fits: Fits,
    pub q: String,
    pub a: String,
}

/// What the agent asks to verify the caller's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyKind {
    Dni,
    Dob,
    Digits,
    DniDob,
}

/// The agent's identity question, and what it asks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskVerify {
    pub kind: VerifyKind,
    pub text: String,
}

/// An item sold, with its indefinite and definite article.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub a: String,
    pub the: String,
}

/// One entry per tone of the caller.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByTone<T> {
    pub calm: T,
    pub angry: T,
    pub urgent: T,
    pub confused: T,
}

impl<T> ByTone<T> {
    pub fn get(&self, tone: Tone) -> &T {
        match tone {
            Tone::Calm => &self.calm,
            Tone::Angry => &self.angry,
            Tone::Urgent => &self.urgent,
            Tone::Confused => &self.confused,
        }
    }
}

/// One entry per topic of the call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByTopic<T> {
    pub billing: T,
    pub technical: T,
    pub cancel: T,
    pub plan: T,
    pub order: T,
    pub account: T,
    pub general: T,
    pub card: T,
    pub transfer: T,
    pub claim: T,
}

impl<T> ByTopic<T> {
    pub fn get(&self, topic: Topic) -> &T {
        match topic {
            Topic::Billing => &self.billing,
            Topic::Technical => &self.technical,
            Topic::Cancel => &self.cancel,
            Topic::Plan => &self.plan,
            Topic::Order => &self.order,
            Topic::Account => &self.account,
            Topic::General => &self.general,
            Topic::Card => &self.card,
            Topic::Transfer => &self.transfer,
            Topic::Claim => &self.claim,
        }
    }
}

/// One entry per business domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByDomain<T> {
    pub telecom: T,
    pub bank: T,
    pub shop: T,
    pub insurance: T,
}

impl<T> ByDomain<T> {
    pub fn get(&self, domain: Domain) -> &T {
        match domain {
            Domain::Telecom => &self.telecom,
            Domain::Bank => &self.bank,
            Domain::Shop => &self.shop,
            Domain::Insurance => &self.insurance,
        }
    }
}

/// One entry per part of the day (the greeting follows the simulated time).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByDayPart {
    pub morning: String,
    pub afternoon: String,
    pub evening: String,
}

impl ByDayPart {
    pub fn get(&self, part: usize) -> &str {
        match part {
            0 => &self.morning,
            1 => &self.afternoon,
            _ => &self.evening,
        }
    }
}

/// One entry per kind of identity check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByVerify<T> {
    pub dni: T,
    pub dob: T,
    pub digits: T,
    pub dni_dob: T,
}

impl<T> ByVerify<T> {
    pub fn get(&self, kind: VerifyKind) -> &T {
        match kind {
            VerifyKind::Dni => &self.dni,
            VerifyKind::Dob => &self.dob,
            VerifyKind::Digits => &self.digits,
            VerifyKind::DniDob => &self.dni_dob,
        }
    }
}

/// The client's answer to the outcome, resolved or not.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByResolved {
    pub resolved: Vec<String>,
    pub unresolved: Vec<String>,
}

impl ByResolved {
    pub fn get(&self, outcome: Outcome) -> &[String] {
        if outcome == Outcome::Resolved {
            &self.resolved
        } else {
            &self.unresolved
        }
    }
}

/// How the bank names itself and which language tags select it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// Primary subtags and names matched case-insensitively ("es", "spa").
    pub codes: Vec<String>,
    /// Whole language values matched case-insensitively ("español").
    #[serde(default)]
    pub names: Vec<String>,
    /// Other banks (by first code) whose stems this language reads
    /// scenarios with too, e.g. English for scenario ids.
    #[serde(default)]
    pub also_read: Vec<String>,
    /// Whole tags ("pt-br") a variant is for, lower-case with `-`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Set for a variant, which only its tags select.
    #[serde(skip)]
    pub variant: bool,
}

/// A whole language: its locale and its phrase pools.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    pub language: Language,
    pub locale: Locale,
    pub facts: FactPools,
    pub call: CallPools,
    pub generic: GenericPools,
    /// Finding the scenario's specifics, and saying them.
    pub specifics: SpecificPools,
    #[serde(default)]
    pub keywords: Keywords,
    /// Which other banks' stems this one reads scenarios with too (by
    /// their first code), besides its own.
    #[serde(skip)]
    pub read: Keywords,
    /// `read`'s scored stems, indexed to be found in one pass (built with
    /// `read`; a bank parsed on its own builds it when first used).
    #[serde(skip)]
    pub stems: OnceLock<StemIndex>,
}

impl Bank {
    /// The index of the stems this bank reads scenarios with.
    pub fn stems(&self) -> &StemIndex {
        self.stems.get_or_init(|| {
            // The stems are checked when the bank loads; an automaton over
            // them cannot fail to build short of a bug.
            StemIndex::build(&self.read).unwrap_or_else(|e| panic!("{e}"))
        })
    }
}
