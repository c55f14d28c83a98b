//! Hostile servers and input (issue 14): nothing leaks, crashes, hangs or
//! escapes. One test per finding.

use crate::common::Env;
use crate::llm_server::{Reply, TestServer};
use crate::providers::{KEY, assert_no_key, env, good};

/// A server that redirects every request to `target`.
fn redirecting(status: u16, target: String) -> TestServer {
    TestServer::start(move |_, _| {
        Reply::status(status, "").with_header(
            "Location",
            &format!("{target}/openai/deployments/d/chat/completions"),
        )
    })
}

/// The key never follows a redirect, and the redirect is an error naming it.
fn assert_refused_redirect(env: &Env, run: &crate::common::Run, status: u16, target: &TestServer) {
    run.expect(2);
    run.stderr_has(&format!(
        "answered HTTP {status}, redirecting to {}",
        target.url()
    ));
    run.stderr_has("follows no redirect");
    assert!(
        target.requests().is_empty(),
        "the redirect was followed: {:?}",
        target.requests()
    );
    assert_no_key(env, run);
}

#[test]
fn azure_keys_never_follow_a_redirect() {
    // The other host answers with a valid conversation: taking it would be
    // the leak the issue saw (Azure's `api-key` header re-sent there).
    let elsewhere = TestServer::start(|_, _| Reply::ok(good()));
    for status in [301, 302, 303, 307, 308] {
        let server = redirecting(status, elsewhere.url());
        let env = env();
        let run = env.run_with(
            &["generate", "--prompt", "demo", "--total", "1"],
            &[
                ("AZURE_OPENAI_ENDPOINT", server.url().as_str()),
                ("AZURE_OPENAI_API_KEY", KEY),
                ("AZURE_OPENAI_DEPLOYMENT", "d"),
            ],
        );
        assert_refused_redirect(&env, &run, status, &elsewhere);
        assert_eq!(server.requests().len(), 1, "a redirect is not retried");
    }
}

#[test]
fn openai_requests_never_follow_a_redirect() {
    let elsewhere = TestServer::start(|_, _| Reply::ok(good()));
    let server = redirecting(302, elsewhere.url());
    let env = env();
    let run = env.run_against(
        &server.base_url(),
        &["generate", "--prompt", "demo", "--total", "1"],
        &[("OPENAI_API_KEY", KEY)],
    );
    assert_refused_redirect(&env, &run, 302, &elsewhere);
}

/// A table whose `#` border is 2^62: keys 1, 2, 4, … 2^62.
const HUGE_BORDER: &str = "local function huge()\n  local t, k = {}, 1\n  for _ = 1, 63 do t[k] = 'x'; k = k * 2 end\n  return t\nend\n";

/// A prompt filled by `variables`, and `script` as its script.
fn with_script(script: &str) -> Env {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        crate::common::small_prompt("", None).replace(
            "Usted es un agente",
            "Usted atiende a {{customer}}; es un agente",
        ),
    );
    env.write("scripts/demo.lua", format!("{HUGE_BORDER}{script}"));
    env
}

