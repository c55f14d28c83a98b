//! The offline mock in Portuguese (Portugal and Brazil) and French: written
//! by the real binary from prompts in those languages, with role names in
//! those languages, the text is a call in that language, in that country's
//! formats.

use std::collections::BTreeMap;

use crate::common::{Env, read_json};

/// A call-centre prompt in `language` with `roles`, two scenarios.
fn prompt(language: &str, roles: [&str; 2], system: &str, scenarios: &str) -> String {
    format!(
        "+++\ntitle = \"t\"\nlanguage = \"{language}\"\nroles = [\"{}\", \"{}\"]\nturns = 12\n+++\n{system}\n\n{scenarios}",
        roles[0], roles[1]
    )
}

const PT_SCENARIOS: &str = "## Cenários\n\n### fatura: Cobrança duplicada\n```toml\ntone = \"irritado\"\nresolution = \"resolvido\"\n```\nO cliente foi cobrado duas vezes na fatura.\n\n### cartao: Cartão perdido\n```toml\ntone = \"calmo\"\nresolution = \"escalado\"\n```\nO cliente do banco perdeu o cartão de débito.\n";

const FR_SCENARIOS: &str = "## Scénarios\n\n### carte: Paiement par carte non reconnu\n```toml\ntone = \"inquiet\"\nresolution = \"résolu\"\n```\nLe client de la banque voit un paiement par carte qu'il ne reconnaît pas.\n\n### facture: Facture trop élevée\n```toml\ntone = \"énervé\"\nresolution = \"rappel\"\n```\nLa facture de la box est bien plus élevée que d'habitude.\n";

/// Every conversation's turns (role, text) after generating `total` of `name`.
fn conversations(env: &Env, name: &str, total: u32) -> Vec<Vec<(String, String)>> {
    env.generate(name, total, total, 7, &[]);
    let files = env.conversation_files();
    assert_eq!(files.len(), total as usize);
    files
        .iter()
        .map(|f| {
            read_json(f)["turns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let s = |k: &str| t[k].as_str().unwrap().to_string();
                    (s("role"), s("text"))
                })
                .collect()
        })
        .collect()
}

/// How many of `text`'s words (not substrings) are in `list`.
fn hits(text: &str, list: &[&str]) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| list.contains(&w.to_lowercase().as_str()))
        .count()
}

const EN: &[&str] = &[
    "the", "and", "you", "is", "to", "of", "it", "that", "for", "your", "with", "this", "on",
];
const ES: &[&str] = &[
    "el", "los", "las", "del", "usted", "para", "con", "una", "su", "es", "lo", "muy", "gracias",
];
const PT: &[&str] = &[
    "o", "os", "do", "da", "não", "para", "com", "uma", "é", "em", "no", "na", "seu", "sua",
    "obrigado",
];
const FR: &[&str] = &[
    "la", "le", "les", "et", "vous", "je", "est", "pas", "une", "des", "pour", "du", "sur", "votre",
];

/// Each conversation: its language's stop words outnumber English's and
/// Spanish's, the first turn is the agent's greeting, nothing is marked as
/// written in another language.
fn assert_in(convs: &[Vec<(String, String)>], own: &[&str], greeting: &[&str], roles: [&str; 2]) {
    for (i, conv) in convs.iter().enumerate() {
        let text: String = conv
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let (o, en, es) = (hits(&text, own), hits(&text, EN), hits(&text, ES));
        assert!(
            o > 3 * (en + es),
            "conversation {i}: {o} own, {en} en, {es} es:\n{text}"
        );
        assert!(!text.contains('→'), "conversation {i} marked:\n{text}");
        assert_eq!(conv[0].0, roles[0]);
        assert_eq!(conv[1].0, roles[1]);
        assert!(
            greeting
                .iter()
                .any(|g| conv[0].1.to_lowercase().contains(&g.to_lowercase())),
            "conversation {i} opens with {:?}",
            conv[0].1
        );
    }
}

