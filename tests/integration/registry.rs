//! The registry file under concurrent processes and hostile contents.

use std::collections::BTreeSet;

use crate::common::{Env, small_prompt};

#[test]
fn parallel_processes_share_a_data_dir_without_collisions() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    let children: Vec<_> = (0..4)
        .map(|i| {
            env.command(&[
                "generate",
                "--prompt",
                "demo",
                "--total",
                "20",
                "--batch-size",
                "5",
                "--seed",
                &i.to_string(),
                "--json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut batch_ids = BTreeSet::new();
    let mut run_ids = BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        run_ids.insert(v["run_id"].as_str().unwrap().to_string());
        for b in v["batches"].as_array().unwrap() {
            assert!(
                batch_ids.insert(b["batch_id"].as_str().unwrap().to_string()),
                "duplicate batch id"
            );
        }
    }
    assert_eq!(run_ids.len(), 4);
    assert_eq!(batch_ids.len(), 16);
    let audit = env.run(&["audit", "--all", "--json"]).expect(0).json();
    assert_eq!(audit["conversations"], 80);
    let convs = env
        .run(&["list", "conversations", "--json"])
        .expect(0)
        .json();
    assert_eq!(convs.as_array().unwrap().len(), 80);
}

#[test]
fn a_garbage_registry_is_refused_and_left_alone() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    let garbage = b"this is not a database, just some bytes".repeat(200);
    let path = env.write("batches/registry.redb", &garbage);
    for args in [
        &["generate", "--prompt", "demo", "--total", "1"][..],
        &["list", "batches"][..],
        &["audit", "--all"][..],
    ] {
        let run = env.run(args);
        run.expect(2);
        assert!(
            run.stderr.contains("batches/registry.redb"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "nothing overwritten"
    );
}

#[test]
fn a_registry_from_a_newer_convgen_is_refused() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    env.generate("demo", 1, 1, 1, &[]);
    {
        let db = redb::Database::create(env.data().join("registry.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn
                .open_table(redb::TableDefinition::<&str, u64>::new("meta"))
                .unwrap();
            meta.insert("schema_version", 99).unwrap();
        }
        txn.commit().unwrap();
    }
    let run = env.run(&["list", "batches"]);
    run.expect(2);
    assert!(
        run.stderr
            .contains("schema version 99, newer than this convgen"),
        "{}",
        run.stderr
    );
    env.run(&["generate", "--prompt", "demo", "--total", "1"])
        .expect(2);
}

#[test]
fn listing_an_empty_data_dir_is_empty_not_an_error() {
    let env = Env::new();
    let v = env.run(&["list", "batches", "--json"]).expect(0).json();
    assert_eq!(v, serde_json::json!([]));
    assert!(!env.data().exists(), "listing creates nothing");
}

#[test]
fn a_busy_registry_is_a_bounded_wait_and_a_clear_message() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    env.generate("demo", 1, 1, 1, &[]);
    let mut lock = fslock::LockFile::open(&env.data().join("registry.lock")).unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    let out = env
        .command(&["list", "batches"])
        .env("CONVGEN_LOCK_TIMEOUT", "0.5")
        .output()
        .unwrap();
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("registry busy") && stderr.contains("CONVGEN_LOCK_TIMEOUT"),
        "{stderr}"
    );
    assert!(waited.as_secs_f64() >= 0.5, "it waited before giving up");
    lock.unlock().unwrap();
    env.run(&["list", "batches"]).expect(0);
}

#[test]
fn a_truncated_registry_is_refused_and_left_alone() {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt("", None));
    env.generate("demo", 20, 10, 1, &[]);
    let path = env.data().join("registry.redb");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let truncated = std::fs::read(&path).unwrap();
    for args in [
        &["list", "batches"][..],
        &["generate", "--prompt", "demo", "--total", "1"][..],
        &["audit", "--all"][..],
    ] {
        let run = env.run(args);
        run.expect(2);
        assert!(
            run.stderr
                .contains("registry.redb is not a readable convgen registry"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        truncated,
        "nothing overwritten"
    );
}
