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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::{MockInput, RoleNames, VarNames, insert, join, label, unsaid};

    fn input<'a>(
        roles: &'a [String],
        vars: &'a BTreeMap<String, Value>,
        scenario: &'a str,
        system: &'a str,
    ) -> MockInput<'a> {
        MockInput {
            language: "pt-BR",
            roles,
            turns: 8,
            scenario_id: "colisao",
            scenario_title: "Colisão",
            scenario_text: scenario,
            attrs: vars,
            variables: vars,
            system,
            title: "t",
            start: crate::llm::mock::calendar::test_start(600),
        }
    }

    fn names() -> VarNames {
        let l = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        VarNames {
            agent: l(&["agent"]),
            customer: l(&["customer"]),
            amount: l(&["valor"]),
            tone: l(&["tom"]),
            ..VarNames::default()
        }
    }

    #[test]
    fn labels_are_the_prompts_own_words() {
        let (roles, vars) = (Vec::new(), BTreeMap::new());
        let system =
            "O segurado é titular da apólice indicada. Número da Apólice: ver acima. O CPF.";
        let i = input(&roles, &vars, "A franquia é de R$ 2.500,00.", system);
        assert_eq!(label("apolice", "AP-1", &i), "apólice");
        assert_eq!(label("franquia", "x", &i), "franquia");
        assert_eq!(label("numero_apolice", "x", &i), "número da apólice");
        assert_eq!(label("cpf", "x", &i), "CPF");
        assert_eq!(label("numero_sinistro", "x", &i), "numero sinistro");
        assert_eq!(label("deductible", "R$ 2.500,00", &i), "franquia");
        assert_eq!(label("deductible", "acima", &i), "deductible");
        assert_eq!(label("__", "x", &i), "__");
        let unfilled = "Su contrato es el {{contract}} y su DNI, el {{dni}}.";
        let i = input(&roles, &vars, "", unfilled);
        assert_eq!(label("contract", "TV-1", &i), "contrato");
        assert_eq!(label("dni", "1", &i), "DNI");
        let filled = "Entrevista para el puesto de analista de datos en Datalia.";
        let i = input(&roles, &vars, "", filled);
        assert_eq!(label("empresa", "Datalia", &i), "empresa");
    }

    #[test]
    fn only_what_no_turn_shows_is_listed() {
        let roles = vec![String::from("atendente"), String::from("segurado")];
        let vars: BTreeMap<String, Value> = [
            ("apolice", json!("AP-1")),
            ("atendente", json!("Camila Souza")),
            ("segurado", json!("Ricardo Almeida")),
            ("franquia", json!("R$ 2.500,00")),
            ("valor", json!(42.5)),
            ("tom", json!("nervoso")),
            ("flag", json!(true)),
            ("nota", json!("x".repeat(90))),
            ("placa", json!("ABC1D23")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let i = input(&roles, &vars, "A franquia e a placa.", "apólice");
        let texts = vec![
            String::from("Bom dia, aqui é Camila."),
            String::from("Sou o Ricardo. A placa é ABC1D23; paguei R$ 42,50."),
        ];
        let roles = RoleNames::of(&roles, Some(true));
        let said = unsaid(&i, &names(), roles, "R$ 42,50", &texts);
        assert_eq!(said, ["apólice AP-1", "franquia R$ 2.500,00"]);
        let none = unsaid(&i, &names(), RoleNames::default(), "", &texts);
        assert!(
            none.contains(&String::from("segurado Ricardo Almeida")),
            "{none:?}"
        );
        assert!(
            none.contains(&String::from("atendente Camila Souza")),
            "{none:?}"
        );
        assert!(none.iter().any(|s| s.starts_with("valor 42.5")), "{none:?}");
    }

    #[test]
    fn lists_and_insertions_read_naturally() {
        let items = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join(&items(&["a"]), "e"), "a");
        assert_eq!(join(&items(&["a", "b", "c"]), "e"), "a, b e c");
        assert_eq!(join(&[], "e"), "");
        let mut t = String::from("O CPF é 1. Quanto tempo?");
        insert(&mut t, "O CPF é 1.".len(), "Caso ajude: X.");
        assert_eq!(t, "O CPF é 1. Caso ajude: X. Quanto tempo?");
        let mut t = String::from("Olá.");
        insert(&mut t, 99, "X.");
        assert_eq!(t, "Olá. X.");
        let mut t = String::from("é");
        insert(&mut t, 1, "X.");
        assert_eq!(t, "X. é");
    }
}
