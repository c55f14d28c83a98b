//! Every variable the script gives is said. The facts take the variables
//! they know ([`super::var_names`]); any other variable whose value no
//! turn shows yet (a policy number, a deductible, a file reference) the
//! client gives where callers give data, labelled as the prompt names it:
//! `apolice` is said «apólice AP-306671» when the prompt writes «apólice».
//! The agent's and the client's names are theirs, not data to read out.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::MockInput;
use super::var_names::{RoleNames, VarNames};
use super::vars::value_text;

/// Values longer than this are descriptions, not data a speaker reads out.
pub const MAX_SAID: usize = 80;

/// Where in which turn the client gives data (a byte offset in its text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    pub turn: usize,
    pub at: usize,
}

/// The variables no turn shows, as «label value» items in name order.
/// `amount` is the conversation's amount as the text writes it.
pub fn unsaid(
    input: &MockInput,
    names: &VarNames,
    roles: RoleNames,
    amount: &str,
    texts: &[String],
) -> Vec<String> {
    let shown = |s: &str| texts.iter().any(|t| t.contains(s));
    let is = |name: &str, list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name));
    let role = |name: &str, r: Option<&str>| r.is_some_and(|r| r.trim().eq_ignore_ascii_case(name));
    let mut out = Vec::new();
    for (name, value) in input.variables {
        // How the text is said, not what it says.
        if is(name, &names.tone)
            || is(name, &names.resolution)
            || is(name, &names.priority)
            || is(name, &names.currency)
        {
            continue;
        }
        let Some(text) = value_text(value) else {
            continue;
        };
        if text.len() > MAX_SAID || shown(&text) {
            continue;
        }
        let person = is(name, &names.agent)
            || is(name, &names.customer)
            || role(name, roles.agent)
            || role(name, roles.client);
        // The agent's and the client's names are who speaks (a greeting
        // may leave the name out), not data to read out.
        if person {
            continue;
        }
        if is(name, &names.amount) && !amount.is_empty() && shown(amount) {
            continue;
        }
        out.push(format!("{} {text}", label(name, &text, input)));
    }
    out
}

/// `items` as one list: «a, b y c».
pub fn join(items: &[String], and: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and} {last}", init.join(", ")),
    }
}

/// `sentence` put into `text` at `at`, space-separated.
pub fn insert(text: &mut String, at: usize, sentence: &str) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = if at > 0 { " " } else { "" };
    let after = if at < text.len() && !text[at..].starts_with(' ') {
        " "
    } else {
        ""
    };
    text.insert_str(at, &format!("{before}{sentence}{after}"));
}

/// How the prompt names a variable: its words as the scenario writes them
/// (accents and all), else the word the prompt puts before its value when
/// that is a code or an amount («Su contrato es el TV-1» names `contract`
/// «contrato»), else its words as the system prompt writes them, else its
/// name with spaces.
pub fn label(name: &str, value: &str, input: &MockInput) -> String {
    let parts: Vec<&str> = name
        .split(['_', '-', ' ', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return name.to_string();
    }
    let short = [input.scenario_text, input.title];
    let all = [input.scenario_text, input.system, input.title];
    // A code or an amount is named by the word before it («contrato
    // TV-1»); a name or words («en Datalia») are not. That is looked up
    // before the long system text is read word by word.
    let code = value.chars().any(|c| c.is_ascii_digit());
    short
        .iter()
        .find_map(|text| find_words(text, &parts))
        .or_else(|| {
            code.then(|| all.iter().find_map(|text| word_before(text, name, value)))
                .flatten()
        })
        .or_else(|| find_words(input.system, &parts))
        .unwrap_or_else(|| parts.join(" "))
}

/// The nearest word of four letters or more among the three before
/// `value`'s first appearance in `text` (or its `{{name}}`), in the same
/// sentence.
fn word_before(text: &str, name: &str, value: &str) -> Option<String> {
    let at = text
        .find(value)
        .or_else(|| text.find(&format!("{{{{{name}}}}}")))?;
    let before = &text[..at];
    let sentence = before
        .rfind(['.', ';', '\n'])
        .map_or(before, |i| &before[i + 1..]);
    let word = sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .find(|w| w.chars().count() >= 4 && w.chars().all(char::is_alphabetic))?;
    Some(as_label(word))
}

/// Words as a label: lower case, but an acronym («CPF») as written.
fn as_label(words: &str) -> String {
    let acronym = words.chars().filter(|c| c.is_alphabetic()).count() > 1
        && !words.chars().any(char::is_lowercase);
    if acronym {
        words.to_string()
    } else {
        words.to_lowercase()
    }
}

/// The words of `text` that spell `parts` in order (ignoring case and
/// accents), with at most two short words between them («número da apólice»).
fn find_words(text: &str, parts: &[&str]) -> Option<String> {
    // Not the names inside `{{placeholders}}` of an unfilled text.
    let mut words = text
        .split(|c: char| !c.is_alphanumeric() && c != '{')
        .filter(|w| !w.is_empty() && !w.starts_with('{'));
    'start: while let Some(first) = words.next() {
        if !same_word(first, parts[0]) {
            continue;
        }
        let mut found = vec![first];
        let mut ahead = words.clone();
        for part in &parts[1..] {
            // at most two short words before the next part
            let mut skipped = 0;
            loop {
                let Some(w) = ahead.next() else {
                    continue 'start;
                };
                found.push(w);
                if same_word(w, part) {
                    break;
                }
                skipped += 1;
                if skipped > 2 || w.chars().count() > 3 {
                    continue 'start;
                }
            }
        }
        return Some(as_label(&found.join(" ")));
    }
    None
}

/// `a` and `b` are the same word but for case and accents (both in
/// composed form, as text is typed: an accented letter is one character).
fn same_word(a: &str, b: &str) -> bool {
    fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
        s.nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
    }
    // Cheap first: most words differ in their first letter, or in length.
    let (Some(x), Some(y)) = (a.chars().next(), b.chars().next()) else {
        return a.is_empty() && b.is_empty();
    };
    if x.is_ascii() && y.is_ascii() && !x.eq_ignore_ascii_case(&y) {
        return false;
    }
    a.chars().count() == b.chars().count() && folded(a).eq(folded(b))
}
