//! The caller's tone and the call's outcome, read from attributes (any
//! wording that names them) or from the scenario text (explicit words only).

use super::classify::{Outcome, Tone};
use super::keywords::{Keywords, OutcomeWords, ToneWords};

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
