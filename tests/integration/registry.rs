//! The registry file under concurrent processes and hostile contents.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::{Env, words};

#[test]
fn parallel_processes_share_a_data_dir_without_collisions() {
    let env = Env::with_demo_prompt();
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
    // Readers at the same time: listings and audits never fail or see half a batch.
    let reader_env = env.path().to_path_buf();
    let readers = std::thread::spawn(move || {
        let bin = env!("CARGO_BIN_EXE_convgen");
        let mut rounds = 0;
        for _ in 0..15 {
            for args in [&["list", "batches", "--json"][..], &["audit", "--all"][..]] {
                let out = std::process::Command::new(bin)
                    .args(args)
                    .current_dir(&reader_env)
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                // Before the first registration there is no registry to audit yet.
                if !stderr.contains("no registry") {
                    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
                }
            }
            rounds += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        rounds
    });
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
    assert!(
        readers.join().unwrap() > 0,
        "readers ran while the writers worked"
    );
    assert_eq!(batch_ids.len(), 16);
    let audit = env.run_json(&["audit", "--all", "--json"]);
    assert_eq!(audit["conversations"], 80);
    let convs = env.run_json(&["list", "conversations", "--json"]);
    assert_eq!(convs.as_array().unwrap().len(), 80);
}

#[test]
fn a_garbage_registry_is_refused_and_left_alone() {
    let env = Env::with_demo_prompt();
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
    let env = Env::with_demo_prompt();
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
    run.stderr_has("schema version 99, newer than this convgen");
    env.run(&["generate", "--prompt", "demo", "--total", "1"])
        .expect(2);
}

#[test]
fn listing_an_empty_data_dir_is_empty_not_an_error() {
    let env = Env::new();
    std::fs::create_dir(env.data()).unwrap();
    let v = env.run_json(&["list", "batches", "--json"]);
    assert_eq!(v, serde_json::json!([]));
    assert!(
        std::fs::read_dir(env.data()).unwrap().next().is_none(),
        "listing creates nothing"
    );
    // A data dir that does not exist is a mistake, not an empty registry (issue 12).
    std::fs::remove_dir(env.data()).unwrap();
    env.run(&["list", "batches", "--json"]).expect(2);
}

#[test]
fn a_busy_registry_is_a_bounded_wait_and_a_clear_message() {
    let env = Env::with_demo_prompt();
    env.generate("demo", 1, 1, 1, &[]);
    let mut lock = fslock::LockFile::open(&env.data().join("registry.lock")).unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    let out = env.run_with(&["list", "batches"], &[("CONVGEN_LOCK_TIMEOUT", "0.5")]);
    let waited = started.elapsed();
    let stderr = &out.stderr;
    assert_eq!(out.code, 2, "{stderr}");
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
    let env = Env::with_demo_prompt();
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

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mount(std::path::PathBuf);

impl Mount {
    fn run(args: &[&str]) -> bool {
        std::process::Command::new("mount")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_read_only_data_dir_can_be_listed_and_audited_but_not_written() {
    if !is_root() {
        eprintln!("skipped: a read-only mount needs root (CI runs as root)");
        return;
    }
    let env = Env::with_demo_prompt();
    env.generate("demo", 4, 2, 1, &[]);
    let data = env.data();
    let data_str = data.to_str().unwrap();
    assert!(Mount::run(&["--bind", data_str, data_str]), "bind mount");
    let _mount = Mount(data.clone());
    assert!(
        Mount::run(&["-o", "remount,ro,bind", data_str]),
        "read-only remount"
    );
    let listed = env.run_json(&["list", "batches", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 2);
    env.run(&["audit", "--all"]).expect(0);
    env.run(&["show", "demo-000001-0001"]).expect(0);
    let refused = env.run(&["generate", "--prompt", "demo", "--total", "1"]);
    refused.expect(2);
    refused.stderr_has("Read-only file system");
    assert_eq!(
        refused.stderr.trim_end().lines().count(),
        1,
        "{}",
        refused.stderr
    );
}

#[test]
fn a_full_disk_stops_the_run_with_nothing_half_registered() {
    if !is_root() {
        eprintln!("skipped: a small tmpfs needs root (CI runs as root)");
        return;
    }
    let env = Env::with_demo_prompt();
    let data = env.data();
    std::fs::create_dir_all(&data).unwrap();
    assert!(
        Mount::run(&[
            "-t",
            "tmpfs",
            "-o",
            "size=1m",
            "tmpfs",
            data.to_str().unwrap()
        ]),
        "tmpfs"
    );
    let _mount = Mount(data.clone());
    let run = env.run(&words(
        "generate --prompt demo --total 2000 --batch-size 50",
    ));
    run.expect(2);
    run.stderr_has("No space left on device");
    // Once there is room again, whatever was registered before the disk
    // filled up is whole, and the run can be finished.
    assert!(
        Mount::run(&["-o", "remount,size=64m", data.to_str().unwrap()]),
        "grow tmpfs"
    );
    let audit = env.run(&["audit", "--all"]);
    assert_eq!(audit.code, 0, "{}{}", audit.stdout, audit.stderr);
    env.run(&["resume", "run-000001"]).expect(0);
    env.run(&["audit", "--all"]).expect(0);
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["counts"]["valid"], 2000);
}
