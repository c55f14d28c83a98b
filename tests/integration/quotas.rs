//! Provider quotas: 429s are waits, waiting is bounded by time, several
//! endpoints serve one run; against real loopback servers with limiters of
//! the shapes real providers use.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Env, Run, assert_has, read_json, words};
use crate::limiter::{TokenBucket, serve};
use crate::llm_server::{Reply, TestServer, completion, conversation_json, error_body};
use crate::providers::{KEY, assert_no_key, env, good, openai};

fn rate_limited() -> Reply {
    Reply::status(
        429,
        &error_body("Rate limit reached", "rate_limit_exceeded"),
    )
}

#[test]
fn a_429_storm_never_aborts_the_run_nor_spends_retries() {
    // A bucket with a burst of 2 and waits of a few tens of milliseconds, 16
    // workers, and no retry budget at all: every refusal must be a wait.
    let (server, stats) = serve(TokenBucket::new(20, 2), Duration::from_millis(20), good());
    let env = env();
    let run = openai(
        &env,
        &server,
        60,
        &["--concurrency", "16", "--max-retries", "0"],
    );
    run.expect(0);
    let v = run.json();
    assert_eq!(v["counts"]["valid"], 60);
    let counts = stats.snapshot();
    assert!(
        counts.throttled > 0,
        "the server never refused: no storm tested"
    );
    assert_eq!(counts.seeds.len(), 60, "each conversation accepted once");
    assert!(
        counts.requests < 3 * 60,
        "{} requests for 60 conversations: a storm",
        counts.requests
    );
    // What the run reports is what the server saw.
    let e = &v["endpoints"][0];
    assert_eq!(e["name"], "openai");
    assert_eq!(e["requests"], counts.requests);
    assert_eq!(e["throttled"], counts.throttled);
    assert_eq!(e["retries"], 0);
    run.stderr_has("openai: rate limited (HTTP 429); pacing requests to what it accepts");
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["endpoints"][0]["throttled"], counts.throttled);
    env.run(&["show", "run-000001"])
        .expect(0)
        .stdout_has(&format!(
            "endpoints   openai: {} requests, {} answered 429, 0 retried",
            counts.requests, counts.throttled
        ));
    assert_no_key(&env, &run);
}

const START: &str = "2026-03-02T09:00:00Z";

#[test]
fn max_wait_expiry_stops_resumably_and_resume_finishes_the_same_files() {
    let open = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (o, a) = (open.clone(), accepted.clone());
    let server = TestServer::start(move |_, _| {
        if o.load(Ordering::SeqCst) || a.fetch_add(1, Ordering::SeqCst) < 3 {
            Reply::ok(good())
        } else {
            rate_limited().with_header("retry-after-ms", "100")
        }
    });
    let args = [
        "--batch-size",
        "4",
        "--start",
        START,
        "--max-wait",
        "1",
        "--concurrency",
        "2",
    ];
    let env = env();
    let started = Instant::now();
    let run = openai(&env, &server, 8, &args);
    run.expect(75);
    assert!(started.elapsed() < Duration::from_secs(30));
    run.stderr_has(
        "stopped: openai refused every request for 1s (HTTP 429), longer than --max-wait 1s",
    );
    assert!(
        run.stderr
            .contains("finish the run with: convgen resume run-000001")
    );
    assert_eq!(run.json()["status"], "interrupted");
    assert!(
        run.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("longer than --max-wait 1s"))
    );
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "interrupted");
    // Whatever was accepted before the stop is on disk.
    assert_eq!(env.conversation_files().len(), 3);

    open.store(true, Ordering::SeqCst);
    let resumed = env.run_with(
        &["resume", "run-000001", "--json"],
        &[
            ("OPENAI_BASE_URL", server.base_url().as_str()),
            ("OPENAI_API_KEY", KEY),
        ],
    );
    resumed.expect(0);
    assert_eq!(resumed.json()["counts"]["valid"], 8);
    assert_no_key(&env, &resumed);

    // The same run, never interrupted, against the same server.
    let reference = crate::providers::env();
    openai(&reference, &server, 8, &args).expect(0);
    env.assert_same_conversations(&reference, 8);
    env.run(&["audit", "--all"]).expect(0);
}

