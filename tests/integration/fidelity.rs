//! What the model is told: scenario attributes, every placeholder filled
//! (accented ones too), and every problem refused before a request is sent.

use serde_json::Value;

use crate::common::{Env, Run, assert_has, assert_lacks, words};
use crate::llm_server::{Recorded, Reply, TestServer, completion, conversation_json};

/// A server that answers every request with a valid conversation of `turns`.
fn server(roles: &'static [&'static str], turns: usize) -> TestServer {
    TestServer::start(move |_, _| {
        Reply::ok(completion(
            &conversation_json(roles, turns),
            "stop",
            100,
            50,
        ))
    })
}

/// Runs the binary against `server` as an OpenAI-compatible provider.
fn against(env: &Env, server: &TestServer, args: &[&str]) -> Run {
    env.run_against(&server.base_url(), args, &[])
}

fn system_of(r: &Recorded) -> String {
    r.json()["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// `preview --request` for the first conversation of the run the test makes.
const PREVIEW_REQUEST: &[&str] = &[
    "preview",
    "--prompt",
    "call_center_es",
    "--scenario",
    "billing_dispute",
    "--seed",
    "11",
    "--request",
];

#[test]
fn the_model_is_told_the_scenario_attributes_and_preview_request_shows_the_same_messages() {
    let env = Env::with_shipped_prompts();
    let server = server(&["agent", "client"], 12);
    let run = against(
        &env,
        &server,
        &words(
            "generate --prompt call_center_es --scenario billing_dispute --total 2 --seed 11 --max-attempts 1 --concurrency 1 --json",
        ),
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let system = system_of(r);
        assert_has(
            &system,
            "## Scenario: Cobro duplicado en la factura\nAttributes of this scenario:\n- product: fibra\n- resolution: resuelto\n- tone: molesto\n",
        );
        assert_lacks(&system, "weight");
        assert_lacks(&system, "{{");
    }
    // preview --request prints exactly what conversation 1 of that run sent.
    let preview = against(&env, &server, &[PREVIEW_REQUEST, &["--json"]].concat());
    preview.expect(0);
    let shown = preview.json();
    assert_eq!(server.requests().len(), 2, "preview sent a request");
    let sent = requests
        .iter()
        .map(Recorded::json)
        .find(|b| b["seed"] == shown["body"]["seed"])
        .expect("the first conversation's request");
    assert_eq!(shown["body"], sent);
    assert_eq!(
        shown["url"],
        format!("{}/v1/chat/completions", server.url())
    );
    // The human form prints the same system message, key-free.
    let text = against(&env, &server, PREVIEW_REQUEST);
    text.expect(0);
    assert!(
        text.stdout
            .contains(sent["messages"][0]["content"].as_str().unwrap()),
        "{}",
        text.stdout
    );
}

/// A pt-BR prompt with accented placeholders, an other-language catalog
/// heading, private and script-shaped attributes.
fn seguros(env: &Env, script: &str) {
    env.write(
        "prompts/seguros.md",
        "+++\ntitle = \"Seguros\"\nlanguage = \"pt-BR\"\nroles = [\"agente\", \"cliente\"]\nturns = 4\n+++\nVocê atende a apólice {{apólice}} de {{ nome_do_cliente }}.\n\n## Cenários\n\n### sinistro: Sinistro de carro\n```toml\nweight = 2\ntom = \"irritado\"\n_codigo_interno = \"S-17\"\nresultado = \"aberto para {{nome_do_cliente}}\"\n```\nO cliente liga para abrir um sinistro.\n",
    );
    env.write("scripts/seguros.lua", script);
}

#[test]
fn accented_placeholders_are_filled_and_a_script_shapes_the_attributes() {
    let env = Env::new();
    seguros(
        &env,
        "local M = {}\nfunction M.variables(ctx)\n  return { ['apólice'] = 'AP-7781', nome_do_cliente = 'João Silva', tom = ctx.index == 1 and 'calmo' or 'irritado' }\nend\nreturn M\n",
    );
    env.run(&["check", "seguros"]).expect(0);
    let server = server(&["agente", "cliente"], 4);
    let run = against(
        &env,
        &server,
        &words("generate --prompt seguros --total 2 --concurrency 1"),
    );
    run.expect(0);
    let systems: Vec<String> = server.requests().iter().map(system_of).collect();
    assert_eq!(systems.len(), 2);
    for system in &systems {
        assert_has(system, "Você atende a apólice AP-7781 de João Silva.");
        assert_has(system, "- resultado: aberto para João Silva\n");
        assert!(
            !system.contains("{{") && !system.contains("S-17"),
            "{system}"
        );
    }
    // A variable named like an attribute is what the model is told.
    assert_eq!(
        systems
            .iter()
            .filter(|s| s.contains("- tom: calmo\n"))
            .count(),
        1
    );
    assert_eq!(
        systems
            .iter()
            .filter(|s| s.contains("- tom: irritado\n"))
            .count(),
        1
    );
}

#[test]
fn a_brace_pair_that_is_no_placeholder_is_refused_with_its_line_before_any_request() {
    let env = Env::new();
    seguros(
        &env,
        "local M = {}\nfunction M.variables(ctx)\n  return { ['apólice'] = 'AP-1', nome_do_cliente = 'Ana' }\nend\nreturn M\n",
    );
    let path = env.path().join("prompts/seguros.md");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{ nome_do_cliente }}.", "{{nome do cliente}}.");
    std::fs::write(&path, text).unwrap();
    env.run(&["check", "seguros"])
        .expect(2)
        .stdout_has("prompts/seguros.md:7: `{{nome do cliente}}` is not a placeholder");
    let server = server(&["agente", "cliente"], 4);
    let run = against(
        &env,
        &server,
        &["generate", "--prompt", "seguros", "--total", "2"],
    );
    run.expect(2);
    run.stderr_has("prompts/seguros.md:7: `{{nome do cliente}}` is not a placeholder");
    assert!(server.requests().is_empty());
    assert!(!env.data().join("registry.redb").exists());
}

#[test]
fn generate_refuses_on_every_problem_check_finds_and_check_says_each_once() {
    let env = Env::new();
    seguros(
        &env,
        "local M = {}\nfunction M.select_scenario(ctx) return 'roubo' end\nfunction M.variables(ctx)\n  return { ['apólice'] = 'AP-1' }\nend\nreturn M\n",
    );
    let check = env.run(&["check", "seguros"]);
    check.expect(2);
    let unknown = "hook `select_scenario` failed on 5 sample conversations: returned `roubo`, which is not in the catalog (sinistro)";
    let unfilled = "the variables hook returns no `nome_do_cliente` for scenario `sinistro`, which prompts/seguros.md:7 uses";
    for needle in [unknown, unfilled] {
        assert_eq!(check.stdout.matches(needle).count(), 1, "{}", check.stdout);
    }
    let server = server(&["agente", "cliente"], 4);
    let run = against(
        &env,
        &server,
        &["generate", "--prompt", "seguros", "--total", "3"],
    );
    run.expect(2);
    for needle in [unknown, unfilled] {
        assert_eq!(run.stderr.matches(needle).count(), 1, "{}", run.stderr);
    }
    run.stderr_has(
        "2 problem(s) with prompts/seguros.md and scripts/seguros.lua; nothing was sent or written",
    );
    assert!(server.requests().is_empty());
    // preview refuses the same way.
    env.run(&["preview", "--prompt", "seguros"]).expect(2);
}

#[test]
fn a_value_that_is_not_plain_data_is_named_by_its_key() {
    let env = Env::new();
    seguros(
        &env,
        "local M = {}\nfunction M.variables(ctx)\n  return { ['apólice'] = 'AP-1', nome_do_cliente = 'Ana', extra = { itens = { 'a', print } } }\nend\nreturn M\n",
    );
    let run = env.run(&["generate", "--prompt", "seguros", "--total", "1"]);
    run.expect(2);
    run.stderr_has("`extra.itens[2]`: it holds a function");
}

#[test]
fn preview_request_with_the_mock_shows_what_a_provider_would_be_sent() {
    let env = Env::with_shipped_prompts();
    let run = env.run(&words(
        "preview --prompt support_en --request --json --seed 2",
    ));
    run.expect(0);
    let v: Value = run.json();
    assert_eq!(v["provider"], "mock");
    assert!(v["url"].is_null());
    assert_eq!(v["body"]["response_format"]["type"], "json_schema");
    let system = v["body"]["messages"][0]["content"].as_str().unwrap();
    assert_has(system, "## Scenario: ");
    run.stderr_has("this is what an LLM provider would be sent");
}
