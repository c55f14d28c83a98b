//! `convgen audit`: clean data passes; tampering is found and named.

use crate::common::{Env, assert_has, each_str, read_json};

fn generated() -> (Env, String) {
    let env = Env::with_demo_prompt();
    let v = env.generate("demo", 6, 3, 5, &[]);
    (env, v["run_id"].as_str().unwrap().to_string())
}

#[test]
fn clean_data_audits_clean() {
    let (env, run_id) = generated();
    let all = env.run(&["audit", "--all"]);
    all.expect(0);
    all.stdout_has("audit clean: 2 batch(es), 6 conversation(s): 0 integrity finding(s)");
    assert!(all.stdout.contains("demo-000001: ok (3 conversations)"));
    env.run(&["audit", "--run", &run_id]).expect(0);
    env.run(&["audit", "demo-000002"]).expect(0);
    let json = env.run(&["audit", "--all", "--json"]);
    let v = json.expect(0).json();
    assert_eq!(v["clean"], true);
    assert_eq!(v["conversations"], 6);
}

#[test]
fn edited_text_is_found_by_sha256_and_by_the_checks() {
    let (env, _) = generated();
    let file = env
        .data()
        .join("demo-000001/conversations/demo-000001-0002.json");
    let mut conv = read_json(&file);
    conv["turns"][1]["role"] = "agent".into();
    std::fs::write(&file, serde_json::to_vec_pretty(&conv).unwrap()).unwrap();
    let run = env.run(&["audit", "--all", "--json"]);
    let v = run.expect(1).json();
    assert_eq!(v["clean"], false);
    let findings = v["reports"][0]["findings"].as_array().unwrap();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["sha256_mismatch", "check_failed"],
        "{findings:?}"
    );
    for f in findings {
        assert_eq!(f["conversation_id"], "demo-000001-0002");
    }
    assert!(
        findings[1]["message"]
            .as_str()
            .unwrap()
            .contains("breaks the alternation")
    );
    // Human output names the culprit on stdout.
    env.run(&["audit", "demo-000001"])
        .expect(1)
        .stdout_has("demo-000001-0002 [sha256_mismatch]");
    // The untouched batch stays clean.
    env.run(&["audit", "demo-000002"]).expect(0);
}

#[test]
fn a_one_character_edit_is_found() {
    let (env, _) = generated();
    let file = env
        .data()
        .join("demo-000002/conversations/demo-000002-0001.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\"text\": \"", "\"text\": \"X", 1);
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();
    let run = env.run(&["audit", "--all"]);
    run.expect(1);
    run.stdout_has("demo-000002-0001 [sha256_mismatch]");
}

#[test]
fn deleted_and_extra_files_are_named() {
    let (env, _) = generated();
    let conv_dir = env.data().join("demo-000001/conversations");
    std::fs::remove_file(conv_dir.join("demo-000001-0003.json")).unwrap();
    std::fs::write(conv_dir.join("stray.json"), "{}").unwrap();
    let v = env.run(&["audit", "--all", "--json"]).expect(1).json();
    let findings = v["reports"][0]["findings"].as_array().unwrap();
    let summary: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "missing_file".to_string(),
                "demo-000001/conversations/demo-000001-0003.json".to_string()
            ),
            (
                "unregistered_file".to_string(),
                "demo-000001/conversations/stray.json".to_string()
            ),
        ]
    );
}

#[test]
fn batch_json_disagreeing_with_the_registry_is_reported() {
    let (env, _) = generated();
    let file = env.data().join("demo-000001/batch.json");
    let mut batch = read_json(&file);
    batch["counts"]["valid"] = 99.into();
    std::fs::write(&file, serde_json::to_vec_pretty(&batch).unwrap()).unwrap();
    let v = env
        .run(&["audit", "demo-000001", "--json"])
        .expect(1)
        .json();
    let kinds = each_str(&v["reports"][0]["findings"], "kind");
    assert_eq!(kinds, vec!["sha256_mismatch", "registry_mismatch"]);
    let message = v["reports"][0]["findings"][1]["message"].as_str().unwrap();
    assert_has(message, "counts 3/99/0");
}

