//! Issue 12: `resume` goes where the run went. A run records its endpoint
//! (URL, deployment, model, the key's variable, never the key); resuming
//! uses it, and refuses when the environment points elsewhere unless
//! `--endpoint-from-env`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{Env, Run, assert_has, read_json, words};
use crate::llm_server::{Reply, TestServer, error_body};
use crate::providers::{KEY, assert_no_key, env, good, openai};

/// A server that serves `first` requests, then answers 503 until opened.
fn flaky(first: usize) -> (TestServer, Arc<AtomicBool>) {
    let open = Arc::new(AtomicBool::new(false));
    let o = open.clone();
    let server = TestServer::start(move |_, n| {
        if o.load(Ordering::SeqCst) || n < first {
            Reply::ok(good())
        } else {
            Reply::status(503, &error_body("down", "server_error"))
        }
    });
    (server, open)
}

/// A 4-conversation run against `server` that stops (retries exhausted)
/// after its first batch of 2; returns the stopped run's output.
fn stopped_run(env: &Env, server: &TestServer) -> Run {
    let run = openai(
        env,
        server,
        4,
        &words("--batch-size 2 --concurrency 1 --max-retries 0"),
    );
    run.expect(75);
    run
}

/// `resume RUN` with `vars` set (and every other provider variable unset).
fn resume(env: &Env, run_id: &str, vars: &[(&str, String)], extra: &[&str]) -> Run {
    let mut args = vec!["resume", run_id, "--json"];
    args.extend_from_slice(extra);
    env.run_with(&args, vars)
}

/// `resume RUN` with OPENAI_BASE_URL `base_url` and the key set.
fn resume_at(env: &Env, run_id: &str, base_url: String, extra: &[&str]) -> Run {
    resume(
        env,
        run_id,
        &[
            ("OPENAI_BASE_URL", base_url),
            ("OPENAI_API_KEY", KEY.into()),
        ],
        extra,
    )
}

fn host(server: &TestServer) -> String {
    server.url().trim_start_matches("http://").to_string()
}

#[test]
fn issue12_resume_refuses_another_base_url_and_goes_back_to_the_recorded_one() {
    let (a, open) = flaky(2);
    let b = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    let first = stopped_run(&env, &a);
    first.stderr_has("convgen resume run-000001");
    // The run records its endpoint, never the key.
    let shown = env.run_json(&["show", "run-000001", "--json"]);
    let rec = &shown["config"]["endpoints"][0];
    assert_eq!(rec["url"], format!("{}/chat/completions", a.base_url()));
    assert_eq!(rec["env"]["base_url"], a.base_url());
    assert_eq!(rec["key_env"], "OPENAI_API_KEY");
    assert_eq!(rec["model"], "test-model");
    let text = env.run(&["show", "run-000001"]).expect(0).stdout.clone();
    assert_has(&text, &format!("endpoint    {}", host(&a)));
    open.store(true, Ordering::SeqCst);
    let before = a.count();

    // The environment now points to another server: refused, naming both, nothing sent.
    let refused = resume_at(&env, "run-000001", b.base_url(), &[]);
    refused.expect(2);
    let line = refused.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains(&format!(
            "run-000001 was made against {} but OPENAI_BASE_URL points to {}",
            a.base_url(),
            b.base_url()
        )) && line.contains("--endpoint-from-env"),
        "{line}"
    );
    assert_eq!(b.count(), 0, "nothing went to the other server");
    assert_eq!(a.count(), before);
    // So does convgen.toml's [openai] table.
    env.write(
        "convgen.toml",
        format!("[openai]\nbase_url = \"{}\"\n", b.base_url()),
    );
    let refused = resume(&env, "run-000001", &[("OPENAI_API_KEY", KEY.into())], &[]);
    refused.expect(2);
    refused.stderr_has(&format!(
            "run-000001 was made against {} but convgen.toml's [openai] base_url points to {}; remove it",
            a.base_url(),
            b.base_url()
        ));
    std::fs::remove_file(env.path().join("convgen.toml")).unwrap();
    assert_eq!(b.count(), 0);
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "interrupted");

    // No OPENAI_BASE_URL at all: back to the recorded server, key from the environment.
    let resumed = resume(&env, "run-000001", &[("OPENAI_API_KEY", KEY.into())], &[]);
    resumed.expect(0);
    assert_eq!(resumed.json()["counts"]["valid"], 4);
    resumed.stderr_has(&format!(
        "resuming against {}, the endpoint it recorded",
        a.base_url()
    ));
    assert_eq!(b.count(), 0);
    let later = &a.requests()[before..];
    assert_eq!(later.len(), 2, "the two conversations left");
    for r in later {
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(r.json()["model"], "test-model");
    }
    for f in env.conversation_files() {
        assert_eq!(
            read_json(&f)["generator"]["endpoint_host"],
            host(&a).as_str()
        );
        assert!(read_json(&f)["generator"].get("endpoint").is_none());
    }
    assert_no_key(&env, &resumed);
    env.run(&["audit", "--all"]).expect(0);

    // The same base URL in the environment (trailing slash aside) is no change.
    let (c, open_c) = flaky(2);
    let env = crate::providers::env();
    stopped_run(&env, &c);
    open_c.store(true, Ordering::SeqCst);
    resume_at(&env, "run-000001", format!("{}/", c.base_url()), &[]).expect(0);
}

