//! The offline mock names the scenario's specifics: the real binary, on the
//! shipped Spanish prompt's SIM-swap and roaming scenarios, and on a French
//! and a Portuguese prompt whose scenario names a place and a product.

use crate::common::{Env, read_json};

/// How many of the run's conversations mention `word` as a whole word.
fn mentioning(env: &Env, word: &str) -> usize {
    let files = env.conversation_files();
    assert_eq!(files.len(), 100);
    files
        .iter()
        .filter(|f| {
            let conv = read_json(f);
            conv["turns"].as_array().unwrap().iter().any(|t| {
                t["text"]
                    .as_str()
                    .unwrap()
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == word)
            })
        })
        .count()
}

fn generate(env: &Env, prompt: &str, scenario: Option<&str>) {
    let mut args = vec![
        "generate",
        "--prompt",
        prompt,
        "--total",
        "100",
        "--batch-size",
        "100",
        "--seed",
        "8",
        "--start",
        "2026-03-10T09:00:00Z",
        "--json",
    ];
    if let Some(s) = scenario {
        args.extend(["--scenario", s]);
    }
    env.run(&args).expect(0);
}

#[test]
fn sim_swap_calls_mention_the_sim() {
    let env = Env::with_shipped_prompts();
    generate(&env, "call_center_es", Some("sim_fraud"));
    let n = mentioning(&env, "SIM");
    assert!(n >= 95, "{n} of 100 sim_fraud calls mention the SIM");
}

#[test]
fn roaming_calls_mention_the_destination() {
    let env = Env::with_shipped_prompts();
    generate(&env, "call_center_es", Some("roaming_charges"));
    let n = mentioning(&env, "Marruecos");
    assert!(n >= 95, "{n} of 100 roaming calls mention Marruecos");
}

#[test]
fn a_french_scenario_names_its_place() {
    let env = Env::new();
    env.write(
        "prompts/fr.md",
        "+++\ntitle = \"Service client\"\nlanguage = \"fr-FR\"\nroles = [\"conseiller\", \"client\"]\nturns = 12\n+++\nTélécom.\n\n## Scénarios\n\n### roaming: Frais d'itinérance\nLe client a reçu une facture très élevée après un séjour au Maroc et ne comprend pas les frais. Le conseiller lui explique que le Maroc n'est pas dans l'Union européenne.\n",
    );
    generate(&env, "fr", None);
    let n = mentioning(&env, "Maroc");
    assert!(n >= 95, "{n} of 100 French calls mention the Maroc");
}

#[test]
fn a_portuguese_scenario_names_its_product() {
    let env = Env::new();
    env.write(
        "prompts/pt.md",
        "+++\ntitle = \"Apoio ao cliente\"\nlanguage = \"pt-PT\"\nroles = [\"atendente\", \"cliente\"]\nturns = 12\n+++\nOperador de telecomunicações.\n\n## Cenários\n\n### unknown_charge: Cobrança não reconhecida\nO cliente vê na fatura uma cobrança da Netflix que nunca subscreveu e quer que lha devolvam. O atendente confirma a cobrança e abre uma reclamação.\n",
    );
    generate(&env, "pt", None);
    let n = mentioning(&env, "Netflix");
    assert!(n >= 95, "{n} of 100 Portuguese calls mention Netflix");
}