#[test]
fn a_wait_longer_than_max_wait_stops_at_once() {
    let server = TestServer::start(|_, _| rate_limited().with_header("retry-after", "3600"));
    let env = env();
    let started = Instant::now();
    let run = openai(&env, &server, 2, &[]);
    run.expect(75);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it did not wait an hour"
    );
    run.stderr_has("openai asked to wait 1h (HTTP 429), longer than --max-wait 15m");
}

#[test]
fn an_exhausted_quota_is_not_waited_for() {
    let server = TestServer::start(|_, _| {
        Reply::status(
            429,
            &error_body(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
            ),
        )
    });
    let env = env();
    let run = openai(&env, &server, 2, &[]);
    run.expect(2);
    run.stderr_has("has no quota left (HTTP 429 insufficient_quota): check the plan and billing of OPENAI_API_KEY");
    assert!(server.count() <= 2, "{}", server.count());
}

#[test]
fn one_429_with_a_wait_holds_every_worker_not_only_its_own() {
    // Four workers start at once. The first request is refused with a
    // one-second wait, the others answer after 300 ms: the workers that
    // finish then must wait out the second too, not send at once.
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let server = TestServer::start(move |_, n| {
        seen.lock().unwrap().push(Instant::now());
        if n == 0 {
            rate_limited().with_header("retry-after", "1")
        } else {
            Reply::Delay(Duration::from_millis(300), Box::new(Reply::ok(good())))
        }
    });
    let env = env();
    let run = openai(&env, &server, 8, &["--concurrency", "4"]);
    run.expect(0);
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(
        times.len(),
        9,
        "eight conversations and the refused request"
    );
    let refused = times[0];
    let early: Vec<_> = times[1..]
        .iter()
        .map(|t| t.duration_since(refused))
        .filter(|d| *d > Duration::from_millis(100) && *d < Duration::from_millis(900))
        .collect();
    assert!(
        early.is_empty(),
        "requests sent while the server asked to wait: {early:?}"
    );
    assert_eq!(run.json()["endpoints"][0]["throttled"], 1);
}

#[test]
fn rpm_paces_from_the_first_request() {
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let server = TestServer::start(move |_, _| {
        seen.lock().unwrap().push(Instant::now());
        Reply::ok(good())
    });
    let env = env();
    let run = openai(&env, &server, 6, &["--concurrency", "6", "--rpm", "300"]);
    run.expect(0);
    let times = arrivals.lock().unwrap().clone();
    assert_eq!(times.len(), 6);
    // 300 a minute is one every 200 ms: five intervals at least.
    let span = *times.last().unwrap() - times[0];
    assert!(span >= Duration::from_millis(900), "{span:?}");
}

#[test]
fn ctrl_c_ends_a_long_wait_promptly() {
    let server = TestServer::start(|_, _| rate_limited().with_header("retry-after", "600"));
    let env = env();
    let child = spawn_until(&env, &server, &["--max-wait", "1h"], 1);
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    // SAFETY: signalling a child process we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_has(&stderr, "interrupted: 0 of 3 conversations are written");
}

/// A `convgen.toml` with two OpenAI-compatible endpoints, `a` and `b`.
fn two_endpoints(env: &Env, a: &TestServer, b: &TestServer, extra_a: &str) {
    env.write(
        "convgen.toml",
        format!(
            "[[endpoints]]\nname = \"a\"\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nkey_env = \"KEY_A\"\nmodel = \"model-a\"\n{extra_a}\n\n[[endpoints]]\nname = \"b\"\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nkey_env = \"KEY_B\"\nmodel = \"model-b\"\n",
            a.url(),
            b.url()
        ),
    );
}

const KEY_A: &str = "sk-aaaa-SECRET-1111";
const KEY_B: &str = "sk-bbbb-SECRET-2222";

/// Runs convgen with both endpoints' keys in the environment.
fn with_keys(env: &Env, args: &[&str]) -> Run {
    env.run_with(args, &[("KEY_A", KEY_A), ("KEY_B", KEY_B)])
}

fn run_two(env: &Env, total: &str) -> Run {
    with_keys(
        env,
        &[
            "generate",
            "--prompt",
            "demo",
            "--total",
            total,
            "--concurrency",
            "4",
            "--seed",
            "3",
            "--json",
        ],
    )
}