#[test]
fn issue12_endpoint_from_env_sends_the_rest_to_the_new_server() {
    let (a, _closed) = flaky(2);
    let b = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    stopped_run(&env, &a);
    let before = a.count();
    let moved = resume_at(&env, "run-000001", b.base_url(), &["--endpoint-from-env"]);
    moved.expect(0);
    moved.stderr_has(&format!(
        "sending the rest to {} (OPENAI_BASE_URL), not to {} where it started",
        b.base_url(),
        a.base_url()
    ));
    assert_eq!(moved.json()["counts"]["valid"], 4);
    assert_eq!(a.count(), before, "nothing more went to the old server");
    assert_eq!(b.count(), 2);
    let hosts: Vec<String> = env
        .conversation_files()
        .iter()
        .map(|f| {
            read_json(f)["generator"]["endpoint_host"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(hosts, [host(&a), host(&a), host(&b), host(&b)]);
    env.run(&["audit", "--all"]).expect(0);
    // The run now records the new endpoint: a later look names it.
    let show = env.run_json(&["show", "run-000001", "--json"]);
    assert_eq!(show["config"]["endpoint_host"], host(&b).as_str(), "{show}");
    moved.stderr_has("later resumes go there too");
}

#[test]
fn issue12_a_mock_run_resumes_with_the_mock_whatever_the_environment_says() {
    let server = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    // The process dies after its first batch is written (a crash point).
    let out = env
        .command(&words(
            "generate --prompt demo --total 4 --batch-size 2 --seed 3 --concurrency 1",
        ))
        .env("CONVGEN_FAIL_AFTER_WRITES", "9")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let resumed = resume_at(&env, "run-000001", server.base_url(), &[]);
    resumed.expect(0);
    assert_eq!(server.count(), 0, "a mock run sends nothing anywhere");
    for f in env.conversation_files() {
        assert_eq!(read_json(&f)["generator"]["provider"], "mock");
    }
    assert_eq!(env.conversation_files().len(), 4);
}

#[test]
fn issue12_a_run_recorded_with_only_its_host_still_resumes_by_host() {
    use convgen::registry::{Registry, RunConfig};
    let (a, open) = flaky(0);
    open.store(true, Ordering::SeqCst);
    let b = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    // A run as convgen recorded it before runs kept their endpoint: the host only.
    let data = camino::Utf8PathBuf::from_path_buf(env.data()).unwrap();
    let path = camino::Utf8PathBuf::from_path_buf(env.path().join("prompts/demo.md")).unwrap();
    let prompt = convgen::prompt::load(&path).unwrap();
    let registry = Registry::new(&data);
    let record = registry
        .register_prompt(&prompt, &std::fs::read(&path).unwrap())
        .unwrap();
    let (run, _, lock) = registry
        .register_run(RunConfig {
            prompt_id: record.prompt_id.clone(),
            prompt_name: prompt.name.clone(),
            prompt_sha256: prompt.sha256.clone(),
            script: None,
            scenario_mode: convgen::conversation::ScenarioMode::Weighted,
            total: 2,
            batch_size: 2,
            seed: 1,
            start: "2026-03-02T09:00:00Z".into(),
            provider: "openai".into(),
            model: "test-model".into(),
            endpoint_host: Some(host(&a)),
            temperature: None,
            concurrency: 1,
            max_attempts: 1,
            endpoints: Vec::new(),
            origin: convgen::conversation::Origin::Generated,
            source: None,
        })
        .unwrap();
    drop(lock);
    let id = run.run_id.as_str();
    // Elsewhere: refused, naming the recorded host.
    let refused = resume(&env, id, &[("OPENAI_BASE_URL", b.base_url())], &[]);
    refused.expect(2);
    refused.stderr_has(&format!(
        "{id} was made against {} (it recorded only the host) but OPENAI_BASE_URL points to {}",
        host(&a),
        b.base_url()
    ));
    // Unset: the public URL is not where it went either.
    let unset = resume(&env, id, &[("OPENAI_API_KEY", KEY.into())], &[]);
    unset.expect(2);
    unset.stderr_has("OPENAI_BASE_URL is not set (the default is https://api.openai.com/v1)");
    assert_eq!(a.count() + b.count(), 0);
    // The same host: resumes there.
    resume(&env, id, &[("OPENAI_BASE_URL", a.base_url())], &[]).expect(0);
    assert_eq!(a.count(), 2);
    assert_eq!(b.count(), 0);
}
