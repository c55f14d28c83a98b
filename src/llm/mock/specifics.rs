//! The scenario's specifics: the terms that make it this scenario and no
//! other (an acronym like SIM or SMS, a place like Marruecos or the Unión
//! Europea), found in the scenario's own text, with the short phrase around
//! them in the scenario's words ("tras un viaje a Marruecos", "su tarjeta
//! SIM"), its possessives turned to the caller's ("mi tarjeta SIM").
//!
//! Language-independent: a term is a capitalised word that does not begin a
//! sentence and is not a name the conversation already knows (people, the
//! company, the months); the phrase runs back from it to the furthest word
//! that can begin one (a determiner or a preposition, from the bank), within
//! a few words and never across punctuation. Pure, no regex, nothing drawn.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::MockInput;
use super::bank::Bank;
use super::facts::Facts;
use crate::rng::ConvRng;

/// A bank's words for finding the phrase, and its templates for saying it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecificPools {
    /// Words that begin a noun phrase ("the", "su").
    pub determiners: Vec<String>,
    /// Words that begin a phrase saying where or when ("after", "tras").
    pub prepositions: Vec<String>,
    /// Words that join the parts of a phrase ("of", "de", "a").
    pub links: Vec<String>,
    /// The scenario's possessives as the caller says them ("su" = "mi").
    pub possessives: BTreeMap<String, String>,
    /// What the caller says with a noun phrase, `{spec}`.
    pub noun: Vec<String>,
    /// What the caller says with a phrase of place or time, `{spec}`.
    pub adverbial: Vec<String>,
}

/// What kind of phrase was found: it decides the templates that fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Noun,
    Adverbial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specific {
    pub phrase: String,
    pub kind: Kind,
}

/// How many words a phrase may run back from its term.
const REACH: usize = 5;

/// A word of the text, and what stands between it and the word before.
struct Word<'t> {
    text: &'t str,
    /// A sentence ends before it (or it is the first word).
    starts_sentence: bool,
    /// Punctuation stands between it and the word before.
    after_break: bool,
    /// The word before is a number ("300 Mb").
    after_number: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut out: Vec<Word> = Vec::new();
    let (mut sentence, mut brk) = (true, true);
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric()) {
        for c in rest[..start].chars() {
            match c {
                '.' | '!' | '?' | '¿' | '¡' | ':' | '«' | '"' | '(' | '[' => {
                    sentence = true;
                    brk = true;
                }
                c if !c.is_whitespace() => brk = true,
                _ => {}
            }
        }
        let tail = &rest[start..];
        let len = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'))
            .unwrap_or(tail.len());
        let word = tail[..len].trim_end_matches(['-', '\'', '’']);
        let after_number = !brk
            && out
                .last()
                .is_some_and(|w: &Word| w.text.chars().all(|c| c.is_ascii_digit()));
        out.push(Word {
            text: word,
            starts_sentence: sentence,
            after_break: brk,
            after_number,
        });
        (sentence, brk) = (false, false);
        rest = &tail[word.len().max(1)..];
    }
    out
}

/// The part of a word after an elision ("l'Union" → "Union").
fn stem(word: &str) -> &str {
    word.rsplit(['\'', '’']).next().unwrap_or(word)
}

fn is_capitalised(word: &str) -> bool {
    let s = stem(word);
    s.chars().count() >= 2 && s.chars().next().is_some_and(char::is_uppercase)
}

fn is_in(list: &[String], word: &str) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

