//! Offline mock conversation writer.
//!
//! Used when no LLM credentials are configured: it writes a plausible,
//! deterministic conversation from the scenario, its attributes and the
//! per-conversation variables. Each language is one data file,
//! `lang/<code>.toml` (its phrase pools and formats, see [`bank`]); any
//! language without one gets the English text, clearly marked.
//!
//! The pipeline: the language's bank ([`load`]), what the conversation is
//! about ([`classify`], [`attrs`]), its facts ([`facts`]: drawn, or taken from
//! the variables), then a call ([`plan`], [`call`]) or another exchange
//! ([`generic`]) written by the [`writer`].
//!
//! Everything here is pure: no I/O, no clock. All randomness comes from the
//! caller's [`ConvRng`], so one rng state gives one text, byte for byte. The
//! banks are parsed once; a conversation only allocates its own strings.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::rng::ConvRng;

mod attrs;
mod bank;
#[cfg(test)]
mod bank_tests;
mod calendar;
#[cfg(test)]
mod calendar_tests;
mod call;
mod classify;
mod company;
#[cfg(test)]
mod content_tests;
mod day_parts;
#[cfg(test)]
mod daytime_tests;
mod domain_check;
mod extras;
#[cfg(test)]
mod extras_tests;
mod facts;
mod fits;
mod generic;
#[cfg(test)]
mod insurance_tests;
mod keys;
mod keywords;
mod load;
mod locale;
mod people;
mod plan;
mod policy;
mod pools;
#[cfg(test)]
mod shape_tests;
mod specifics;
#[cfg(test)]
mod specifics_tests;
mod stems;
#[cfg(test)]
mod tests;
mod var_names;
mod vars;
mod writer;

use classify::{Haystack, call_roles};
use extras::Spot;
use facts::Facts;
use var_names::RoleNames;
use writer::Writer;

/// Everything the mock needs to write one conversation.
pub struct MockInput<'a> {
    /// "es", "en", "es-ES", "fr", ... (matched on the primary subtag, case-insensitive).
    pub language: &'a str,
    /// e.g. ["agent", "client"]; the first speaks first; turns cycle through the roles.
    pub roles: &'a [String],
    /// Exact number of turns to produce (>= 2).
    pub turns: usize,
    /// e.g. "billing_dispute".
    pub scenario_id: &'a str,
    /// e.g. "Disputa de factura".
    pub scenario_title: &'a str,
    /// The scenario description (instructions to an LLM, placeholders already filled).
    pub scenario_text: &'a str,
    /// Scenario attributes other than weight, e.g. tone="molesto", resolution="escalado".
    pub attrs: &'a BTreeMap<String, serde_json::Value>,
    /// Per-conversation variables, e.g. customer="Lucía Gómez", amount=42.5, company="Telco".
    pub variables: &'a BTreeMap<String, serde_json::Value>,
    /// The prompt's system instructions.
    pub system: &'a str,
    /// The prompt title, e.g. "Atención al cliente — telecomunicaciones".
    pub title: &'a str,
    /// The conversation's simulated start, in UTC: the greeting follows its
    /// part of the day, and every date the text mentions is placed around
    /// its day (see [`calendar`]).
    pub start: NaiveDateTime,
}

/// When `language` has no phrase bank: what the mock writes instead, in one
/// line for `check`, `preview` and `generate` to say.
pub fn fallback_note(language: &str) -> Option<String> {
    let (bank, marker) = load::for_language(language);
    let marker = marker?;
    let to = bank.language.codes.first().map_or("en", String::as_str);
    Some(format!(
        "the offline mock has no phrase bank for language `{}`: without LLM credentials it writes `{to}` (English) text with every turn marked `{marker}`, so rules written in that language fail on it (docs/mock-languages.md)",
        crate::escape::capped_line(language, 40)
    ))
}

/// Writes one conversation: exactly `input.turns` (role, text) pairs, roles cycling
/// from `roles[0]`, every text non-empty. Deterministic for a given rng state.
pub fn mock_conversation(input: &MockInput, rng: &mut ConvRng) -> Vec<(String, String)> {
    generate(input, rng).0
}

/// The conversation, and whether a template referred to an unknown placeholder
/// (a bug in this file; the tests check it never happens).
fn generate(input: &MockInput, rng: &mut ConvRng) -> (Vec<(String, String)>, bool) {
    let fallback_roles = [String::from("agent"), String::from("client")];
    let roles: &[String] = if input.roles.is_empty() {
        &fallback_roles
    } else {
        input.roles
    };
    let (bank, marker) = load::for_language(input.language);
    write(input, roles, bank, marker.as_deref(), rng)
}

/// The variables no turn shows yet, given at `spot` ([`extras`]).
fn say_extras(
    input: &MockInput,
    w: &mut Writer,
    texts: &mut [String],
    spot: Option<Spot>,
    roles: RoleNames,
    call: bool,
) {
    let Some(spot) = spot.filter(|s| s.turn < texts.len()) else {
        return;
    };
    let b = w.b;
    let amount = w.f.get("amount").unwrap_or("").to_string();
    let items = extras::unsaid(input, &b.read.variables, roles, &amount, texts);
    if items.is_empty() {
        return;
    }
    w.f.set("extras", extras::join(&items, &b.locale.and));
    w.say(if call {
        &b.call.extras
    } else {
        &b.generic.extras
    });
    let sentence = w.finish();
    extras::insert(&mut texts[spot.turn], spot.at, &sentence);
}

/// The conversation in `bank`, every turn after `marker` if there is one.
fn write(
    input: &MockInput,
    roles: &[String],
    bank: &'static bank::Bank,
    marker: Option<&str>,
    rng: &mut ConvRng,
) -> (Vec<(String, String)>, bool) {
    let n = input.turns;
    let call = call_roles(roles, &bank.read);
    let hay = Haystack::new(input, bank);
    let domain = hay.domain();
    let topic = hay.topic(domain);
    let names = RoleNames::of(roles, call);
    let mut facts = Facts::build(input, bank, topic, domain, names, rng);
    let specific = specifics::for_call(input, bank, &facts, rng);
    let spec_kind = specific.as_ref().map(|s| s.kind);
    if let Some(s) = specific {
        facts.set("spec", s.phrase);
    }
    let mut w = Writer::new(rng, bank, facts);
    w.spec = spec_kind;
    w.domain = domain;
    w.hint = hay.subtype_hint(topic);
    let (mut texts, spot) = match call {
        Some(agent_first) => call::write_call(&mut w, n, agent_first),
        None => {
            let texts = generic::write_generic(&mut w, n, roles.len());
            // The second speaker's first turn, after what it says.
            let turn = usize::from(texts.len() > 1 && roles.len() > 1);
            let at = texts.get(turn).map_or(0, String::len);
            (texts, Some(Spot { turn, at }))
        }
    };
    say_extras(input, &mut w, &mut texts, spot, names, call.is_some());
    let bad = w.bad;
    let mut out = Vec::with_capacity(n);
    for (i, text) in texts.into_iter().enumerate().take(n) {
        let role = roles[i % roles.len()].clone();
        let text = match marker {
            Some(m) => format!("{m} {text}"),
            None => text,
        };
        out.push((role, text));
    }
    // Never fewer than asked for, whatever happened above.
    while out.len() < n {
        let role = roles[out.len() % roles.len()].clone();
        out.push((role, String::from("...")));
    }
    (out, bad)
}
