//! Credentials written into an endpoint URL (issue 14, point 10): sent as
//! HTTP Basic authentication, also by `resume`, and never recorded or shown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{assert_has, files_under, read_json, words};
use crate::llm_server::{Reply, TestServer};
use crate::providers::{env, good};

#[test]
fn a_password_in_the_base_url_is_sent_but_never_recorded_or_shown() {
    const SECRET: &str = "pw-SECRET-71c3";
    // user:pw-SECRET-71c3, as HTTP Basic sends it.
    let expected = "Basic dXNlcjpwdy1TRUNSRVQtNzFjMw==";
    // Two conversations served, then 503 until opened: the run stops and is resumed.
    let open = Arc::new(AtomicBool::new(false));
    let o = open.clone();
    let server = TestServer::start(move |req, n| match req.header("authorization") {
        Some(auth) if auth != expected => Reply::status(401, r#"{"error": {"message": "who"}}"#),
        None => Reply::status(401, r#"{"error": {"message": "who are you"}}"#),
        _ if n < 2 || o.load(Ordering::SeqCst) => Reply::ok(good()),
        _ => Reply::status(503, r#"{"error": {"message": "down"}}"#),
    });
    let base = server
        .base_url()
        .replace("http://", &format!("http://user:{SECRET}@"));
    let env = env();
    let vars = [
        ("OPENAI_BASE_URL", base.as_str()),
        ("CONVGEN_MODEL", "test-model"),
    ];
    let args = words(
        "generate --prompt demo --total 4 --batch-size 2 --concurrency 1 --max-retries 0 --json",
    );
    let mut runs = vec![env.run_with(&args, &vars)];
    runs[0].expect(75);
    open.store(true, Ordering::SeqCst);
    runs.push(env.run_with(&["resume", "run-000001", "--json"], &vars));
    runs[1].expect(0);
    assert_eq!(env.conversation_files().len(), 4);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(expected)),
        "every request, resumed ones too, carries the credentials"
    );
    let conv = read_json(&env.conversation_files()[0]);
    for args in [
        &["show", "run-000001"][..],
        &["show", "run-000001", "--json"][..],
        &["list", "runs", "--json"][..],
        &["show", conv["conversation_id"].as_str().unwrap(), "--json"][..],
        &["preview", "--prompt", "demo", "--request"][..],
        &["preview", "--prompt", "demo", "--request", "--json"][..],
        &["config"][..],
    ] {
        runs.push(env.run_with(args, &vars));
    }
    assert_has(&runs[6].stderr, &format!("POST {}", server.base_url()));
    for run in &runs {
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "the password is shown:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    for file in files_under(&env.data()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the password is in {}",
            file.display()
        );
    }
}
