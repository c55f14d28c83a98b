//! Hostile filesystems (issue 14, points 5, 6 and 10): a registry edited to
//! point outside the data dir, FIFOs, devices and symlinks planted in it,
//! and front-matter scripts leading out of the project. Nothing outside the
//! data dir is read, deleted or overwritten, nothing hangs, and each case is
//! a finding or a one-line error naming the record, file or key at fault.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use redb::ReadableTable;
use serde_json::Value;

use crate::common::{Env, files_under, words};
use crate::measure::Measured;

/// Long enough for any of these runs; a hang meets it.
const DEADLINE: Duration = Duration::from_secs(60);

/// Edits one JSON record of a registry table (`batches`, `runs`, `conversations`).
fn edit_record(env: &Env, table: &str, key: &str, edit: impl FnOnce(&mut Value)) {
    let db = redb::Database::create(env.data().join("registry.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn
            .open_table(redb::TableDefinition::<&str, &[u8]>::new(table))
            .unwrap();
        let bytes = t.get(key).unwrap().expect("the record").value().to_vec();
        let mut v: Value = serde_json::from_slice(&bytes).unwrap();
        edit(&mut v);
        t.insert(key, serde_json::to_vec(&v).unwrap().as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
}

/// `victim/` beside the data dir, holding files named like a batch's.
fn victim(env: &Env) -> PathBuf {
    for (rel, text) in [
        ("victim/batch.json", "precious batch"),
        ("victim/preview.txt", "precious preview"),
        ("victim/secret.json", "{\"secret\": true}"),
        ("victim/conversations/demo-000001-0001.json", "precious"),
        ("victim/conversations/.x.tmp", "precious temp"),
    ] {
        env.write(rel, text);
    }
    env.path().join("victim")
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

pub fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Two complete batches of 2 conversations.
fn generated() -> Env {
    let env = Env::with_demo_prompt();
    env.generate("demo", 4, 2, 1, &[]);
    env
}

/// A run whose batches are all pending, the first one's folder started:
/// the process crashed after its first file operation.
fn crashed() -> Env {
    let env = Env::with_demo_prompt();
    let args = words("generate --prompt demo --total 4 --batch-size 2 --seed 1 --concurrency 1");
    let run = env.run_with(&args, &[("CONVGEN_FAIL_AFTER_WRITES", "1")]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(env.data().join("demo-000001/conversations").is_dir());
    env
}

/// Runs convgen with its address space capped, so that a regression that
/// reads a device without end fails fast instead of filling the machine.
fn run_capped(env: &Env, args: &[&str]) -> Measured {
    let limit = format!("--as={}", 2u64 << 30);
    env.run_wrapped(&["prlimit", &limit, "--"], args, &[("X", "")], DEADLINE)
}

fn run(env: &Env, line: &str) -> Measured {
    env.run_measured(&words(line), &[("X", "")], DEADLINE)
}

mod script_paths;
mod special_files;
mod tampered;
