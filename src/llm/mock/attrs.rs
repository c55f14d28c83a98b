//! The caller's tone and the call's outcome, read from attributes (any
//! wording that names them) or from the scenario text (explicit words only).

use super::classify::{Outcome, Tone};

pub fn classify_tone(s: &str) -> Option<Tone> {
    const ANGRY: &[&str] = &[
        "angr",
        "enfad",
        "molest",
        "frustr",
        "furio",
        "irrit",
        "annoy",
        "upset",
        "indign",
        "cabrea",
        "hostil",
        "agresiv",
        "aggressive",
        "rude",
        "harto",
        "enojad",
        "furious",
    ];
    const URGENT: &[&str] = &[
        "urgen",
        "prisa",
        "hurr",
        "rush",
        "stress",
        "estrés",
        "estres",
        "agobi",
        "desesper",
        "desperate",
        "panic",
        "pánico",
        "worried",
        "preocup",
        "nervio",
        "ansios",
        "anxious",
        "alta",
        "high",
        "critical",
        "crítica",
    ];
    const CONFUSED: &[&str] = &[
        "confus",
        "confund",
        "dud",
        "perdid",
        "lost",
        "elderly",
        "mayor",
        "anciano",
        "despist",
        "insegur",
        "unsure",
        "no entiende",
        "no sabe",
        "doubt",
    ];
    const CALM: &[&str] = &[
        "tranquil", "calm", "neutral", "amable", "friendly", "cordial", "educad", "polite",
        "relaj", "relax", "pacien", "patient", "satisf", "happy", "content", "normal", "baja",
        "low",
    ];
    if ANGRY.iter().any(|w| s.contains(w)) {
        Some(Tone::Angry)
    } else if URGENT.iter().any(|w| s.contains(w)) {
        Some(Tone::Urgent)
    } else if CONFUSED.iter().any(|w| s.contains(w)) {
        Some(Tone::Confused)
    } else if CALM.iter().any(|w| s.contains(w)) {
        Some(Tone::Calm)
    } else {
        None
    }
}

pub fn classify_outcome(s: &str) -> Option<Outcome> {
    const ESCALATED: &[&str] = &[
        "escal",
        "derivad",
        "derivar",
        "supervisor",
        "segundo nivel",
        "second level",
        "second-line",
        "visita",
        "visit",
        "técnico",
        "technician",
        "transfer",
    ];
    const CALLBACK: &[&str] = &[
        "callback",
        "call back",
        "call-back",
        "rellam",
        "devolver la llamada",
        "llamar",
    ];
    const PENDING: &[&str] = &[
        "pend",
        "unresolved",
        "no resuel",
        "no_resuel",
        "sin resolver",
        "sin_resolver",
        "no se resuel",
        "not resolved",
        "rechaz",
        "reject",
        "deneg",
        "denied",
        "declin",
        "fail",
        "imposible",
        "impossible",
    ];
    const RESOLVED: &[&str] = &[
        "resuel", "resolv", "solved", "soluc", "fixed", "arreglad", "refund", "reembols", "abono",
        "credit", "success", "éxito", "exito", "retenid", "retained", "ok", "done",
    ];
    if PENDING.iter().any(|w| s.contains(w)) {
        Some(Outcome::Pending)
    } else if ESCALATED.iter().any(|w| s.contains(w)) {
        Some(Outcome::Escalated)
    } else if CALLBACK.iter().any(|w| s.contains(w)) {
        Some(Outcome::Callback)
    } else if RESOLVED.iter().any(|w| s.contains(w)) {
        Some(Outcome::Resolved)
    } else {
        None
    }
}

/// Tone read from free scenario text: only clear words, to avoid false hits.
pub fn classify_tone_strict(text: &str) -> Option<Tone> {
    const ANGRY: &[&str] = &[
        "molest",
        "enfadad",
        "furios",
        "indignad",
        "angry",
        "furious",
        "annoyed",
        "upset",
        "frustrad",
        "frustrated",
        "harto",
    ];
    const URGENT: &[&str] = &["urgent", "prisa", "hurry", "cuanto antes", "asap"];
    const CONFUSED: &[&str] = &["confus", "confund", "no entiende", "doesn't understand"];
    if ANGRY.iter().any(|w| text.contains(w)) {
        Some(Tone::Angry)
    } else if URGENT.iter().any(|w| text.contains(w)) {
        Some(Tone::Urgent)
    } else if CONFUSED.iter().any(|w| text.contains(w)) {
        Some(Tone::Confused)
    } else {
        None
    }
}

/// Outcome read from free scenario text: only explicit wording.
pub fn classify_outcome_strict(text: &str) -> Option<Outcome> {
    const ESCALATED: &[&str] = &["escala", "escalate", "supervisor", "segundo nivel"];
    const CALLBACK: &[&str] = &["devolver la llamada", "call back", "callback", "rellamada"];
    if ESCALATED.iter().any(|w| text.contains(w)) {
        Some(Outcome::Escalated)
    } else if CALLBACK.iter().any(|w| text.contains(w)) {
        Some(Outcome::Callback)
    } else {
        None
    }
}
