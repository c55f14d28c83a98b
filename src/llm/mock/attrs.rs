//! The caller's tone and the call's outcome, read from attributes (any
//! wording that names them) or from the scenario text (explicit words only).

use super::MockInput;
use super::bank::Bank;
use super::classify::{Outcome, Tone};
use super::keywords::{Keywords, OutcomeWords, ToneWords};
use super::vars::var_text;
use crate::rng::ConvRng;

fn any_in(s: &str, words: &[String]) -> bool {
    words.iter().any(|w| s.contains(w.as_str()))
}

/// The first tone, in the order angry, urgent, confused, calm, with a stem in `s`.
fn tone_in(s: &str, w: &ToneWords) -> Option<Tone> {
    [
        (Tone::Angry, &w.angry),
        (Tone::Urgent, &w.urgent),
        (Tone::Confused, &w.confused),
        (Tone::Calm, &w.calm),
    ]
    .into_iter()
    .find(|(_, words)| any_in(s, words))
    .map(|(t, _)| t)
}

/// The first outcome, in the order pending, escalated, callback, resolved,
/// with a stem in `s`.
fn outcome_in(s: &str, w: &OutcomeWords) -> Option<Outcome> {
    [
        (Outcome::Pending, &w.pending),
        (Outcome::Escalated, &w.escalated),
        (Outcome::Callback, &w.callback),
        (Outcome::Resolved, &w.resolved),
    ]
    .into_iter()
    .find(|(_, words)| any_in(s, words))
    .map(|(o, _)| o)
}

/// A tone attribute's value (lower-cased), in any wording.
pub fn classify_tone(s: &str, k: &Keywords) -> Option<Tone> {
    tone_in(s, &k.tone)
}

/// An outcome attribute's value (lower-cased), in any wording.
pub fn classify_outcome(s: &str, k: &Keywords) -> Option<Outcome> {
    outcome_in(s, &k.outcome)
}

/// Tone read from free scenario text: only clear words, to avoid false hits.
pub fn classify_tone_strict(text: &str, k: &Keywords) -> Option<Tone> {
    tone_in(text, &k.tone_in_text)
}

/// Outcome read from free scenario text: only explicit wording.
pub fn classify_outcome_strict(text: &str, k: &Keywords) -> Option<Outcome> {
    outcome_in(text, &k.outcome_in_text)
}

/// The caller's tone and the call's outcome: the scenario's attributes (or
/// the variables) first, then clear words of the scenario text (`hay_body`,
/// lower-cased), then chance.
pub fn tone_and_outcome(
    input: &MockInput,
    bank: &Bank,
    hay_body: &str,
    rng: &mut ConvRng,
) -> (Tone, Outcome) {
    let (vars, attrs) = (input.variables, input.attrs);
    let names = &bank.read.variables;
    let tone_attr = var_text(attrs, &names.tone)
        .or_else(|| var_text(vars, &names.tone))
        .and_then(|s| classify_tone(&s.to_lowercase(), &bank.read));
    let urgency = var_text(attrs, &names.priority)
        .and_then(|s| classify_tone(&s.to_lowercase(), &bank.read))
        .filter(|t| *t == Tone::Urgent);
    let tone_draw = rng.weighted_index(&[0.45, 0.25, 0.15, 0.15]).unwrap_or(0);
    let tone = tone_attr
        .or(urgency)
        .or_else(|| classify_tone_strict(hay_body, &bank.read))
        .unwrap_or([Tone::Calm, Tone::Angry, Tone::Urgent, Tone::Confused][tone_draw]);

    let outcome_attr = var_text(attrs, &names.resolution)
        .or_else(|| var_text(vars, &names.resolution))
        .and_then(|s| classify_outcome(&s.to_lowercase(), &bank.read));
    let outcome_draw = rng.weighted_index(&[0.55, 0.2, 0.15, 0.1]).unwrap_or(0);
    let outcome = outcome_attr
        .or_else(|| classify_outcome_strict(hay_body, &bank.read))
        .unwrap_or(
            [
                Outcome::Resolved,
                Outcome::Escalated,
                Outcome::Pending,
                Outcome::Callback,
            ][outcome_draw],
        );
    (tone, outcome)
}
