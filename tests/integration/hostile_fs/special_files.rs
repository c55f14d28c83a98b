//! FIFOs, devices and symlinks planted in the data dir, and a FIFO
//! `convgen.toml` (issue 14, point 6): never read, followed or waited on.

use std::path::PathBuf;

use super::{contents, crashed, generated, mkfifo, run, run_capped, symlink, victim};
use crate::common::{Env, assert_has, files_under};

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

#[test]
fn issue14_lock_files_are_never_made_through_a_planted_symlink() {
    let env = Env::with_demo_prompt();
    std::fs::create_dir_all(env.data()).unwrap();
    std::fs::create_dir_all(env.path().join("elsewhere")).unwrap();
    symlink(env.path().join("elsewhere"), &env.data().join("locks"));
    run(&env, "generate --prompt demo --total 1")
        .run
        .expect(2)
        .stderr_has("locks is not a folder convgen made (it is a symbolic link)");
    assert_eq!(
        files_under(&env.path().join("elsewhere")),
        Vec::<PathBuf>::new()
    );
    std::fs::remove_file(env.data().join("locks")).unwrap();
    symlink(
        env.path().join("elsewhere/x.lock"),
        &env.data().join("registry.lock"),
    );
    run(&env, "generate --prompt demo --total 1")
        .run
        .expect(2)
        .stderr_has("registry.lock is not a regular file (it is a symbolic link)");
    assert!(!env.path().join("elsewhere/x.lock").exists());
}

#[test]
fn issue14_a_convgen_toml_that_is_a_fifo_does_not_hang_a_command() {
    let env = Env::with_demo_prompt();
    mkfifo(&env.path().join("convgen.toml"));
    run(&env, "list batches")
        .run
        .expect(2)
        .stderr_has("convgen.toml")
        .stderr_has("it is not a regular file (it is a FIFO)");
}
