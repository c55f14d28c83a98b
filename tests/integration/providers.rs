//! LLM providers against a real HTTP server on 127.0.0.1 started by the test.

use std::time::Duration;

use crate::common::{Env, Run, assert_has, files_under, read_json, small_prompt, words};
use crate::llm_server::{Recorded, Reply, TestServer, completion, conversation_json, error_body};

pub const KEY: &str = "sk-test-SECRET-4f9c2e";

pub fn good() -> String {
    completion(&conversation_json(&["agent", "client"], 6), "stop", 120, 80)
}

pub fn env() -> Env {
    Env::with_demo_prompt()
}

/// Runs `generate` against `server` as an OpenAI-compatible provider.
pub fn openai(env: &Env, server: &TestServer, total: u32, extra: &[&str]) -> Run {
    let total = total.to_string();
    let mut args = vec![
        "generate", "--prompt", "demo", "--total", &total, "--seed", "5", "--json",
    ];
    if !extra.contains(&"--concurrency") {
        args.extend_from_slice(&["--concurrency", "2"]);
    }
    args.extend_from_slice(extra);
    env.run_against(&server.base_url(), &args, &[("OPENAI_API_KEY", KEY)])
}

/// The key appears nowhere: not in output, not in any file of the data dir.
pub fn assert_no_key(env: &Env, run: &Run) {
    assert!(
        !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
        "key leaked in output"
    );
    if env.data().exists() {
        for entry in files_under(&env.data()) {
            let bytes = std::fs::read(&entry).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(KEY),
                "key leaked into {}",
                entry.display()
            );
        }
    }
}

fn user_message(r: &Recorded) -> String {
    r.json()["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn openai_compatible_request_url_headers_body_and_lineage() {
    let server = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    let run = openai(&env, &server, 3, &[]);
    run.expect(0);
    run.stderr_has("provider: openai, model test-model, endpoint 127.0.0.1:");
    let v = run.json();
    assert_eq!(v["provider"], "openai");
    assert_eq!(v["usage"]["prompt_tokens"], 360);
    assert_eq!(v["usage"]["completion_tokens"], 240);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert!(r.header("api-key").is_none());
        let body = r.json();
        assert_eq!(body["model"], "test-model");
        assert!(body["seed"].as_u64().is_some());
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(
            body["response_format"]["json_schema"]["schema"]["properties"]["turns"]["items"]["properties"]
                ["role"]["enum"],
            serde_json::json!(["agent", "client"])
        );
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert_has(system, "Usted es un agente");
        assert_has(system, "exactly 6 turns");
    }
    let host = server.url().trim_start_matches("http://").to_string();
    for f in env.conversation_files() {
        let conv = read_json(&f);
        assert_eq!(conv["status"], "valid");
        assert_eq!(conv["generator"]["provider"], "openai");
        assert_eq!(conv["generator"]["model"], "test-model");
        assert_eq!(conv["generator"]["endpoint_host"], host.as_str());
        assert_eq!(conv["usage"]["prompt_tokens"], 120);
        assert_eq!(conv["turns"].as_array().unwrap().len(), 6);
        assert_eq!(conv["request_ids"], serde_json::json!(["chatcmpl-test"]));
    }
    assert_no_key(&env, &run);
    env.run(&["audit", "--all"]).expect(0);
}

#[test]
fn azure_url_form_and_api_key_header() {
    let server = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    let endpoint = server.url();
    let azure = [
        ("AZURE_OPENAI_ENDPOINT", endpoint.as_str()),
        ("AZURE_OPENAI_API_KEY", KEY),
    ];
    let run = env.run_with(
        &["generate", "--prompt", "demo", "--total", "2", "--json"],
        &[&azure[..], &[("AZURE_OPENAI_DEPLOYMENT", "gpt-4o-calls")]].concat(),
    );
    run.expect(0);
    assert_eq!(run.json()["provider"], "azure");
    for r in server.requests() {
        assert_eq!(
            r.path,
            "/openai/deployments/gpt-4o-calls/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(r.header("api-key"), Some(KEY));
        assert!(r.header("authorization").is_none());
        assert!(r.json().get("model").is_none());
    }
    assert_no_key(&env, &run);
    // A missing piece is named.
    let out = env.run_with(
        &words("generate --prompt demo --total 1 --provider azure"),
        &azure,
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("AZURE_OPENAI_DEPLOYMENT"));
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let server = TestServer::start(|_, n| match n {
        0 => Reply::status(429, &error_body("slow down", "rate_limit"))
            .with_header("retry-after-ms", "300"),
        1 => Reply::status(503, &error_body("busy", "server_error")),
        2 => {
            Reply::status(500, &error_body("oops", "server_error")).with_header("retry-after", "0")
        }
        3 => Reply::Drop,
        _ => Reply::ok(good()),
    });
    let env = env();
    let started = std::time::Instant::now();
    let run = openai(&env, &server, 1, &["--concurrency", "1"]);
    run.expect(0);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "retry-after-ms honoured"
    );
    assert_eq!(server.count(), 5);
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["status"], "valid");
    assert_eq!(conv["attempts"], 1, "transport retries are not attempts");
}

