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
