//! The offline mock says what the script gives: a variable named like a
//! role is that person's name, and every other variable's value appears in
//! every conversation, labelled as the prompt names it (Issue 17, point 4).

use serde_json::Value;

use crate::common::{Env, read_json};

/// Every conversation's variables and text (turns joined) after generating
/// `total` of `name`.
fn conversations(env: &Env, name: &str, total: u32) -> Vec<(Value, String)> {
    env.generate(name, total, total, 11, &[]);
    env.conversation_files()
        .iter()
        .map(|f| {
            let conv = read_json(f);
            let text = conv["turns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["text"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n");
            (conv["variables"].clone(), text)
        })
        .collect()
}

fn texts(env: &Env, name: &str, total: u32) -> Vec<String> {
    conversations(env, name, total)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

const BR: &str = r#"+++
title = "Central de sinistros"
language = "pt-BR"
roles = ["atendente", "segurado"]
turns = 12
+++
Você é atendente da {{empresa}}. Seu nome é {{atendente}}. O segurado, {{segurado}}, é
titular da apólice {{apolice}}; a franquia do seguro é de {{franquia}}.

## Cenários

### colisao: Colisão de veículo
O segurado bateu o carro num cruzamento e quer abrir um sinistro.

### vidro: Vidro quebrado
O para-brisa do carro trincou na estrada.
"#;

const BR_LUA: &str = r#"
local M = {}
local NOMES = { "Teodoro Quaresma", "Leonor Vasconcelos", "Bartolomeu Sardinha" }
function M.variables(ctx)
  return {
    empresa = "Seguradora Horizonte",
    atendente = "Zuleica",
    segurado = NOMES[ctx.rng:int(1, #NOMES)],
    apolice = string.format("AP-%06d", ctx.rng:int(0, 999999)),
    franquia = "R$ 2.500,00",
  }
end
return M
"#;

const FR: &str = r#"+++
title = "Banque"
language = "fr"
roles = ["conseiller", "client"]
turns = 10
+++
Vous êtes conseiller de la {{banque}} et vous vous appelez {{conseiller}}. Le client,
{{client}}, appelle au sujet du dossier {{dossier}}.

## Scénarios

### carte: Paiement par carte non reconnu
Le client voit sur son relevé un paiement qu'il ne reconnaît pas.
"#;

const FR_LUA: &str = r#"
local M = {}
function M.variables(ctx)
  return {
    banque = "Banque Lumière",
    conseiller = "Anatole",
    client = "Clémence Duvivier",
    dossier = string.format("DOS-%05d", ctx.rng:int(0, 99999)),
  }
end
return M
"#;

/// The value after `label ` in `text`, e.g. «apólice AP-000123».
fn labelled<'t>(text: &'t str, label: &str) -> Option<&'t str> {
    let at = text.find(&format!("{label} "))? + label.len() + 1;
    text[at..].split([',', ' ', '\n']).next()
}

#[test]
fn role_named_variables_are_the_people_and_the_rest_is_said() {
    let env = Env::new();
    env.write("prompts/sinistros.md", BR);
    env.write("scripts/sinistros.lua", BR_LUA);
    let convs = texts(&env, "sinistros", 60);
    for (i, text) in convs.iter().enumerate() {
        // The script's own policy number, labelled as the prompt writes it.
        let policy = labelled(text, "apólice")
            .unwrap_or_else(|| panic!("conversation {i} names no apólice:\n{text}"));
        assert!(
            policy.starts_with("AP-"),
            "conversation {i}: {policy}\n{text}"
        );
        assert!(text.contains("R$ 2.500,00"), "conversation {i}:\n{text}");
        assert!(
            text.contains("Seguradora Horizonte"),
            "conversation {i}:\n{text}"
        );
        // People are people, not data read out.
        assert!(
            !text.contains("atendente Zuleica"),
            "conversation {i}:\n{text}"
        );
        for name in ["Teodoro", "Leonor", "Bartolomeu"] {
            assert!(
                !text.contains(&format!("segurado {name}")),
                "conversation {i}:\n{text}"
            );
        }
    }
    let with = |name: &str| convs.iter().filter(|t| t.contains(name)).count();
    // (Some greetings leave the agent's name out.)
    let agent = with("Zuleica");
    assert!(agent >= 30, "the agent is Zuleica in {agent} of 60");
    let clients = with("Teodoro") + with("Leonor") + with("Bartolomeu");
    assert!(
        clients >= 50,
        "the script's client speaks in {clients} of 60"
    );
}

#[test]
fn french_variables_are_said_in_french() {
    let env = Env::new();
    env.write("prompts/banque.md", FR);
    env.write("scripts/banque.lua", FR_LUA);
    let convs = conversations(&env, "banque", 40);
    for (i, (vars, text)) in convs.iter().enumerate() {
        let file = vars["dossier"].as_str().unwrap();
        assert!(
            text.contains(&format!("dossier {file}")),
            "conversation {i} never gives its file {file}:\n{text}"
        );
        assert!(text.contains("Banque Lumière"), "conversation {i}:\n{text}");
        assert!(
            !text.contains("conseiller Anatole"),
            "conversation {i}:\n{text}"
        );
    }
    let convs: Vec<String> = convs.into_iter().map(|(_, t)| t).collect();
    let agent = convs.iter().filter(|t| t.contains("Anatole")).count();
    let client = convs.iter().filter(|t| t.contains("Clémence")).count();
    assert!(
        agent >= 20 && client >= 30,
        "Anatole {agent}, Clémence {client} of 40"
    );
}

#[test]
fn the_shipped_scripts_contract_is_said_in_every_call() {
    let env = Env::with_shipped_prompts();
    let convs = conversations(&env, "call_center_es", 40);
    for (i, (vars, text)) in convs.iter().enumerate() {
        let contract = vars["contract"].as_str().unwrap();
        assert!(
            text.contains(contract),
            "conversation {i} never gives its contract {contract}:\n{text}"
        );
    }
}
