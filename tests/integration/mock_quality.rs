//! The quality targets for the offline mock, measured on the real
//! binary for each language with a bank: a prompt written in that language
//! by a domain expert, with a script whose `validate_conversation` holds the
//! shipped-script rules in that language (greeting and the agent's name,
//! identification, closing, the customer and the company named). Of 200
//! conversations (first attempts only) at least half must be valid, and the
//! same prompt written in another language must fail those rules; over 50
//! conversations of one scenario the mean pairwise 3-word-shingle Jaccard
//! must be at most 0.15 and the pooled distinct-2 at least 0.15 (for es and
//! en one scenario, as the issue measures Spanish; for pt-PT, pt-BR and fr
//! every scenario of the prompt). The figures are printed: run with
//! `cargo test --test integration mock_quality -- --nocapture` to quote them.

mod diversity;

use crate::common::{Env, read_json, repo};
use diversity::{distinct2, mean_pairwise_jaccard, words};

/// One language's case: the prompt and script, the scenarios whose
/// diversity is measured (each on its own), and a language the rules must
/// reject.
struct Case {
    name: &'static str,
    prompt: String,
    script: String,
    language: &'static str,
    scenarios: &'static [&'static str],
    foreign: &'static str,
}

fn fixture(file: &str) -> String {
    let path = repo().join("tests/integration/mock_quality").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shipped(file: &str) -> String {
    std::fs::read_to_string(repo().join(file)).unwrap()
}

/// A working dir with the case's prompt (in `language`) and script.
fn env_for(case: &Case, language: &str) -> Env {
    let env = Env::new();
    let from = format!("language = \"{}\"", case.language);
    assert!(case.prompt.contains(&from), "{}: no `{from}`", case.name);
    let prompt = case
        .prompt
        .replacen(&from, &format!("language = \"{language}\""), 1);
    env.write(&format!("prompts/{}.md", case.name), prompt);
    env.write(&format!("scripts/{}.lua", case.name), &case.script);
    env
}

/// Generates `total` conversations (one attempt each, so a failure stays a
/// failure); returns how many are valid and every conversation's words.
fn generate(env: &Env, case: &Case, total: u32, extra: &[&str]) -> (u64, Vec<Vec<String>>) {
    let total_s = total.to_string();
    let mut args = vec![
        "generate",
        "--prompt",
        case.name,
        "--total",
        &total_s,
        "--batch-size",
        &total_s,
        "--seed",
        "7",
        "--start",
        "2026-03-02T09:00:00Z",
        "--max-attempts",
        "1",
        "--json",
        "-q",
    ];
    args.extend_from_slice(extra);
    let run = env.run(&args);
    // Exit 1 when some conversation failed its rules; anything else is a bug.
    assert!(
        matches!(run.code, 0 | 1),
        "{}: exit {}: {}",
        case.name,
        run.code,
        run.stderr
    );
    let summary = run.json();
    assert_eq!(summary["counts"]["requested"], u64::from(total));
    let valid = summary["counts"]["valid"].as_u64().unwrap();
    let files = env.conversation_files();
    assert_eq!(files.len(), total as usize);
    let convs = files
        .iter()
        .map(|f| {
            let turns = read_json(f)["turns"].as_array().unwrap().clone();
            let text: Vec<&str> = turns.iter().map(|t| t["text"].as_str().unwrap()).collect();
            words(&text.join("\n"))
        })
        .collect();
    (valid, convs)
}

fn check(case: &Case) {
    let (valid, _) = generate(&env_for(case, case.language), case, 200, &[]);
    // The same prompt in another language: the rules judge the language.
    let (foreign_valid, _) = generate(&env_for(case, case.foreign), case, 50, &[]);
    eprintln!(
        "mock quality {}: {valid}/200 valid ({:.1} %); written as {}: {foreign_valid}/50 valid",
        case.name,
        valid as f64 / 2.0,
        case.foreign
    );
    let mut wrong = Vec::new();
    for scenario in case.scenarios {
        let (_, one) = generate(
            &env_for(case, case.language),
            case,
            50,
            &["--scenario", scenario],
        );
        let (jaccard, d2) = (mean_pairwise_jaccard(&one), distinct2(&one));
        eprintln!(
            "mock quality {} {scenario}: 3-shingle Jaccard {jaccard:.3}, distinct-2 {d2:.3}",
            case.name
        );
        if jaccard > 0.15 || d2 < 0.15 {
            wrong.push(format!(
                "{scenario}: Jaccard {jaccard:.3}, distinct-2 {d2:.3}"
            ));
        }
    }
    assert!(valid >= 100, "{}: {valid} of 200 valid", case.name);
    assert!(
        foreign_valid <= 2,
        "{}: the rules passed {foreign_valid} of 50 calls written as {}",
        case.name,
        case.foreign
    );
    assert!(
        wrong.is_empty(),
        "{}: over 50 calls of one scenario, Jaccard > 0.15 or distinct-2 < 0.15: {}",
        case.name,
        wrong.join("; ")
    );
}

#[test]
fn spanish_calls_meet_the_quality_targets() {
    check(&Case {
        name: "call_center_es",
        prompt: shipped("prompts/call_center_es.md"),
        script: shipped("scripts/call_center_es.lua"),
        language: "es",
        scenarios: &["billing_dispute"],
        foreign: "en",
    });
}

#[test]
fn english_calls_meet_the_quality_targets() {
    check(&Case {
        name: "support_en",
        prompt: shipped("prompts/support_en.md"),
        script: fixture("support_en.lua"),
        language: "en",
        scenarios: &["unrecognised_payment"],
        foreign: "es",
    });
}

#[test]
fn calls_from_portugal_meet_the_quality_targets() {
    check(&Case {
        name: "apoio_pt",
        prompt: fixture("apoio_pt.md"),
        script: fixture("apoio_pt.lua"),
        language: "pt-PT",
        scenarios: &[
            "fatura_duplicada",
            "fibra_sem_servico",
            "cancelamento_telemovel",
            "mudanca_tarifario",
            "fatura_roaming",
        ],
        foreign: "fr",
    });
}

#[test]
fn brazilian_calls_meet_the_quality_targets() {
    check(&Case {
        name: "atendimento_br",
        prompt: fixture("atendimento_br.md"),
        script: fixture("atendimento_br.lua"),
        language: "pt-BR",
        scenarios: &[
            "pix_chave_errada",
            "compra_nao_reconhecida",
            "cartao_roubado",
            "tarifa_cobrada",
            "senha_bloqueada",
        ],
        foreign: "es",
    });
}

#[test]
fn french_calls_meet_the_quality_targets() {
    check(&Case {
        name: "fraude_fr",
        prompt: fixture("fraude_fr.md"),
        script: fixture("fraude_fr.lua"),
        language: "fr-FR",
        scenarios: &[
            "paiement_inconnu",
            "carte_volee",
            "retraits_etranger",
            "carte_bloquee",
            "faux_conseiller",
        ],
        foreign: "pt-PT",
    });
}