#[test]
fn missing_batch_folder_and_preview_are_reported() {
    let (env, _) = generated();
    std::fs::remove_file(env.data().join("demo-000001/preview.txt")).unwrap();
    std::fs::remove_dir_all(env.data().join("demo-000002")).unwrap();
    let v = env.run(&["audit", "--all", "--json"]).expect(1).json();
    assert_eq!(v["reports"][0]["findings"][0]["kind"], "missing_file");
    assert_eq!(
        v["reports"][0]["findings"][0]["file"],
        "demo-000001/preview.txt"
    );
    assert_eq!(v["reports"][1]["findings"][0]["kind"], "missing_folder");
}

#[test]
fn audit_usage_errors_exit_2() {
    let (env, _) = generated();
    let run = env.run(&["audit", "nope-000001"]);
    run.expect(2);
    run.stderr_has("no batch `nope-000001`");
    env.run(&["audit"]).expect(2);
    env.run(&["audit", "--run", "run-999999"]).expect(2);
    let empty = Env::new();
    let run = empty.run(&["audit", "--all"]);
    run.expect(2);
    assert!(
        run.stderr.contains("data dir batches does not exist") && run.stderr.contains("--data-dir"),
        "{}",
        run.stderr
    );
    // An existing data dir without a registry yet.
    std::fs::create_dir(empty.data()).unwrap();
    let run = empty.run(&["audit", "--all"]);
    run.expect(2);
    run.stderr_has("no registry");
}

const QA_EVERY_THIRD: &str = r#"
return {
  check = function(conv, ctx)
    if conv.index % 3 == 0 then return false, "third call" end
    return true
  end,
}
"#;

/// Issue 12: the report is on stdout, and its closing line counts integrity
/// findings, QA failures and the conversations the QA script never saw.
#[test]
fn issue12_qa_audit_report_tells_the_truth_on_stdout() {
    let (env, _) = generated();
    env.write("qa/third.lua", QA_EVERY_THIRD);
    // Clean: the report survives a redirect.
    let redirected = env.shell("convgen audit --all > report.txt");
    redirected.expect(0);
    let report = std::fs::read_to_string(env.path().join("report.txt")).unwrap();
    assert!(
        report.contains("demo-000002: ok (3 conversations)")
            && report.contains("audit clean: 2 batch(es), 6 conversation(s)"),
        "report.txt: {report:?}, stderr: {}",
        redirected.stderr
    );

    let file = env
        .data()
        .join("demo-000001/conversations/demo-000001-0002.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("\"text\": \"", "\"text\": \"X", 1)).unwrap();
    let run = env.run(&["audit", "--all", "--script", "qa/third.lua"]);
    run.expect(1);
    for needle in [
        "demo-000001-0002 [sha256_mismatch]",
        "demo-000001-0003 [qa] third call",
        "demo-000002-0003 [qa] third call",
        "demo-000001-0002 [skipped] not given to qa/third.lua: its file was modified after it was registered",
        "qa qa/third.lua: 3 of 5 conversation(s) pass, 1 skipped",
    ] {
        assert!(run.stdout.contains(needle), "{needle}:\n{}", run.stdout);
    }
    assert_eq!(
        run.stdout.lines().last(),
        Some(
            "audit FAILED: 2 batch(es), 6 conversation(s): 1 integrity finding(s), 2 failing QA (qa/third.lua), 1 skipped"
        ),
        "{}",
        run.stdout
    );
    run.stderr_lacks("clean");

    let v = env
        .run(&["audit", "--all", "--script", "qa/third.lua", "--json"])
        .expect(1)
        .json();
    assert_eq!(v["findings"], 1);
    assert_eq!(v["qa"]["failed"], 2);
    assert_eq!(v["qa"]["checked"], 5);
    assert_eq!(v["qa"]["skipped"][0]["conversation_id"], "demo-000001-0002");
    assert!(
        v["qa"]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("sha256_mismatch"),
        "{v}"
    );
}

/// Issue 12: only QA failures, no findings: the closing line says FAILED, not clean.
#[test]
fn issue12_qa_failures_alone_do_not_read_clean() {
    let (env, _) = generated();
    env.write("qa/third.lua", QA_EVERY_THIRD);
    let run = env.run(&["audit", "--all", "--script", "qa/third.lua"]);
    run.expect(1);
    assert!(
        run.stdout.ends_with(
            "audit FAILED: 2 batch(es), 6 conversation(s): 0 integrity finding(s), 2 failing QA (qa/third.lua), 0 skipped\n"
        ),
        "{}",
        run.stdout
    );
    run.stderr_lacks("clean");
}
