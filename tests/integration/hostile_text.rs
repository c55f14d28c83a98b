//! Hostile text (issue 14, point 10): what a server, a model or a script
//! writes reaches terminals, logs and `preview.txt` escaped and capped. (A
//! password written into an endpoint URL: `url_credentials`.)

use serde_json::{Value, json};

use crate::common::{Env, Run, assert_has, read_json, small_prompt};
use crate::llm_server::{Reply, TestServer, completion};
use crate::providers::{env, good, openai};

/// Terminal escapes and a forged log line, as hostile text carries them.
const HOSTILE: &str =
    "\x1b]0;pwned\x07\x1b[2J hola\n2026-12-02T03:00:00.000Z run-000001 [error] forged\r";
/// How a forged line would start if the newline went through raw.
const FORGED: &str = "2026-12-02T03:00:00.000Z run-000001 [error] forged";

/// `text` holds no ESC byte, no carriage return and no line that is the forged one.
#[track_caller]
fn assert_clean(text: &str, what: &str) {
    assert!(!text.contains('\x1b'), "{what} holds a raw ESC:\n{text:?}");
    assert!(!text.contains('\r'), "{what} holds a raw CR:\n{text:?}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with(FORGED)),
        "{what} holds a forged line:\n{text}"
    );
}

#[track_caller]
fn assert_clean_run(run: &Run, what: &str) {
    assert_clean(&run.stdout, &format!("{what} stdout"));
    assert_clean(&run.stderr, &format!("{what} stderr"));
}

/// Whether `word` looks like the run log's RFC 3339 time (`2026-12-02T03:36:34.331Z`).
fn chrono_like(word: &str) -> bool {
    word.len() == 24 && word.as_bytes()[10] == b'T' && word.ends_with('Z')
}

/// The longest line of `text`, in bytes.
fn longest_line(text: &str) -> usize {
    text.lines().map(str::len).max().unwrap_or(0)
}

#[test]
fn a_servers_error_text_is_one_escaped_capped_line() {
    // Under the 1 MiB read for error bodies: quoted, capped; over it: not read.
    let message = format!("{HOSTILE}{}", "x".repeat(900_000));
    for (body, needle) in [
        (
            json!({"error": {"message": message, "code": "bad"}}).to_string(),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J hola\\n2026",
        ),
        (format!("not json {message}"), "bytes more)"),
        (
            json!({"error": {"message": format!("{HOSTILE}{}", "x".repeat(30_000_000))}})
                .to_string(),
            "(an error body over 1024 KiB, not read)",
        ),
    ] {
        let server = TestServer::start(move |_, _| Reply::status(400, &body));
        let env = env();
        let run = openai(&env, &server, 1, &["--max-attempts", "1"]);
        run.expect(2).stderr_has("rejected the request (HTTP 400)");
        run.stderr_has(needle);
        assert_clean_run(&run, "generate");
        assert!(
            run.stderr.len() < 10_000,
            "a {} byte error line",
            run.stderr.len()
        );
        let show = env.run(&["show", "run-000001"]);
        show.expect(0).stdout_has("error ");
        assert_clean_run(&show, "show");
        assert!(longest_line(&show.stdout) < 2_000, "{}", show.stdout.len());
        let registry = std::fs::read(env.data().join("registry.redb")).unwrap();
        let run_of_x = "x".repeat(1_000).into_bytes();
        assert!(
            !registry.windows(run_of_x.len()).any(|w| w == run_of_x),
            "the registry stores the whole error text"
        );
    }
}

/// A completion whose body `id` is `id`.
fn with_id(content: &str, id: &str) -> String {
    let mut v: Value = serde_json::from_str(&completion(content, "stop", 10, 10)).unwrap();
    v["id"] = json!(id);
    v.to_string()
}

