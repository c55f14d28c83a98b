//! Interrupted runs: Ctrl-C and kill -9 leave whole files, and `resume`
//! finishes the run exactly as an uninterrupted one would have.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{Env, assert_has, read_json, without_created_at, words};

const TOTAL: &str = "2000";

fn args() -> Vec<&'static str> {
    vec![
        "generate",
        "--prompt",
        "call_center_es",
        "--total",
        TOTAL,
        "--batch-size",
        "100",
        "--seed",
        "21",
        "--start",
        "2026-03-02T09:00:00Z",
        "--quiet",
    ]
}

/// Every conversation file by name, without `created_at`.
fn snapshot(env: &Env) -> BTreeMap<String, String> {
    env.conversation_files()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                without_created_at(p),
            )
        })
        .collect()
}

fn reference() -> BTreeMap<String, String> {
    let env = Env::with_shipped_prompts();
    env.run(&args()).expect(0);
    snapshot(&env)
}

/// Starts a run, lets it work for `delay`, then sends `signal`; returns its exit code.
fn interrupt(env: &Env, batches: usize, signal: i32) -> Option<i32> {
    let mut child = env
        .command(&args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_batches(env, &mut child, batches);
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if signal == libc::SIGINT && out.status.code() == Some(130) {
        assert_has(&stderr, "convgen resume run-000001");
    }
    out.status.code()
}

/// Waits until `batches` batches are complete on disk (or the run ended):
/// progress, not a clock, decides when a test interrupts, so a faster
/// build or machine still interrupts mid-run.
fn wait_for_batches(env: &Env, child: &mut std::process::Child, batches: usize) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        let done = std::fs::read_dir(env.data())
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter(|e| e.path().join("batch.json").exists())
                    .count()
            })
            .unwrap_or(0);
        if done >= batches {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The run stopped before its end: listed with `status`, fewer than all
/// its conversations on disk.
fn assert_cut_short(env: &Env, status: &str) {
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], status, "{}", runs[0]);
    let written = runs[0]["written"].as_u64().unwrap();
    let total: u64 = TOTAL.parse().unwrap();
    assert!(
        written < total,
        "{written} of {total} written: not cut short"
    );
    assert!(env.conversation_files().len() < total as usize);
}

fn assert_whole(env: &Env) {
    for f in env.conversation_files() {
        read_json(&f);
    }
    for entry in std::fs::read_dir(env.data()).unwrap() {
        let batch = entry.unwrap().path().join("batch.json");
        if batch.exists() {
            read_json(&batch);
        }
    }
}

#[test]
fn ctrl_c_then_resume_equals_an_uninterrupted_run() {
    let expected = reference();
    let env = Env::with_shipped_prompts();
    let code = interrupt(&env, 3, libc::SIGINT);
    assert_eq!(code, Some(130), "the run was not cut short by Ctrl-C");
    assert_whole(&env);
    assert_cut_short(&env, "interrupted");
    env.run(&["audit", "--all"]).expect(0);
    let resumed = env.run(&["resume", "run-000001", "--json"]);
    resumed.expect(0);
    assert_eq!(snapshot(&env), expected);
    env.run(&["audit", "--all"]).expect(0);
    env.run(&["resume", "run-000001"])
        .expect(0)
        .stderr_has("is complete: nothing to resume");
}

