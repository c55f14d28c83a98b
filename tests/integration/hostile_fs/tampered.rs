//! A registry edited to point outside the data dir (issue 14, point 5):
//! refused or reported before anything there is read, deleted or written.

use super::{contents, crashed, edit_record, generated, run, run_capped, victim};
use crate::common::{assert_lacks, files_under};

#[test]
fn issue14_a_pending_batch_pointing_outside_is_refused_before_resume_touches_a_file() {
    for (field, value) in [
        ("batch_id", "../victim"),
        ("path", "../victim"),
        ("path", "absolute"),
    ] {
        let env = crashed();
        let before = contents(&victim(&env));
        let absolute = env.path().join("victim").to_string_lossy().into_owned();
        let value = if value == "absolute" {
            absolute.as_str()
        } else {
            value
        };
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