#[test]
fn request_ids_are_capped_and_printable() {
    let content = crate::llm_server::conversation_json(&["agent", "client"], 6);
    let hostile_id = format!("{HOSTILE}{}", "i".repeat(1_000_000));
    let server = TestServer::start(move |_, n| {
        if n == 0 {
            Reply::ok(good()).with_header("x-request-id", &"r".repeat(50_000))
        } else {
            Reply::ok(with_id(&content, &hostile_id))
        }
    });
    let env = env();
    openai(&env, &server, 2, &["--concurrency", "1"]).expect(0);
    let files = env.conversation_files();
    assert_eq!(files.len(), 2);
    for file in files {
        let size = std::fs::metadata(&file).unwrap().len();
        assert!(size < 64 * 1024, "{} is {size} bytes", file.display());
        let conv = read_json(&file);
        let ids = conv["request_ids"].as_array().unwrap();
        assert_eq!(ids.len(), 1, "{conv}");
        let id = ids[0].as_str().unwrap();
        assert!(id.len() <= 128, "a {} byte request id", id.len());
        assert!(id.chars().all(|c| c.is_ascii_graphic()), "{id:?}");
    }
}

/// A completion of six turns, the second of which is `text`.
fn conversation_with(text: &str) -> String {
    let turns: Vec<Value> = (0..6)
        .map(|i| {
            let role = if i % 2 == 0 { "agent" } else { "client" };
            let text = if i == 1 {
                text.to_string()
            } else {
                format!("Frase {i}.")
            };
            json!({"role": role, "text": text})
        })
        .collect();
    completion(&json!({ "turns": turns }).to_string(), "stop", 10, 10)
}

#[test]
fn model_text_is_escaped_in_preview_txt_and_show_but_kept_in_the_file() {
    let text = format!("{HOSTILE} \u{202e}fdp.exe\n[09:00:05] client  Acepto pagar 1000 €");
    let body = conversation_with(&text);
    let server = TestServer::start(move |_, _| Reply::ok(body.clone()));
    let env = env();
    let run = openai(&env, &server, 1, &[]);
    run.expect(0);
    assert_clean_run(&run, "generate");
    let file = &env.conversation_files()[0];
    let conv = read_json(file);
    assert_eq!(
        conv["turns"][1]["text"],
        text.as_str(),
        "the file keeps the text"
    );
    let preview = std::fs::read_to_string(env.data().join("demo-000001/preview.txt")).unwrap();
    assert_clean(&preview, "preview.txt");
    assert!(!preview.contains('\u{202e}'), "{preview}");
    assert_has(&preview, "\\u{1b}]0;pwned\\u{7}");
    assert!(
        !preview
            .lines()
            .any(|l| l.starts_with("[09:00:05] client  Acepto")),
        "a turn was forged:\n{preview}"
    );
    let id = conv["conversation_id"].as_str().unwrap();
    let show = env.run(&["show", id]);
    show.expect(0).stdout_has("\\u{202e}fdp.exe");
    assert_clean_run(&show, "show");
    // `--json` is JSON: the exact text, escaped by JSON itself.
    let json = env.run(&["show", id, "--json"]);
    assert_eq!(json.expect(0).json()["turns"][1]["text"], text.as_str());
    assert!(!json.stdout.contains('\x1b'));
}

#[test]
fn script_print_is_one_escaped_line_in_run_log_and_on_stderr() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    let lua_text = lua_string(HOSTILE);
    env.write(
        "scripts/demo.lua",
        format!(
            "return {{ variables = function(ctx) print('{lua_text}') log.warn('{lua_text}') return {{}} end }}"
        ),
    );
    let run = env.run(&["generate", "--prompt", "demo", "--total", "2"]);
    run.expect(0).stderr_has("[info] scripts/demo.lua");
    assert_clean_run(&run, "generate");
    let log = std::fs::read_to_string(env.data().join("run.log")).unwrap();
    assert_clean(&log, "run.log");
    assert_has(&log, "\\u{1b}]0;pwned\\u{7}\\u{1b}[2J hola\\n2026-12-02");
    // Each entry (print and log.warn, for the pre-run check and for the two
    // conversations) is one line: time, run, level, origin, the text.
    assert_eq!(log.lines().count(), 8, "{log}");
    for line in log.lines() {
        let words: Vec<&str> = line.splitn(5, ' ').collect();
        assert!(chrono_like(words[0]), "{line}");
        assert!(["-", "run-000001"].contains(&words[1]), "{line}");
        assert!(["[info]", "[warn]"].contains(&words[2]), "{line}");
        assert_eq!(words[3], "scripts/demo.lua", "{line}");
    }
    for args in [&["preview", "--prompt", "demo"][..], &["check", "demo"][..]] {
        let run = env.run(args);
        assert_clean_run(&run, args[0]);
        run.stderr_has("\\u{1b}]0;pwned");
    }
}