fn no_keys(env: &Env, run: &Run) {
    for key in [KEY_A, KEY_B] {
        assert!(!run.stdout.contains(key) && !run.stderr.contains(key));
        for f in env.conversation_files() {
            assert!(!std::fs::read_to_string(f).unwrap().contains(key));
        }
    }
    let registry = std::fs::read(env.data().join("registry.redb")).unwrap();
    let text = String::from_utf8_lossy(&registry);
    assert!(!text.contains(KEY_A) && !text.contains(KEY_B));
}

#[test]
fn an_endpoint_refusing_its_credentials_mid_run_is_dropped_while_the_other_finishes() {
    let a = TestServer::start(|_, n| {
        if n < 2 {
            Reply::Delay(Duration::from_millis(30), Box::new(Reply::ok(good())))
        } else {
            Reply::status(
                401,
                &error_body("Incorrect API key provided", "invalid_api_key"),
            )
        }
    });
    let b = TestServer::start(|_, _| {
        Reply::Delay(Duration::from_millis(30), Box::new(Reply::ok(good())))
    });
    let env = env();
    two_endpoints(&env, &a, &b, "");
    let run = run_two(&env, "12");
    run.expect(0);
    run.stderr_has("provider: 2 endpoint(s): a (openai, model model-a, 127.0.0.1:");
    assert!(
        run.stderr.contains("endpoint a taken out: 127.0.0.1:")
            && run.stderr.contains(
                "refused the credentials (HTTP 401): check KEY_A (key_env of endpoint `a`)"
            ),
        "{}",
        run.stderr
    );
    let v = run.json();
    assert_eq!(v["counts"]["valid"], 12);
    assert_eq!(v["provider"], "openai");
    let names: Vec<_> = v["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(v["endpoints"][0]["requests"], a.count());
    assert_eq!(v["endpoints"][1]["requests"], b.count());
    // Each conversation names the endpoint (and model) that wrote it.
    let mut by_a = 0;
    for f in env.conversation_files() {
        let conv = read_json(&f);
        match conv["generator"]["endpoint"].as_str() {
            Some("a") => {
                by_a += 1;
                assert_eq!(conv["generator"]["model"], "model-a");
            }
            Some("b") => assert_eq!(conv["generator"]["model"], "model-b"),
            other => panic!("endpoint {other:?}"),
        }
        assert_eq!(conv["status"], "valid");
    }
    assert_eq!(by_a, 2, "a wrote what it accepted before refusing");
    // Each server saw its own key only.
    for r in a.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY_A}").as_str())
        );
        assert_eq!(r.json()["model"], "model-a");
    }
    for r in b.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY_B}").as_str())
        );
    }
    no_keys(&env, &run);
    env.run(&["audit", "--all"]).expect(0);
}

#[test]
fn two_endpoints_share_the_work_by_weight_and_the_run_records_them() {
    let a = TestServer::start(|_, _| Reply::ok(good()));
    let b = TestServer::start(|_, _| Reply::ok(good()));
    let env = env();
    two_endpoints(&env, &a, &b, "weight = 3");
    let run = run_two(&env, "40");
    run.expect(0);
    // Weight 3 against 1: about three quarters of the 40 go to `a`.
    assert!(
        a.count() >= 2 * b.count() && b.count() >= 5,
        "{} / {}",
        a.count(),
        b.count()
    );
    let runs = env.run_json(&["list", "runs", "--json"]);
    let recorded = &runs[0]["config"]["endpoints"];
    assert_eq!(recorded[0]["name"], "a");
    assert_eq!(recorded[0]["key_env"], "KEY_A");
    assert_eq!(
        recorded[1]["url"],
        format!("{}/v1/chat/completions", b.url())
    );
    no_keys(&env, &run);

    // A missing key is named, with the endpoint it belongs to.
    let run = env.run_with(
        &["generate", "--prompt", "demo", "--total", "1"],
        &[("KEY_A", KEY_A)],
    );
    run.expect(2);
    run.stderr_has("endpoint `b`: its key_env KEY_B is not set in the environment");
}