#[test]
fn a_table_length_is_a_hint_never_an_allocation() {
    for (hook, script, needle) in [
        (
            "variables",
            "return { variables = function(ctx) return { customer = 'Ana', extra = huge() } end }",
            "hook `variables`",
        ),
        (
            "text.find_word",
            "return { variables = function(ctx) return { customer = 'Ana' } end,\n  validate_turn = function(turn, ctx) text.find_word(turn.text, huge()) return true end }",
            "hook `validate_turn`",
        ),
    ] {
        let env = with_script(script);
        let run = env.run(&[
            "generate", "--prompt", "demo", "--total", "2", "--seed", "1",
        ]);
        assert_eq!(run.code, 2, "{hook}: exit {}\n{}", run.code, run.stderr);
        run.stderr_has("scripts/demo.lua").stderr_has(needle);
        run.stderr_lacks("capacity overflow")
            .stderr_lacks("panicked");
        // Nothing is left claiming to run.
        if env.data().join("registry.redb").exists() {
            let runs = env.run(&["list", "runs", "--json"]).expect(0).json();
            for r in runs.as_array().unwrap() {
                assert_ne!(r["status"], "running", "{hook}: {r}");
            }
        }
    }
    // Reasons are read as a sequence, up to its first hole, like `ipairs`:
    // the huge border costs nothing and the conversation fails with them.
    let env = with_script(
        "return { variables = function(ctx) return { customer = 'Ana' } end,\n  validate_conversation = function(conv, ctx) return false, huge() end }",
    );
    let run = env.run(&[
        "generate",
        "--prompt",
        "demo",
        "--total",
        "1",
        "--seed",
        "1",
        "--max-attempts",
        "1",
    ]);
    run.expect(1).stderr_lacks("panicked");
    let conv = crate::common::read_json(&env.conversation_files()[0]);
    assert_eq!(conv["issues"], serde_json::json!(["x", "x"]), "{conv}");
    // In a QA script's check, too.
    let env = with_script("return { variables = function(ctx) return { customer = 'Ana' } end }");
    env.run(&[
        "generate", "--prompt", "demo", "--total", "2", "--seed", "1",
    ])
    .expect(0);
    env.write(
        "qa.lua",
        format!("{HUGE_BORDER}return {{ check = function(conv, ctx) return false, huge() end }}"),
    );
    let audit = env.run(&["audit", "--all", "--script", "qa.lua", "--json"]);
    audit.expect(1).stderr_lacks("panicked");
    let report = audit.json();
    assert_eq!(report["qa"]["failed"], 2, "{report}");
    assert_eq!(
        report["qa"]["results"][0]["reasons"],
        serde_json::json!(["x", "x"])
    );
}

#[test]
fn a_reply_over_the_size_cap_is_named_as_such() {
    // 11 MB of JSON whitespace before a valid completion: over ureq's 10 MB cap.
    let body = format!("{}{}", " ".repeat(11_000_000), good());
    let server = TestServer::start(move |_, _| Reply::ok(body.clone()));
    let env = env();
    let run = env.run_against(
        &server.base_url(),
        &[
            "generate",
            "--prompt",
            "demo",
            "--total",
            "1",
            "--max-attempts",
            "1",
            "--json",
        ],
        &[],
    );
    run.expect(1);
    let conv = crate::common::read_json(&env.conversation_files()[0]);
    let issues = conv["issues"].to_string();
    crate::common::assert_has(&issues, "is larger than 10 MB");
    crate::common::assert_lacks(&issues, "not a chat completion");
    assert_eq!(
        server.requests().len(),
        1,
        "an oversized reply is not retried"
    );
}

#[test]
fn a_latency_that_rounds_to_zero_is_refused_before_the_run() {
    let env = with_script(
        "return { variables = function(ctx) return { customer = 'Ana' } end,\n  turn_latency = function(turn, ctx) return 0.0004 end }",
    );
    let check = env.run(&["check", "demo"]);
    check
        .expect(2)
        .stdout_has("hook `turn_latency`")
        .stdout_has("rounds to 0 ms");
    let run = env.run(&["generate", "--prompt", "demo", "--total", "2"]);
    run.expect(2).stderr_has("rounds to 0 ms");
    assert!(
        !env.data().join("registry.redb").exists(),
        "nothing is written"
    );
}

#[test]
fn config_never_shows_a_password_written_into_a_url() {
    // convgen.toml refuses credentials in URLs; the environment may hold them.
    let env = Env::new();
    for args in [&["config"][..], &["config", "--json"][..]] {
        let run = env.run_with(
            args,
            &[("OPENAI_BASE_URL", "https://alice:env-s3cret@gw.example/v1")],
        );
        run.expect(0).stdout_has("https://alice:***@gw.example/v1");
        crate::common::assert_lacks(&run.stdout, "s3cret");
    }
}