#[test]
fn a_reply_slower_than_the_timeout_is_retried() {
    let server = TestServer::start(|_, n| {
        if n == 0 {
            Reply::Delay(Duration::from_secs(3), Box::new(Reply::ok(good())))
        } else {
            Reply::ok(good())
        }
    });
    let env = env();
    let run = openai(&env, &server, 1, &["--timeout", "1", "--concurrency", "1"]);
    run.expect(0);
    assert_eq!(server.count(), 2);
}

#[test]
fn too_many_failures_stop_the_run() {
    let server = TestServer::start(|_, _| {
        Reply::status(503, &error_body("down", "server_error")).with_header("retry-after-ms", "10")
    });
    let env = env();
    let run = openai(&env, &server, 1, &["--max-retries", "2"]);
    // Stopped like Ctrl-C: interrupted and resumable, with its own exit code.
    run.expect(75);
    assert_eq!(server.count(), 3);
    run.stderr_has("stopped: gave up after 2 retries: HTTP 503 from 127.0.0.1:");
    run.stderr_has("finish the run with: convgen resume run-000001");
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "interrupted");
    assert!(
        runs[0]["error"]
            .as_str()
            .unwrap()
            .contains("gave up after 2 retries")
    );
    assert_eq!(run.json()["status"], "interrupted");
}

#[test]
fn bad_replies_are_regenerated_with_the_reasons() {
    let short = completion(&conversation_json(&["agent", "client"], 5), "stop", 10, 10);
    let wrong_roles = completion(&conversation_json(&["client", "agent"], 6), "stop", 10, 10);
    let fenced = completion(
        &format!(
            "```json\n{}\n```",
            conversation_json(&["agent", "client"], 6)
        ),
        "stop",
        10,
        10,
    );
    let server = TestServer::start(move |_, n| match n {
        0 => Reply::ok(completion(
            "Claro, aquí tiene la conversación.",
            "stop",
            10,
            10,
        )),
        1 => Reply::ok(short.clone()),
        2 => Reply::ok(wrong_roles.clone()),
        3 => Reply::ok(completion("{\"turns\": [", "length", 10, 10)),
        _ => Reply::ok(fenced.clone()),
    });
    let env = env();
    let run = openai(
        &env,
        &server,
        1,
        &["--max-attempts", "5", "--concurrency", "1"],
    );
    run.expect(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    assert!(!user_message(&requests[0]).contains("rejected"));
    assert!(
        user_message(&requests[1]).contains("not valid JSON"),
        "{}",
        user_message(&requests[1])
    );
    assert!(user_message(&requests[2]).contains("expected 6 turns, got 5"));
    assert!(user_message(&requests[3]).contains("breaks the alternation"));
    assert!(user_message(&requests[4]).contains("cut off"));
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["status"], "valid");
    assert_eq!(conv["attempts"], 5);
    assert_eq!(
        conv["usage"]["prompt_tokens"], 50,
        "tokens of rejected replies count"
    );
}

#[test]
fn a_conversation_that_never_validates_is_recorded_as_failed() {
    let short = completion(&conversation_json(&["agent", "client"], 4), "stop", 10, 10);
    let server = TestServer::start(move |_, _| Reply::ok(short.clone()));
    let env = env();
    let run = openai(&env, &server, 2, &[]);
    run.expect(1);
    assert_eq!(run.json()["counts"]["failed"], 2);
    assert_eq!(server.count(), 6, "three attempts each");
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["status"], "failed");
    assert_eq!(conv["attempts"], 3);
    assert!(
        conv["issues"][0]
            .as_str()
            .unwrap()
            .contains("expected 6 turns")
    );
}

#[test]
fn content_filter_refusals_are_recorded_not_retried() {
    let server = TestServer::start(|_, n| {
        if n == 0 {
            Reply::ok(completion("", "content_filter", 10, 0))
        } else {
            Reply::status(
                400,
                &error_body("The response was filtered", "content_filter"),
            )
        }
    });
    let env = env();
    let run = openai(&env, &server, 2, &["--concurrency", "1"]);
    run.expect(1);
    assert_eq!(server.count(), 2, "one request per conversation");
    for f in env.conversation_files() {
        let conv = read_json(&f);
        assert_eq!(conv["status"], "failed");
        assert!(
            conv["issues"][0]
                .as_str()
                .unwrap()
                .contains("content filter"),
            "{}",
            conv["issues"]
        );
    }
}