fn is_known(known: &[&str], word: &str) -> bool {
    known.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `word` is a term: capitalised, inside a sentence, not after a
/// number, not one of the `known` names.
fn is_term(w: &Word, known: &[&str]) -> bool {
    is_capitalised(w.text)
        && !w.starts_sentence
        && !w.after_number
        && !is_known(known, stem(w.text))
}

/// The phrase ending at the term `words[end]` (and the capitalised words
/// right after it), if a word that can begin one stands close before it.
fn phrase_at(words: &[Word], end: usize, known: &[&str], p: &SpecificPools) -> Option<Specific> {
    let mut last = end;
    while words
        .get(last + 1)
        .is_some_and(|w| !w.after_break && is_term(w, known))
    {
        last += 1;
    }
    // The furthest word that can begin a phrase, within reach, with never
    // two other words in a row up to the term ("tras un viaje a Marruecos").
    let connects = |w: &str| {
        is_in(&p.determiners, w)
            || is_in(&p.prepositions, w)
            || is_in(&p.links, w)
            || w.contains(['\'', '’'])
    };
    let mut start = None;
    let mut run = 0;
    for back in 1..=REACH.min(end) {
        let i = end - back;
        let w = words[i].text;
        if is_known(known, stem(w)) {
            break;
        }
        if connects(w) {
            run = 0;
            if is_in(&p.determiners, w) || is_in(&p.prepositions, w) {
                start = Some(i);
            }
        } else {
            run += 1;
            // Nor over a noun phrase begun without a link ("vê na fatura
            // uma cobrança"): a determiner right after a word.
            let det_next = i + 1 < end && is_in(&p.determiners, words[i + 1].text);
            if run > 1 || det_next {
                break;
            }
        }
        if words[i].after_break {
            break;
        }
    }
    let mut start = start?;
    // "her an SMS": the phrase begins with the second determiner.
    while start + 1 < end
        && is_in(&p.determiners, words[start].text)
        && is_in(&p.determiners, words[start + 1].text)
    {
        start += 1;
    }
    let span = &words[start..=last];
    if span
        .iter()
        .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let kind = if is_in(&p.prepositions, span[0].text) {
        Kind::Adverbial
    } else {
        Kind::Noun
    };
    let mut phrase = String::with_capacity(48);
    for (k, w) in span.iter().enumerate() {
        if k > 0 {
            phrase.push(' ');
        }
        let lower = w.text.to_lowercase();
        match p.possessives.get(&lower) {
            Some(mine) => phrase.push_str(mine),
            None => phrase.push_str(w.text),
        }
    }
    Some(Specific { phrase, kind })
}

/// The scenario's most specific phrases: those in `text` around a term the
/// `title` names too, else the first around any term. `known`: names that
/// are no specifics (people, the company, months, weekdays).
pub fn find_all(title: &str, text: &str, known: &[&str], p: &SpecificPools) -> Vec<Specific> {
    let title_terms: Vec<&str> = words(title)
        .iter()
        .filter(|w| is_term(w, known))
        .map(|w| stem(w.text))
        .collect();
    let ws = words(text);
    let (mut first, mut named) = (None, Vec::new());
    for (i, w) in ws.iter().enumerate() {
        if !is_term(w, known) {
            continue;
        }
        let Some(found) = phrase_at(&ws, i, known, p) else {
            continue;
        };
        if title_terms.contains(&stem(w.text)) {
            if !named.contains(&found) {
                named.push(found);
            }
        } else if first.is_none() {
            first = Some(found);
        }
    }
    if named.is_empty() {
        named.extend(first);
    }
    named
}

/// A specific phrase of `input`'s scenario (drawn when it has several), the
/// names the conversation knows (people, the company, every variable's
/// words, months, weekdays) left out.
pub fn for_call(
    input: &MockInput,
    bank: &Bank,
    facts: &Facts,
    rng: &mut ConvRng,
) -> Option<Specific> {
    let mut known: Vec<&str> = Vec::with_capacity(48);
    for key in ["company", "customer", "agent"] {
        known.extend(facts.get(key).unwrap_or("").split_whitespace());
    }
    for v in input.variables.values() {
        if let Some(s) = v.as_str() {
            known.extend(s.split(|c: char| !c.is_alphanumeric()));
        }
    }
    known.extend(bank.facts.months.iter().map(String::as_str));
    known.extend(bank.facts.weekdays.iter().map(String::as_str));
    known.retain(|k| !k.is_empty());
    let text = super::vars::clip(input.scenario_text, 2000);
    let mut all = find_all(input.scenario_title, text, &known, &bank.specifics);
    if all.len() > 1 {
        let k = rng.below(all.len() as u64) as usize;
        return Some(all.swap_remove(k));
    }
    all.pop()
}