#[test]
fn kill_9_at_many_points_then_resume_converges() {
    let expected = reference();
    let trials: u64 = std::env::var("CONVGEN_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let started = Instant::now();
    for t in 0..trials {
        let env = Env::with_shipped_prompts();
        let batches = 1 + 4 * t as usize;
        let code = interrupt(&env, batches, libc::SIGKILL);
        assert_eq!(
            code, None,
            "trial {t}: the run ended before kill -9 reached it"
        );
        assert_whole(&env);
        assert_cut_short(&env, "interrupted");
        // Whatever is registered is whole: audit finds nothing wrong.
        env.run(&["audit", "--all"]).expect(0);
        let resumed = env.run(&["resume", "run-000001"]);
        resumed.expect(0);
        assert_eq!(
            snapshot(&env),
            expected,
            "trial {t} (kill after {batches} batches)"
        );
        env.run(&["audit", "--all"]).expect(0);
        let runs = env.run_json(&["list", "runs", "--json"]);
        assert_eq!(runs[0]["status"], "complete");
        assert_eq!(runs[0]["counts"]["valid"], 2000);
    }
    eprintln!("{trials} kill -9 trials in {:?}", started.elapsed());
}

#[test]
fn resume_refuses_a_running_run_and_changed_inputs() {
    let env = Env::with_shipped_prompts();
    interrupt(&env, 2, libc::SIGKILL);
    // Another process holds the run.
    let lock_path = env.data().join("locks/run-000001.lock");
    let mut lock = fslock::LockFile::open(&lock_path).unwrap();
    lock.lock().unwrap();
    env.run(&["resume", "run-000001"])
        .expect(2)
        .stderr_has("being worked on by another convgen process");
    lock.unlock().unwrap();
    // The prompt changed since.
    let prompt = env.path().join("prompts/call_center_es.md");
    let text = std::fs::read_to_string(&prompt).unwrap();
    std::fs::write(&prompt, format!("{text}\n<!-- edited -->\n")).unwrap();
    let changed = env.run(&["resume", "run-000001"]);
    changed.expect(2);
    changed.stderr_has("changed since run-000001 started");
    env.run(&["resume", "run-000001", "--allow-changed"])
        .expect(0);
    env.run(&["audit", "--all"]).expect(0);
    let unknown = env.run(&["resume", "run-999999"]);
    unknown.expect(2);
}

#[test]
fn resume_does_not_trust_a_broken_conversation_file_left_in_a_pending_batch() {
    let reference_env = Env::with_shipped_prompts();
    reference_env.run(&args()).expect(0);
    let expected = snapshot(&reference_env);
    let env = Env::with_shipped_prompts();
    interrupt(&env, 2, libc::SIGKILL);
    let pending = env.run_json(&["list", "batches", "--status", "pending", "--json"]);
    let last = pending
        .as_array()
        .unwrap()
        .last()
        .expect("a pending batch")
        .clone();
    let batch_id = last["batch_id"].as_str().unwrap();
    let dir = env.data().join(batch_id).join("conversations");
    std::fs::create_dir_all(&dir).unwrap();
    // A whole, genuine file is kept; a hand-broken one is made again.
    let good_id = format!("{batch_id}-0002");
    let bad_id = format!("{batch_id}-0001");
    let source = |id: &str| {
        reference_env
            .data()
            .join(batch_id)
            .join("conversations")
            .join(format!("{id}.json"))
    };
    std::fs::copy(source(&good_id), dir.join(format!("{good_id}.json"))).unwrap();
    let mut broken = read_json(&source(&bad_id));
    broken["turns"][1]["role"] = "agent".into();
    std::fs::write(
        dir.join(format!("{bad_id}.json")),
        serde_json::to_vec_pretty(&broken).unwrap(),
    )
    .unwrap();
    env.run(&["resume", "run-000001"]).expect(0);
    assert_eq!(snapshot(&env), expected);
    env.run(&["audit", "--all"]).expect(0);
}

/// Crashes a 300-conversation run after its N-th file operation, for many N;
/// each time what is registered is whole, and resume converges to the
/// uninterrupted result.
#[test]
fn every_crash_point_is_either_unregistered_or_complete_and_resume_converges() {
    let small = |env: &Env, extra: Option<u64>| {
        let mut cmd = env.command(&words("generate --prompt call_center_es --total 300 --batch-size 100 --seed 8 --start 2026-03-02T09:00:00Z --quiet --concurrency 4"));
        if let Some(n) = extra {
            cmd.env("CONVGEN_FAIL_AFTER_WRITES", n.to_string());
        }
        cmd.output().unwrap()
    };
    let reference_env = Env::with_shipped_prompts();
    assert!(small(&reference_env, None).status.success());
    let expected = snapshot(&reference_env);
    // About 300 staged files, 300 renames and 3 × 2 batch files, 2 operations each.
    let mut points: Vec<u64> = vec![
        1, 2, 99, 100, 101, 299, 300, 301, 302, 303, 304, 400, 599, 600, 601, 602, 605,
    ];
    let mut x: u64 = 0x9E37_79B9;
    for _ in 0..std::env::var("CONVGEN_CRASH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        points.push(1 + x % 600);
    }
    for n in points {
        let env = Env::with_shipped_prompts();
        let out = small(&env, Some(n));
        assert!(!out.status.success(), "crash point {n} was never reached");
        // Every file that has its final name parses; whatever is registered audits clean.
        for f in env.conversation_files() {
            read_json(&f);
        }
        let audit = env.run(&["audit", "--all"]);
        assert_eq!(
            audit.code, 0,
            "crash point {n}: {}{}",
            audit.stdout, audit.stderr
        );
        env.run(&["resume", "run-000001"]).expect(0);
        assert_eq!(snapshot(&env), expected, "crash point {n}");
        env.run(&["audit", "--all"]).expect(0);
    }
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_leaves_whole_files() {
    let env = Env::with_shipped_prompts();
    let mut child = env
        .command(&args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_batches(&env, &mut child, 2);
    let pid = child.id() as i32;
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(pid, libc::SIGINT);
        libc::kill(pid, libc::SIGINT);
    }
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_whole(&env);
    env.run(&["audit", "--all"]).expect(0);
    env.run(&["resume", "run-000001"]).expect(0);
    env.run(&["audit", "--all"]).expect(0);
}

/// Issue 12: a run killed with `kill -9` was listed `running … VALID 0`
/// forever. Its lock is free once its process is gone: it is interrupted,
/// with the conversations on disk and the command that finishes it.
#[test]
fn issue12_a_killed_run_is_listed_interrupted_with_what_is_on_disk() {
    use crate::common::Run;
    use crate::llm_server::{Reply, TestServer};
    use crate::providers::{KEY, good};
    let server = TestServer::start(|_, _| {
        Reply::Delay(Duration::from_millis(150), Box::new(Reply::ok(good())))
    });
    let env = crate::providers::env();
    let with_server = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("OPENAI_BASE_URL", format!("{}/v1", server.url()))
            .env("OPENAI_API_KEY", KEY)
            .env("CONVGEN_MODEL", "test-model");
        cmd
    };
    let mut child = with_server(&words(
        "generate --prompt demo --total 8 --batch-size 2 --seed 4 --concurrency 1 --quiet",
    ))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    wait_for_batches(&env, &mut child, 2);
    // While it works, it is running.
    let live = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(live[0]["status"], "running");
    assert!(live[0].get("resume").is_none());
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();
    let on_disk = env.conversation_files().len();
    assert!((4..8).contains(&on_disk), "{on_disk} conversations on disk");

    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "interrupted");
    assert_eq!(runs[0]["written"], on_disk);
    assert_eq!(runs[0]["resume"], "convgen resume run-000001");
    assert!(runs[0]["counts"]["valid"].as_u64().unwrap() >= 2);
    let table = env.run(&["list", "runs"]).expect(0).stdout.clone();
    let row = table.lines().nth(1).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[0], "run-000001");
    assert_eq!(cells[1], "interrupted", "{table}");
    assert!(table.lines().next().unwrap().contains("WRITTEN"), "{table}");
    assert_eq!(cells[6], on_disk.to_string(), "{table}");
    // The status filter agrees, and so does every later look.
    let running = env.run(&["list", "runs", "--status", "running", "--json"]);
    assert_eq!(running.expect(0).json().as_array().unwrap().len(), 0);
    let interrupted = env.run(&["list", "runs", "--status", "interrupted", "--json"]);
    assert_eq!(interrupted.expect(0).json().as_array().unwrap().len(), 1);
    let show = env.run(&["show", "run-000001"]).expect(0).stdout.clone();
    assert!(show.starts_with("run run-000001 · interrupted"), "{show}");
    assert_has(
        &show,
        &format!("written     {on_disk} of 8 conversations on disk"),
    );
    assert_has(&show, "resume      convgen resume run-000001\n");
    assert_has(&show, "ended without recording an outcome");
    // Elsewhere, the command names the data dir.
    std::fs::rename(env.data(), env.path().join("kept")).unwrap();
    let elsewhere = env.run(&["show", "run-000001", "--data-dir", "kept", "--json"]);
    assert_eq!(
        elsewhere.expect(0).json()["resume"],
        "convgen --data-dir kept resume run-000001"
    );
    std::fs::rename(env.path().join("kept"), env.data()).unwrap();

    let before = server.count();
    let resumed = Run::from(
        with_server(&["resume", "run-000001", "--json"])
            .output()
            .unwrap(),
    );
    resumed.expect(0);
    assert_eq!(resumed.json()["counts"]["valid"], 8);
    assert_eq!(
        server.count() - before,
        8 - on_disk,
        "only the missing ones were made"
    );
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "complete");
    assert_eq!(runs[0]["written"], 8);
    env.run(&["audit", "--all"]).expect(0);
}