#[test]
fn bad_credentials_and_unknown_deployments_stop_at_once() {
    let server = TestServer::start(|_, _| {
        Reply::status(
            401,
            &error_body("Incorrect API key provided", "invalid_api_key"),
        )
    });
    let env = env();
    let run = openai(&env, &server, 3, &[]);
    run.expect(2);
    run.stderr_has("refused the credentials (HTTP 401): check OPENAI_API_KEY");
    assert!(server.count() <= 2, "not retried: {}", server.count());
    assert_no_key(&env, &run);

    let server = TestServer::start(|_, _| {
        Reply::status(
            404,
            &error_body(
                "The API deployment for this resource does not exist",
                "DeploymentNotFound",
            ),
        )
    });
    let env2 = crate::providers::env();
    let out = env2.run_with(
        &["generate", "--prompt", "demo", "--total", "1"],
        &[
            ("AZURE_OPENAI_ENDPOINT", server.url().as_str()),
            ("AZURE_OPENAI_API_KEY", KEY),
            ("AZURE_OPENAI_DEPLOYMENT", "nope"),
        ],
    );
    let stderr = &out.stderr;
    assert_eq!(out.code, 2, "{stderr}");
    assert_has(stderr, "no such deployment (HTTP 404)");
    assert!(!stderr.contains(KEY));
    assert_eq!(server.count(), 1);
}

#[test]
fn a_server_without_response_format_gets_plain_instructions() {
    let server = TestServer::start(|r, _| {
        if r.json().get("response_format").is_some() {
            Reply::status(
                400,
                &error_body(
                    "Unrecognized request argument supplied: response_format",
                    "invalid_request_error",
                ),
            )
        } else {
            Reply::ok(good())
        }
    });
    let env = env();
    let run = openai(&env, &server, 3, &["--concurrency", "1"]);
    run.expect(0);
    let requests = server.requests();
    assert_eq!(requests[0].json()["response_format"]["type"], "json_schema");
    assert_eq!(requests[1].json()["response_format"]["type"], "json_object");
    assert!(requests[2].json().get("response_format").is_none());
    assert_eq!(
        requests.len(),
        5,
        "the fallback is remembered for the rest of the run"
    );
}

#[test]
fn turn_by_turn_mode_sends_the_conversation_so_far() {
    let server = TestServer::start(|r, n| {
        let user = r.json()["messages"][1]["content"]
            .as_str()
            .unwrap()
            .to_string();
        let text = format!("Frase número {} de la llamada.", n + 1);
        assert_has(&user, &format!("Write turn {} of 6", n + 1));
        Reply::ok(completion(
            &format!("{{\"text\": \"{text}\"}}"),
            "stop",
            7,
            3,
        ))
        .with_header("x-request-id", &format!("req-{n}"))
    });
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("mode = \"turns\"", None));
    let run = openai(&env, &server, 1, &["--concurrency", "1"]);
    run.expect(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 6, "one request per turn");
    assert!(user_message(&requests[0]).contains("has not started yet"));
    assert!(user_message(&requests[0]).contains("spoken by `agent`"));
    assert!(user_message(&requests[1]).contains("agent: Frase número 1 de la llamada."));
    assert!(user_message(&requests[1]).contains("spoken by `client`"));
    assert!(user_message(&requests[5]).contains("client: Frase número 4 de la llamada."));
    assert_eq!(
        requests[0].json()["response_format"]["json_schema"]["name"],
        "utterance"
    );
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["status"], "valid");
    assert_eq!(conv["turns"][5]["text"], "Frase número 6 de la llamada.");
    assert_eq!(conv["turns"][5]["role"], "client");
    assert_eq!(conv["usage"]["prompt_tokens"], 42);
    assert_eq!(conv["request_ids"].as_array().unwrap().len(), 6);
    assert_eq!(conv["request_ids"][0], "req-0");
}

#[test]
fn x_should_retry_and_other_retryable_statuses_are_obeyed() {
    let server = TestServer::start(|_, n| match n {
        0 => Reply::status(408, &error_body("timeout", "timeout")),
        1 => Reply::status(409, &error_body("conflict", "conflict")),
        2 => Reply::status(418, &error_body("teapot", "teapot"))
            .with_header("x-should-retry", "true"),
        _ => Reply::ok(good()),
    });
    let env = env();
    openai(&env, &server, 1, &["--concurrency", "1"]).expect(0);
    assert_eq!(server.count(), 4);

    let server = TestServer::start(|_, _| {
        Reply::status(503, &error_body("overloaded", "server_error"))
            .with_header("x-should-retry", "false")
    });
    let env = crate::providers::env();
    let run = openai(&env, &server, 1, &["--concurrency", "1"]);
    run.expect(2);
    assert_eq!(server.count(), 1, "x-should-retry: false is obeyed");
    run.stderr_has("asked not to retry");
}
