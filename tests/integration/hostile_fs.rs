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

use crate::common::{Env, assert_has, assert_lacks, files_under, small_prompt, words};
use crate::measure::{Measured, measure};

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

fn mkfifo(path: &Path) {
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
    let cmd = env.command(args);
    let mut capped = Command::new("prlimit");
    capped
        .arg(format!("--as={}", 2u64 << 30))
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => capped.env(key, v),
            None => capped.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        capped.current_dir(dir);
    }
    measure(capped, DEADLINE)
}

fn run(env: &Env, line: &str) -> Measured {
    env.run_measured(&words(line), &[("X", "")], DEADLINE)
}

#[test]
fn issue14_a_pending_batch_pointing_outside_is_refused_before_resume_touches_a_file() {
    for (field, value) in [
        ("batch_id", "../victim"),
        ("path", "../victim"),
        ("path", "/tmp"),
    ] {
        let env = crashed();
        let before = contents(&victim(&env));
        edit_record(&env, "batches", "demo-000001", |b| b[field] = value.into());
        let done = run(&env, "resume run-000001");
        done.run
            .expect(2)
            .stderr_has("batch \"")
            .stderr_has(&format!("its `{field}` \"{value}\""));
        assert_eq!(done.run.stderr.trim_end().lines().count(), 1, "{field}");
        assert_eq!(
            contents(&env.path().join("victim")),
            before,
            "{field}: victim/ changed"
        );
    }
}

#[test]
fn issue14_a_run_id_pointing_outside_names_no_lock_file_there() {
    let env = crashed();
    edit_record(&env, "runs", "run-000001", |r| {
        r["run_id"] = "../../escaped".into()
    });
    let done = run(&env, "resume run-000001");
    done.run
        .expect(2)
        .stderr_has("its `run_id` \"../../escaped\"");
    assert!(!env.path().join("escaped.lock").exists());
}

#[test]
fn issue14_a_batch_path_outside_the_data_dir_is_a_finding_not_clean() {
    let env = generated();
    // A faithful copy outside: followed, it would audit clean.
    let outside = env.path().join("outside");
    for f in files_under(&env.data().join("demo-000001")) {
        let rel = f.strip_prefix(env.data().join("demo-000001")).unwrap();
        env.write(
            &format!("outside/{}", rel.display()),
            std::fs::read(&f).unwrap(),
        );
    }
    edit_record(&env, "batches", "demo-000001", |b| {
        b["path"] = "../outside".into()
    });
    let done = run(&env, "audit --all");
    done.run
        .expect(1)
        .stdout_has("[unsafe_path]")
        .stdout_has("its `path` \"../outside\"");
    assert!(
        outside.join("batch.json").is_file(),
        "nothing deleted outside"
    );
}

#[test]
fn issue14_a_conversation_file_outside_is_neither_read_by_audit_nor_by_show() {
    for value in [
        "../../victim/secret.json",
        "/dev/zero",
        "demo-000001/conversations/../../../victim/secret.json",
    ] {
        let env = generated();
        let before = contents(&victim(&env));
        let id = "demo-000001-0001";
        edit_record(&env, "conversations", id, |c| c["file"] = value.into());
        let audit = run_capped(&env, &["audit", "--all"]);
        audit
            .run
            .expect(1)
            .stdout_has("[unsafe_path]")
            .stdout_has(&format!("its `file` \"{value}\""));
        assert!(
            audit.peak_rss_mib < 300,
            "{value}: {} MiB",
            audit.peak_rss_mib
        );
        let show = run_capped(&env, &["show", id]);
        show.run
            .expect(2)
            .stderr_has(&format!("its `file` \"{value}\""));
        assert_lacks(&show.run.stdout, "secret");
        assert!(
            show.peak_rss_mib < 300,
            "{value}: {} MiB",
            show.peak_rss_mib
        );
        assert_eq!(contents(&env.path().join("victim")), before);
    }
}

