//! What convgen prints for people and for scripts: help text that is true,
//! summaries that survive a failure, figures that read well (issue 12).

use crate::common::{Env, assert_has, assert_lacks, words};

/// Errors out of `validate_conversation` from the fifth conversation on:
/// the check before the run (one sample) passes, the run fails mid-way.
const FAILS_MID_RUN: &str = r#"
local M = {}
function M.validate_conversation(conv, ctx)
  if ctx.index >= 5 then error("boom at " .. ctx.conversation_id) end
  return true
end
return M
"#;

#[test]
fn issue12_json_summary_is_printed_when_a_hook_fails_mid_run() {
    let env = Env::with_demo_prompt();
    env.write("scripts/demo.lua", FAILS_MID_RUN);
    let run = env.run(&words(
        "generate --prompt demo --total 20 --batch-size 2 --concurrency 1 --seed 3 --json",
    ));
    run.expect(2);
    let v = run.json();
    assert_eq!(v["run_id"], "run-000001");
    assert_eq!(v["status"], "failed");
    let error = v["error"].as_str().unwrap();
    assert_has(error, "boom at demo-");
    run.stderr_has("boom at demo-");
    assert!(v["counts"]["requested"].is_u64(), "{v}");
    // What the registry says agrees with the summary.
    let runs = env.run_json(&["list", "runs", "--json"]);
    assert_eq!(runs[0]["status"], "failed");
}

#[test]
fn issue12_seeds_from_2_pow_53_are_refused() {
    let env = Env::with_demo_prompt();
    for cmd in [
        &["generate", "--prompt", "demo", "--total", "1", "--seed"][..],
        &["preview", "--prompt", "demo", "--seed"][..],
    ] {
        let mut args = cmd.to_vec();
        args.push("9007199254740992");
        let run = env.run(&args);
        run.expect(2);
        let first = run.stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains("--seed") && first.contains("9007199254740992"),
            "{args:?}: {}",
            run.stderr
        );
        let mut ok = cmd.to_vec();
        ok.push("9007199254740991");
        env.run(&ok).expect(0);
    }
    assert!(
        !env.data().join("demo-000002").exists(),
        "the refused run wrote nothing"
    );
}

#[test]
fn issue12_token_counts_have_thousands_separators() {
    let env = Env::with_shipped_prompts();
    let run = env.run(&words(
        "generate --prompt call_center_es --total 20 --seed 4",
    ));
    run.expect(0);
    let summary = run
        .stderr
        .lines()
        .find(|l| l.starts_with("run-000001 complete:"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    let tokens = summary
        .rsplit(", ")
        .next()
        .and_then(|t| t.strip_suffix(" tokens"))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        tokens.contains(',') && tokens.replace(',', "").parse::<u64>().is_ok(),
        "{summary}"
    );
    let show = env.run(&["show", "run-000001"]).expect(0).stdout.clone();
    let line = show.lines().find(|l| l.starts_with("tokens")).unwrap();
    assert!(line.contains(','), "{line}");
    // JSON keeps numbers as numbers.
    let json = env.run_json(&["show", "run-000001", "--json"]);
    assert!(json["usage"]["prompt_tokens"].as_u64().unwrap() >= 1000);
}

#[test]
fn issue12_help_tells_the_scenario_mode_default_and_the_start_default() {
    let env = Env::new();
    let help = env.run(&["generate", "--help"]).expect(0).stdout.clone();
    assert_has(
        &help,
        "default: script when the prompt's script defines select_scenario, else weighted",
    );
    assert_has(&help, "chosen by the seed");
    assert_lacks(&help, "(default: weighted)");
}