/// Issue 12: after fixing the script that failed a run, `resume
/// --allow-changed` ran the recorded (broken) version again. It now uses
/// the files as they are, records the new versions on the batches it
/// writes, and the run keeps both.
#[test]
fn issue12_allow_changed_finishes_a_run_with_the_fixed_script() {
    use crate::common::small_prompt;
    let env = Env::with_demo_prompt();
    let broken = "local M = {}\nfunction M.validate_conversation(conv, ctx)\n  if ctx.index == 5 then error('boom at five') end\n  return true\nend\nreturn M\n";
    env.write("scripts/demo.lua", broken);
    let failed = env.run(&words(
        "generate --prompt demo --total 6 --batch-size 2 --seed 9 --concurrency 1",
    ));
    failed.expect(2);
    failed.stderr_has("boom at five");
    let before = env.run_json(&["show", "run-000001", "--json"]);
    assert_eq!(before["status"], "failed");
    let old_script = before["config"]["script"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let old_prompt = before["config"]["prompt_id"].as_str().unwrap().to_string();

    // The fix: the script no longer fails; the prompt gains a line too.
    env.write(
        "scripts/demo.lua",
        broken.replace("error('boom at five')", "return true"),
    );
    env.write(
        "prompts/demo.md",
        small_prompt("", None).replace("Usted es un agente", "Usted es un agente amable"),
    );
    let refused = env.run(&["resume", "run-000001"]);
    refused.expect(2);
    assert!(
        refused.stderr.contains("changed since run-000001 started")
            && refused.stderr.contains("--allow-changed"),
        "{}",
        refused.stderr
    );
    let resumed = env.run(&["resume", "run-000001", "--allow-changed", "--json"]);
    resumed.expect(0);
    let v = resumed.json();
    assert_eq!(v["counts"]["valid"], 6);
    let after = env.run_json(&["show", "run-000001", "--json"]);
    let new_script = after["config"]["script"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let new_prompt = after["config"]["prompt_id"].as_str().unwrap().to_string();
    assert_ne!(new_script, old_script);
    assert_ne!(new_prompt, old_prompt);
    let line = resumed
        .stderr
        .lines()
        .find(|l| l.contains("changed since run-000001 started"))
        .unwrap_or_else(|| panic!("{}", resumed.stderr));
    for sha in [&old_script, &new_script] {
        assert_has(line, &sha[..8]);
    }
    assert!(
        line.contains("scripts/demo.lua")
            && line.contains("prompts/demo.md")
            && line.contains("use the files as they are now"),
        "{line}"
    );

    // Both versions in the run's lineage, each with the batches it wrote.
    let versions = after["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{after}");
    assert_eq!(versions[0]["script"]["sha256"], old_script.as_str());
    assert_eq!(versions[0]["prompt_id"], old_prompt.as_str());
    assert_eq!(
        versions[0]["batches"],
        serde_json::json!(["demo-000001", "demo-000002"])
    );
    assert_eq!(versions[1]["script"]["sha256"], new_script.as_str());
    assert_eq!(versions[1]["prompt_id"], new_prompt.as_str());
    assert_eq!(versions[1]["batches"], serde_json::json!(["demo-000003"]));
    let text = env.run(&["show", "run-000001"]).expect(0).stdout.clone();
    assert!(
        text.contains("versions    1. prompt ") && text.contains("            2. prompt "),
        "{text}"
    );

    // Earlier batches keep the old versions, the resumed one has the new, everywhere.
    let records = env.run_json(&["list", "batches", "--run", "run-000001", "--json"]);
    for (b, record) in records.as_array().unwrap().iter().enumerate() {
        let (script, prompt) = if b < 2 {
            (&old_script, &old_prompt)
        } else {
            (&new_script, &new_prompt)
        };
        let id = record["batch_id"].as_str().unwrap();
        assert_eq!(record["prompt_id"], prompt.as_str(), "{id}");
        assert_eq!(record["script"]["sha256"], script.as_str(), "{id}");
        let batch = read_json(&env.data().join(id).join("batch.json"));
        assert_eq!(batch["script"]["sha256"], script.as_str(), "{id}");
        assert_eq!(batch["prompt"]["id"], prompt.as_str(), "{id}");
        for conv in batch["conversations"].as_array().unwrap() {
            let file = read_json(&env.data().join(id).join("conversations").join(format!(
                "{}.json",
                conv["conversation_id"].as_str().unwrap()
            )));
            assert_eq!(file["script"]["sha256"], script.as_str(), "{id}");
            assert_eq!(file["script"]["path"], "scripts/demo.lua");
            assert_eq!(file["prompt"]["id"], prompt.as_str(), "{id}");
        }
    }
    let scripts = env.run_json(&["list", "scripts", "--json"]);
    assert_eq!(scripts.as_array().unwrap().len(), 2);
    env.run(&["audit", "--run", "run-000001"]).expect(0);
}