/// How many conversations have a turn matching `f`.
fn count(convs: &[Vec<(String, String)>], f: impl Fn(&str) -> bool) -> usize {
    convs.iter().filter(|c| c.iter().any(|(_, t)| f(t))).count()
}

fn is_cpf(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        let w = w.trim_end_matches(['.', ',']);
        let b = w.as_bytes();
        b.len() == 14
            && b[3] == b'.'
            && b[7] == b'.'
            && b[11] == b'-'
            && w.chars().filter(char::is_ascii_digit).count() == 11
    })
}

#[test]
fn a_brazilian_prompt_gets_brazilian_calls() {
    let env = Env::new();
    let system = "Você é atendente da central de atendimento do Banco Horizonte.";
    env.write(
        "prompts/br.md",
        prompt("pt-BR", ["atendente", "segurado"], system, PT_SCENARIOS),
    );
    let convs = conversations(&env, "br", 200);
    assert_in(
        &convs,
        PT,
        &["Bom dia", "Boa tarde", "Boa noite"],
        ["atendente", "segurado"],
    );
    assert!(count(&convs, |t| t.contains("você")) > 100);
    assert!(count(&convs, |t| t.contains("R$ ")) > 20);
    assert!(count(&convs, is_cpf) > 20);
    assert_eq!(count(&convs, |t| t.contains('€') || t.contains("NIF")), 0);
}

#[test]
fn a_portuguese_prompt_gets_calls_from_portugal() {
    let env = Env::new();
    let system = "É atendente do apoio ao cliente do Banco Horizonte.";
    env.write(
        "prompts/pt.md",
        prompt("pt-PT", ["atendente", "cliente"], system, PT_SCENARIOS),
    );
    let convs = conversations(&env, "pt", 200);
    assert_in(
        &convs,
        PT,
        &["Bom dia", "Boa tarde", "Boa noite"],
        ["atendente", "cliente"],
    );
    assert_eq!(count(&convs, |t| t.contains("você") || t.contains("R$")), 0);
    assert!(count(&convs, |t| t.contains(" €")) > 20);
    assert!(count(&convs, |t| t.contains("NIF")) > 20);
    // "pt" alone is Portugal's Portuguese too.
    let plain = Env::new();
    plain.write(
        "prompts/pt_plain.md",
        prompt("pt", ["atendente", "cliente"], system, PT_SCENARIOS),
    );
    let convs = conversations(&plain, "pt_plain", 20);
    assert_in(
        &convs,
        PT,
        &["Bom dia", "Boa tarde", "Boa noite"],
        ["atendente", "cliente"],
    );
    assert_eq!(count(&convs, |t| t.contains("você") || t.contains("R$")), 0);
}

#[test]
fn a_french_prompt_gets_french_calls() {
    let env = Env::new();
    let system = "Vous êtes conseiller de la Banque Horizon.";
    env.write(
        "prompts/fr.md",
        prompt("fr-FR", ["conseiller", "client"], system, FR_SCENARIOS),
    );
    let convs = conversations(&env, "fr", 200);
    assert_in(
        &convs,
        FR,
        &["Bonjour", "Bonsoir"],
        ["conseiller", "client"],
    );
    assert!(count(&convs, |t| t.contains("Banque Horizon")) > 150);
    // French amounts: a comma before the cents, the euro sign after.
    assert!(count(&convs, |t| t.contains(",") && t.contains(" €")) > 20);
    let mut words: BTreeMap<&str, usize> = BTreeMap::new();
    for conv in &convs {
        for (_, t) in conv {
            for w in ["vous", "tu", "toi"] {
                *words.entry(w).or_default() += hits(t, &[w]);
            }
        }
    }
    assert!(
        words["vous"] > 1000 && words["tu"] + words["toi"] == 0,
        "{words:?}"
    );
}