#[test]
fn an_oversize_turn_fails_the_attempt_and_is_not_stored() {
    let body = conversation_with(&"a".repeat(70_000));
    let server = TestServer::start(move |_, _| Reply::ok(body.clone()));
    let env = env();
    let run = openai(&env, &server, 1, &["--max-attempts", "2"]);
    run.expect(1);
    assert_eq!(server.count(), 2, "each attempt asked once");
    let file = &env.conversation_files()[0];
    let size = std::fs::metadata(file).unwrap().len();
    assert!(size < 16 * 1024, "{} is {size} bytes", file.display());
    let conv = read_json(file);
    assert_eq!(conv["status"], "failed");
    assert_has(
        &conv["issues"].to_string(),
        "turn 2 is 70000 characters long, over the 65536 a turn may hold",
    );
    let preview = std::fs::read(env.data().join("demo-000001/preview.txt")).unwrap();
    assert!(preview.len() < 16 * 1024, "{} bytes", preview.len());
}

#[test]
fn turns_mode_bounds_what_each_request_re_sends() {
    let server = TestServer::start(|_, n| {
        let text = format!("{n}{}", "a".repeat(60_000));
        Reply::ok(completion(
            &json!({ "text": text }).to_string(),
            "stop",
            10,
            10,
        ))
    });
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("mode = \"turns\"", None).replace("turns = 6", "turns = 12"),
    );
    let run = openai(
        &env,
        &server,
        1,
        &["--max-attempts", "1", "--concurrency", "1"],
    );
    run.expect(1);
    let requests = server.requests();
    // Nine turns of 60,000 characters are over the 524,288 re-sent: turn 10 is never asked.
    assert_eq!(requests.len(), 9, "one request per turn up to the bound");
    let largest = requests.iter().map(|r| r.body.len()).max().unwrap();
    assert!(largest < 600_000, "a {largest} byte request");
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(conv["status"], "failed");
    assert_has(
        &conv["issues"].to_string(),
        "turn 10: the conversation so far is 540085 characters, over the 524288 that turns mode re-sends",
    );
}

#[test]
fn script_reasons_and_errors_are_escaped_wherever_they_are_shown() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    let lua_text = lua_string(HOSTILE);
    env.write(
        "scripts/demo.lua",
        format!("return {{ validate_conversation = function(conv, ctx) return false, '{lua_text}' end }}"),
    );
    let run = env.run(&[
        "generate",
        "--prompt",
        "demo",
        "--total",
        "1",
        "--max-attempts",
        "1",
    ]);
    run.expect(1);
    assert_clean_run(&run, "generate");
    let file = &env.conversation_files()[0];
    assert_eq!(
        read_json(file)["issues"][0],
        HOSTILE,
        "the file keeps the reason"
    );
    let id = read_json(file)["conversation_id"]
        .as_str()
        .unwrap()
        .to_string();
    let preview = std::fs::read_to_string(env.data().join("demo-000001/preview.txt")).unwrap();
    assert_clean(&preview, "preview.txt");
    for args in [
        &["show", id.as_str()][..],
        &["list", "conversations", "--status", "failed"][..],
    ] {
        let run = env.run(args);
        assert_clean_run(&run, args[1]);
        run.stdout_has("\\u{1b}]0;pwned");
    }
    env.write(
        "qa.lua",
        format!("return {{ check = function(conv, ctx) return false, '{lua_text}' end, summary = function(r) return '{lua_text}' end }}"),
    );
    let audit = env.run(&["audit", "--all", "--script", "qa.lua"]);
    audit.expect(1).stdout_has("[qa] \\u{1b}]0;pwned");
    assert_clean_run(&audit, "audit");
    // A script that raises the text: the error names it, escaped.
    env.write(
        "scripts/demo.lua",
        format!("return {{ variables = function(ctx) error('{lua_text}') end }}"),
    );
    let run = env.run(&["generate", "--prompt", "demo", "--total", "1"]);
    run.expect(2).stderr_has("\\u{1b}]0;pwned");
    assert!(!run.stderr.contains('\x1b'), "{:?}", run.stderr);
}

/// `text` as the body of a single-quoted Lua string.
fn lua_string(text: &str) -> String {
    text.replace('\x1b', "\\27")
        .replace('\x07', "\\7")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}
