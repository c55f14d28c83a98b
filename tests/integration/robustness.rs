//! Input that must not panic or cost money: absurd server waits, replies cut
//! off mid-body, numeric settings out of any range.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Run, read_json};
use crate::llm_server::{Reply, TestServer, error_body};
use crate::providers::{env, good, openai};

/// A server speaking raw HTTP/1.1: the first reply is a 200 whose body stops
/// after a few bytes of the length it announced; later ones are whole.
fn truncating_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let n = seen.fetch_add(1, Ordering::SeqCst);
                    let reply = good();
                    if n == 0 {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                            reply.len(),
                            &reply[..20]
                        );
                        return; // close mid-body
                    }
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                }
            });
        }
    });
    (url, count)
}

#[test]
fn a_reply_cut_off_mid_body_is_retried_not_regenerated() {
    let (url, count) = truncating_server();
    let env = env();
    let run = env.run_against(
        &format!("{url}/v1"),
        &[
            "generate", "--prompt", "demo", "--total", "1", "--seed", "5", "--json",
        ],
        &[],
    );
    run.expect(0);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    let v = run.json();
    assert_eq!(v["endpoints"][0]["retries"], 1, "{v}");
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["attempts"], 1, "a paid regeneration was spent: {conv}");
    assert_eq!(conv["status"], "valid");
}

#[test]
fn an_absurd_retry_after_stops_the_run_resumable_without_a_panic() {
    let server = TestServer::start(|_, _| {
        Reply::status(429, &error_body("slow down", "rate_limit_exceeded"))
            .with_header("retry-after", "1e20")
    });
    let env = env();
    let run = openai(&env, &server, 2, &["--max-wait", "2"]);
    run.expect(75);
    run.stderr_lacks("panicked");
    run.stderr_has("convgen resume run-000001");
    assert!(server.count() >= 1);
}

/// One mock conversation of the demo prompt.
const ONE: &[&str] = &[
    "generate", "--prompt", "demo", "--total", "1", "--seed", "1",
];

/// Asserts the run finished or refused (exit 0 or 2), naming `what` it was given.
#[track_caller]
fn ran_or_refused(run: &Run, what: &str) {
    assert!(
        run.code == 0 || run.code == 2,
        "{what}: exit {}\n{}",
        run.code,
        run.stderr
    );
}

#[test]
fn out_of_range_numeric_settings_never_panic() {
    let env = env();
    for value in ["1e300", "1e19", "-1", "NaN", "inf", "18446744073709551616"] {
        let run = env.run_with(ONE, &[("CONVGEN_LOCK_TIMEOUT", value)]);
        ran_or_refused(&run, &format!("CONVGEN_LOCK_TIMEOUT={value}"));
        run.stderr_lacks("panicked");
    }
}

#[test]
fn extreme_numbers_in_every_numeric_setting_and_flag_never_panic() {
    let env = env();
    let values = [
        "0",
        "-1",
        "1e300",
        "1e19",
        "18446744073709551616",
        "3.5",
        "\"NaN\"",
        "\"inf\"",
    ];
    // Every setting of convgen.toml but the words and paths: a numeric
    // setting added later is covered without touching this test.
    let numeric = convgen::settings::SETTINGS
        .iter()
        .filter(|k| !["provider", "model"].contains(k) && !k.ends_with("_dir"));
    for key in numeric {
        for value in values {
            env.write("convgen.toml", format!("{key} = {value}\n"));
            let run = env.run(ONE);
            ran_or_refused(&run, &format!("convgen.toml {key} = {value}"));
            run.stderr_lacks("panicked");
        }
    }
    std::fs::remove_file(env.path().join("convgen.toml")).unwrap();
    for flag in ["--timeout", "--max-wait", "--rpm", "--tpm", "--concurrency"] {
        for value in ["1e300", "nan", "-0", "1e-300", "99999999999999999999"] {
            let run = env.run(&[ONE, &[flag, value]].concat());
            ran_or_refused(&run, &format!("{flag} {value}"));
        }
    }
    for value in ["1e300", "-3", "x", "99999999999999999999999"] {
        let code = env
            .run_with(ONE, &[("CONVGEN_FAIL_AFTER_WRITES", value)])
            .code;
        assert!(
            code == 0 || code == 2,
            "CONVGEN_FAIL_AFTER_WRITES={value}: {code}"
        );
    }
}
