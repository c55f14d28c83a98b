//! Every command convgen prints for the user to run works when pasted into a
//! shell as it is, whichever way the data dir was given (issue 12).

use crate::common::{Env, Run};
use crate::llm_server::{Reply, TestServer, error_body};
use crate::providers::good;

/// Fails every second conversation, so that a run prints the command that lists failures.
const HALF_FAIL: &str = r#"
local M = {}
function M.validate_conversation(conv, ctx)
  if ctx.index % 2 == 0 then return false, "even call" end
  return true
end
return M
"#;

/// The commands a message offers: in backticks, or running to the end of
/// the line after `next:`, `with:` or an indent.
fn printed_commands(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in stderr.lines() {
        let mut rest = line;
        let mut quoted = false;
        while let Some(at) = rest.find("`convgen ") {
            let tail = &rest[at + 1..];
            let end = tail.find('`').unwrap_or(tail.len());
            out.push(tail[..end].to_string());
            rest = &tail[end..];
            quoted = true;
        }
        if quoted {
            continue;
        }
        for lead in ["next: convgen ", "with: convgen ", "      convgen "] {
            if let Some(at) = line.find(lead) {
                out.push(line[at + lead.len() - "convgen ".len()..].to_string());
            }
        }
    }
    out
}

/// A working dir whose default `batches/` holds another run with the same ids.
fn project() -> Env {
    let env = Env::with_demo_prompt();
    env.write("scripts/demo.lua", HALF_FAIL);
    env.run(&[
        "generate", "--prompt", "demo", "--total", "3", "--seed", "99", "--quiet",
    ])
    .expect(1);
    env
}

/// Runs a pasted command and the same one with the data dir given explicitly;
/// both must show the same object, and not the one in `batches/`.
fn same_object(env: &Env, pasted: &str, dir: &str) {
    assert!(
        pasted.contains("--data-dir"),
        "`{pasted}` leaves out the data dir"
    );
    let got = env.shell(pasted);
    // What the command names, read from the right data dir by hand.
    let args: Vec<String> = shlex_split(pasted);
    let data_dir_at = args.iter().position(|a| a == "--data-dir").unwrap();
    let mut bare: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    bare.drain(data_dir_at - 1..=data_dir_at);
    let mut explicit = vec!["--data-dir", dir];
    explicit.extend(&bare);
    let want = env.run(&explicit);
    let other = env.run(&bare);
    assert_eq!(
        (got.code, &got.stdout),
        (want.code, &want.stdout),
        "`{pasted}` pasted:\n{}\nstderr: {}",
        got.stdout,
        got.stderr
    );
    assert_ne!(
        got.stdout, other.stdout,
        "`{pasted}`: the default data dir shows the same, so the test proves nothing"
    );
}

/// Words of a command as sh reads them (enough for the quoting convgen prints).
fn shlex_split(cmd: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("for w in {cmd}; do printf '%s\\0' \"$w\"; done"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn check_run(env: &Env, run: &Run, dir: &str) {
    run.expect(1);
    let commands = printed_commands(&run.stderr);
    for want in [
        "show demo-000001",
        "audit --run run-000001",
        "list conversations",
    ] {
        assert!(
            commands.iter().any(|c| c.contains(want)),
            "no `{want}` among {commands:?}:\n{}",
            run.stderr
        );
    }
    for c in &commands {
        same_object(env, c, dir);
    }
    // Error hints name the dir too.
    let missing = env.run(&["--data-dir", dir, "audit", "--run", "run-000009"]);
    missing.expect(2);
    let hints = printed_commands(&missing.stderr);
    assert_eq!(hints.len(), 1, "{}", missing.stderr);
    same_object(env, &hints[0], dir);
}

/// The run whose printed commands are pasted (two batches of two).
const GENERATE: &[&str] = &[
    "generate",
    "--prompt",
    "demo",
    "--total",
    "4",
    "--batch-size",
    "2",
    "--seed",
    "5",
];

#[test]
fn issue12_printed_commands_work_pasted_with_data_dir_before_the_subcommand() {
    let env = project();
    let dir = "my data/a";
    let run = env.run(&[&["--data-dir", dir], GENERATE].concat());
    check_run(&env, &run, dir);
}

#[test]
fn issue12_printed_commands_work_pasted_with_data_dir_after_the_subcommand() {
    let env = project();
    let dir = "my data/b";
    let run = env.run(&[GENERATE, &["--data-dir", dir]].concat());
    check_run(&env, &run, dir);
}

#[test]
fn issue12_printed_commands_work_pasted_with_the_data_dir_in_the_environment() {
    let env = project();
    let dir = "my data/c";
    let run = env.run_with(GENERATE, &[("CONVGEN_DATA_DIR", dir)]);
    check_run(&env, &run, dir);
}

#[test]
fn issue12_the_resume_command_of_an_interrupted_run_works_pasted() {
    // A private server that fails the first three requests: with two retries
    // the run stops resumable (exit 75) and prints its resume command.
    let server = TestServer::start(|_, n| {
        if n < 3 {
            Reply::status(503, &error_body("down", "server_error"))
                .with_header("retry-after-ms", "10")
        } else {
            Reply::ok(good())
        }
    });
    let env = project();
    let dir = "my data/d";
    let stopped = env.run_with(
        &[GENERATE, &["--max-retries", "2", "--concurrency", "1"]].concat(),
        &[
            ("CONVGEN_DATA_DIR", dir),
            ("OPENAI_BASE_URL", &server.base_url()),
            ("CONVGEN_MODEL", "m"),
        ],
    );
    stopped.expect(75);
    let commands = printed_commands(&stopped.stderr);
    assert_eq!(commands.len(), 1, "{}", stopped.stderr);
    assert_eq!(
        commands[0],
        "convgen --data-dir 'my data/d' resume run-000001"
    );
    // Pasted into a shell without the data dir or the server in the
    // environment, it finishes the run against the server it was made with.
    let resumed = env.shell(&commands[0]);
    resumed.expect(1);
    // Two valid conversations (one request each) and two that the script
    // fails (three attempts each), after the three refused requests.
    assert_eq!(server.count(), 3 + 2 + 2 * 3, "{}", resumed.stderr);
    let runs = env.run_json(&["--data-dir", dir, "list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "complete", "{}", resumed.stderr);
    assert_eq!(runs[0]["counts"]["requested"], 4);
    // The run in batches/ is untouched.
    let default = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(default[0]["counts"]["requested"], 3);
}

#[test]
fn issue12_list_and_show_refuse_a_data_dir_that_is_missing_or_a_file() {
    let env = project();
    env.write("afile", "not a dir");
    for (dir, why) in [
        ("nowhere", "does not exist"),
        ("afile", "is not a directory"),
    ] {
        for args in [
            &["list", "runs"][..],
            &["list", "conversations"][..],
            &["show", "demo-000001-0001"][..],
            &["audit", "--all"][..],
        ] {
            let mut argv = vec!["--data-dir", dir];
            argv.extend(args);
            let run = env.run(&argv);
            run.expect(2);
            assert!(
                run.stderr.contains(&format!("data dir {dir} {why}"))
                    && run.stderr.contains("--data-dir")
                    && run.stderr.contains("CONVGEN_DATA_DIR"),
                "{argv:?}: {}",
                run.stderr
            );
            assert!(run.stdout.is_empty(), "{argv:?}: {}", run.stdout);
        }
    }
    // An existing dir without a registry yet lists empty.
    std::fs::create_dir(env.path().join("fresh")).unwrap();
    env.run(&["--data-dir", "fresh", "list", "runs"]).expect(0);
}