#[test]
fn a_run_over_two_endpoints_resumes_on_the_endpoints_it_recorded() {
    let open = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let handler = |open: Arc<AtomicBool>, served: Arc<AtomicUsize>| {
        move |_: &crate::llm_server::Recorded, _| {
            if open.load(Ordering::SeqCst) || served.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::ok(good())
            } else {
                rate_limited().with_header("retry-after-ms", "100")
            }
        }
    };
    let a = TestServer::start(handler(open.clone(), served.clone()));
    let b = TestServer::start(handler(open.clone(), served.clone()));
    let env = env();
    two_endpoints(&env, &a, &b, "");
    let config = env.run_with(&["config"], &[("KEY_A", KEY_A)]).stdout;
    assert!(
        config.contains("endpoints.a")
            && config.contains("key from KEY_A (set)")
            && config.contains("key from KEY_B (NOT SET)"),
        "{config}"
    );
    let run = with_keys(
        &env,
        &words("generate --prompt demo --total 6 --max-wait 1s --json"),
    );
    run.expect(75);
    // The last endpoint to run out of time stops the run; the first is taken out.
    run.stderr_has("taken out");
    run.stderr_has("convgen resume run-000001");

    // The file now points elsewhere; resume goes where the run went.
    env.write(
        "convgen.toml",
        "[[endpoints]]\nname = \"elsewhere\"\nprovider = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"x\"\n",
    );
    open.store(true, Ordering::SeqCst);
    let (before_a, before_b) = (a.count(), b.count());
    let resumed = with_keys(&env, &["resume", "run-000001", "--json"]);
    resumed.expect(0);
    assert_eq!(resumed.json()["counts"]["valid"], 6);
    assert!(
        a.count() + b.count() >= before_a + before_b + 4,
        "the recorded endpoints served the rest"
    );
    // The run record sums what each endpoint did over both processes.
    let runs = env.run_json(&["list", "runs", "--json"]);
    let total: u64 = runs[0]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, a.count() + b.count());
    no_keys(&env, &resumed);
}

#[test]
fn an_endpoint_that_keeps_failing_is_taken_out_while_the_other_serves() {
    let a = TestServer::start(|_, _| Reply::status(503, &error_body("down", "server_error")));
    let b = TestServer::start(|_, _| {
        Reply::Delay(Duration::from_millis(20), Box::new(Reply::ok(good())))
    });
    let env = env();
    two_endpoints(&env, &a, &b, "");
    let run = run_two(&env, "10");
    run.expect(0);
    assert!(
        run.stderr
            .contains("endpoint a taken out: HTTP 503 from 127.0.0.1:")
            && run.stderr.contains("times in a row"),
        "{}",
        run.stderr
    );
    let v = run.json();
    assert_eq!(v["counts"]["valid"], 10);
    assert_eq!(v["endpoints"][0]["retries"], a.count());
    for f in env.conversation_files() {
        assert_eq!(read_json(&f)["generator"]["endpoint"], "b");
    }
}

#[test]
fn tpm_holds_requests_that_would_exceed_the_minute() {
    // Each request is counted as its prompt estimate plus the completion it
    // may write (1000 tokens before any reply, then the average of replies,
    // which this server keeps at 1000 too, so that when the third request is
    // costed does not matter): two fit in 2,500 a minute.
    let server = TestServer::start(|_, _| {
        Reply::ok(completion(
            &conversation_json(&["agent", "client"], 6),
            "stop",
            120,
            1000,
        ))
    });
    let env = env();
    let child = spawn_until(&env, &server, &["--concurrency", "3", "--tpm", "2500"], 2);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.count(), 2, "the third waits for the minute to pass");
    // SAFETY: signalling a child process we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    // The two conversations made are kept for `resume`.
    assert_eq!(env.conversation_files().len(), 2);
}

/// Starts `generate --prompt demo --total 3 EXTRA` against `server` in the
/// background, and waits until the server has seen `requests` requests.
fn spawn_until(
    env: &Env,
    server: &TestServer,
    extra: &[&str],
    requests: usize,
) -> std::process::Child {
    let mut args = vec!["generate", "--prompt", "demo", "--total", "3"];
    args.extend_from_slice(extra);
    let child = env
        .command(&args)
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
        .env("OPENAI_API_KEY", KEY)
        .env("CONVGEN_MODEL", "m")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.count() < requests && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}
