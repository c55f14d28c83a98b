//! The script's other variables, said: labels, what is listed, lists.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::MockInput;
use super::extras::{insert, join, label, unsaid};
use super::var_names::{RoleNames, VarNames};

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
        start: super::calendar::test_start(600),
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
    let system = "O segurado é titular da apólice indicada. Número da Apólice: ver acima. O CPF.";
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