#[test]
fn issue14_a_fifo_conversation_file_blocks_neither_audit_nor_show() {
    let env = generated();
    let file = env
        .data()
        .join("demo-000001/conversations/demo-000001-0001.json");
    mkfifo(&file);
    let audit = run(&env, "audit --all");
    audit
        .run
        .expect(1)
        .stdout_has("[not_regular_file]")
        .stdout_has("it is a FIFO");
    assert_has(&audit.run.stdout, "demo-000001-0001.json");
    let show = run(&env, "show demo-000001-0001");
    show.run
        .expect(2)
        .stderr_has("demo-000001-0001.json is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_a_fifo_in_a_pending_batch_does_not_block_resume() {
    let env = crashed();
    let file = env
        .data()
        .join("demo-000001/conversations/demo-000001-0001.json");
    mkfifo(&file);
    let done = run(&env, "resume run-000001");
    done.run
        .expect(2)
        .stderr_has("demo-000001-0001.json is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_symlinks_to_dev_zero_are_not_read() {
    let env = generated();
    let conv = env
        .data()
        .join("demo-000001/conversations/demo-000001-0001.json");
    symlink("/dev/zero", &conv);
    symlink("/dev/zero", &env.data().join("demo-000002/batch.json"));
    let audit = run_capped(&env, &["audit", "--all"]);
    audit
        .run
        .expect(1)
        .stdout_has("[not_regular_file]")
        .stdout_has("it is a symbolic link");
    assert_has(&audit.run.stdout, "demo-000001-0001.json");
    assert_has(&audit.run.stdout, "demo-000002/batch.json");
    assert!(audit.peak_rss_mib < 300, "{} MiB", audit.peak_rss_mib);
    let show = run_capped(&env, &["show", "demo-000001-0001"]);
    show.run
        .expect(2)
        .stderr_has("is not a regular file (it is a symbolic link)");
    assert!(show.peak_rss_mib < 300, "{} MiB", show.peak_rss_mib);
}

#[test]
fn issue14_a_symlink_planted_at_the_next_batch_receives_nothing() {
    let env = Env::with_demo_prompt();
    env.generate("demo", 1, 1, 1, &[]);
    let before = contents(&victim(&env));
    symlink(env.path().join("victim"), &env.data().join("demo-000002"));
    let done = run(
        &env,
        "generate --prompt demo --total 2 --batch-size 1 --seed 2",
    );
    done.run
        .expect(2)
        .stderr_has("demo-000002 is not a folder convgen made (it is a symbolic link)");
    assert_eq!(
        contents(&env.path().join("victim")),
        before,
        "victim/ changed"
    );
}

#[test]
fn issue14_a_batch_folder_swapped_for_a_symlink_is_not_audited_clean() {
    let env = generated();
    let folder = env.data().join("demo-000001");
    std::fs::rename(&folder, env.path().join("moved")).unwrap();
    symlink(env.path().join("moved"), &folder);
    let done = run(&env, "audit --all");
    done.run
        .expect(1)
        .stdout_has("[not_regular_file]")
        .stdout_has("demo-000001 is not a folder convgen made (it is a symbolic link)");
}

#[test]
fn issue14_a_symlinked_run_log_gets_no_line_appended_to_its_target() {
    let env = Env::with_demo_prompt();
    env.write(
        "scripts/demo.lua",
        "local M = {}\nfunction M.variables(ctx)\n  print('a line for run.log')\n  return {}\nend\nreturn M\n",
    );
    env.write("victim.log", "precious\n");
    std::fs::create_dir_all(env.data()).unwrap();
    symlink(env.path().join("victim.log"), &env.data().join("run.log"));
    let done = run(&env, "generate --prompt demo --total 2 --seed 1");
    done.run
        .expect(0)
        .stderr_has("warning: script log lines are not kept")
        .stderr_has("run.log is not a regular file (it is a symbolic link)");
    assert_eq!(
        std::fs::read_to_string(env.path().join("victim.log")).unwrap(),
        "precious\n"
    );
}

#[test]
fn issue14_a_qa_script_that_is_a_fifo_does_not_hang_audit() {
    let env = generated();
    mkfifo(&env.path().join("qa.lua"));
    let done = run(&env, "audit --all --script qa.lua");
    done.run
        .expect(2)
        .stderr_has("--script: qa.lua is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_a_front_matter_script_that_is_a_fifo_is_not_a_regular_file() {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("script = \"scripts/pipe.lua\"", None),
    );
    std::fs::create_dir_all(env.path().join("scripts")).unwrap();
    mkfifo(&env.path().join("scripts/pipe.lua"));
    for line in ["check demo", "generate --prompt demo --total 1"] {
        let done = run(&env, line);
        done.run.expect(2);
        // `check` lists problems on stdout, `generate` refuses on stderr.
        let said = format!("{}{}", done.run.stdout, done.run.stderr);
        assert_has(
            &said,
            "prompts/demo.md: front matter `script` = \"scripts/pipe.lua\"",
        );
        assert_has(&said, "not a regular file (it is a FIFO)");
        assert_lacks(&said, "does not exist");
    }
    // The paired script too.
    let env = Env::with_demo_prompt();
    std::fs::create_dir_all(env.path().join("scripts")).unwrap();
    mkfifo(&env.path().join("scripts/demo.lua"));
    run(&env, "generate --prompt demo --total 1")
        .run
        .expect(2)
        .stderr_has("scripts/demo.lua: the script paired with prompts/demo.md is not a regular file (it is a FIFO)");
}

#[test]
fn issue14_a_front_matter_script_outside_the_project_is_refused() {
    // A valid script elsewhere: run as Lua before, it would have worked.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("evil.lua"),
        "local M = {}\nfunction M.variables(ctx)\n  return {}\nend\nreturn M\n",
    )
    .unwrap();
    let name = elsewhere
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for named in [
        format!("../{name}/evil.lua"),
        "../../../../../../../../etc/passwd".to_string(),
        "/dev/zero".to_string(),
    ] {
        let env = Env::new();
        env.write(
            "prompts/demo.md",
            small_prompt(&format!("script = \"{named}\""), None),
        );
        let done = run(&env, "generate --prompt demo --total 1");
        done.run.expect(2).stderr_has(&format!(
            "prompts/demo.md: front matter `script` = \"{named}\" leads outside the project"
        ));
        assert!(
            !env.data().join("registry.redb").exists(),
            "{named}: nothing registered"
        );
    }
    // Inside the project, beside the prompt, `..` steps are fine.
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("script = \"../lua/demo.lua\"", None),
    );
    env.write("lua/demo.lua", "return {}\n");
    run(&env, "generate --prompt demo --total 1").run.expect(0);
}

#[test]
fn issue14_a_registry_file_that_is_a_fifo_or_a_symlink_is_refused_at_once() {
    let env = generated();
    let registry = env.data().join("registry.redb");
    std::fs::rename(&registry, env.path().join("elsewhere.redb")).unwrap();
    mkfifo(&registry);
    for line in ["list batches", "audit --all"] {
        run(&env, line)
            .run
            .expect(2)
            .stderr_has("registry.redb is not a regular file (it is a FIFO)");
    }
    symlink(env.path().join("elsewhere.redb"), &registry);
    run(&env, "generate --prompt demo --total 1")
        .run
        .expect(2)
        .stderr_has("registry.redb is not a regular file (it is a symbolic link)");
}
