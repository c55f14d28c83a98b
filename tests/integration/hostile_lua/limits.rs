//! What a script hands back is bounded (issue 14, point 4): refused or cut
//! before the host copies it, with the child's peak memory measured.

use crate::common::{Env, read_json, small_prompt};
use crate::measure::Measured;
use crate::scripts::env_with_script;

use super::generate;

/// A refusal within a minute, naming the hook, with memory bounded.
#[track_caller]
fn refused_within_memory(done: &Measured, hook: &str, why: &str) {
    done.run
        .expect(2)
        .stderr_has(&format!("hook `{hook}`"))
        .stderr_has(why);
    assert!(
        done.peak_rss_mib < 300,
        "peak RSS {} MiB for a refused script",
        done.peak_rss_mib
    );
    let longest = done.run.stderr.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 4096, "a {longest}-byte line on stderr");
}

/// A 20 MB string referenced 100 times: 2 GB if the host copied it whole.
const HUNDRED_REFS: &str =
    "local s = string.rep('x', 20 * 1024 * 1024) local t = {} for i = 1, 100 do t[i] = s end";

#[test]
fn variables_over_the_text_limit_are_refused_before_they_are_copied() {
    let env = env_with_script(&format!(
        "return {{ variables = function() {HUNDRED_REFS} return {{ customer = 'Ana', notes = t }} end }}"
    ));
    let done = generate(&env, 2, &[], "20");
    refused_within_memory(&done, "variables", "more than 1 MiB of text in all");
    assert!(!env.data().exists(), "nothing is written");
}

#[test]
fn reasons_over_their_limit_are_refused_before_they_are_copied() {
    let env = env_with_script(&format!(
        "return {{ variables = function() return {{ customer = 'Ana' }} end, validate_conversation = function() {HUNDRED_REFS} return false, t end }}"
    ));
    let done = generate(&env, 2, &[], "20");
    refused_within_memory(
        &done,
        "validate_conversation",
        "returned reasons over 256 KiB in all",
    );
    // The same through `validate_turn`, whose reasons count for all turns.
    let env = env_with_script(
        "local r = string.rep('y', 100 * 1024) return { variables = function() return { customer = 'Ana' } end, validate_turn = function() return false, r end }",
    );
    let done = generate(&env, 2, &[], "20");
    refused_within_memory(
        &done,
        "validate_turn",
        "turn 3: returned reasons over 256 KiB",
    );
}

#[test]
fn an_error_message_from_a_script_is_cut_to_one_short_line() {
    let env = env_with_script(
        "return { variables = function() error(string.rep('E', 8 * 1024 * 1024)) end }",
    );
    let done = generate(&env, 1, &[], "20");
    refused_within_memory(&done, "variables", "bytes cut)");
}

#[test]
fn long_texts_searched_by_find_any_are_not_kept() {
    // 40 different 8 MB texts: kept lowered, 32 of them would hold 512 MB.
    let env = env_with_script(
        r#"
local M = {}
function M.variables(ctx)
  for i = 1, 40 do
    local s = string.rep("A", 8 * 1024 * 1024 - 8) .. string.format("%08d", i)
    assert(text.find_any(s, { "zz", "00000001" }) ~= nil or i ~= 1)
  end
  return { customer = "Ana" }
end
return M
"#,
    );
    let done = generate(&env, 1, &[], "50");
    done.run.expect(0);
    assert!(
        done.peak_rss_mib < 300,
        "peak RSS {} MiB",
        done.peak_rss_mib
    );
}

fn run_log(env: &Env) -> u64 {
    std::fs::metadata(env.data().join("run.log"))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[test]
fn log_lines_are_cut_and_a_runs_log_is_bounded() {
    // 1 MB lines: each is cut to 8 KiB, saying how much went.
    let env = env_with_script(
        "local big = string.rep('z', 1024 * 1024) return { variables = function() for i = 1, 50 do print(big) end return { customer = 'Ana' } end }",
    );
    let done = generate(&env, 3, &[], "20");
    done.run.expect(0);
    let log = std::fs::read_to_string(env.data().join("run.log")).unwrap();
    assert!(log.contains(&format!("… ({} bytes cut)", 1024 * 1024 - 8 * 1024)));
    let longest = log.lines().map(str::len).max().unwrap();
    assert!(longest < 8 * 1024 + 300, "a {longest}-byte line in run.log");
    // The run and its pre-run checks: some 500 lines, not 500 MB.
    assert!(log.len() < 10 << 20, "run.log holds {} bytes", log.len());
    // 300 MiB of 8 KiB lines in one run: 256 MiB are kept, then one warning.
    let env = env_with_script(
        "local line = string.rep('w', 8 * 1024 - 100) return { variables = function() for i = 1, 12800 do print(line) end return { customer = 'Ana' } end }",
    );
    let done = generate(&env, 3, &[], "50");
    done.run.expect(0);
    let size = run_log(&env);
    assert!(
        (200 << 20..=256 << 20).contains(&size),
        "run.log holds {size} bytes"
    );
    // Lines counted before the limit was reached may be written after the
    // warning, by other workers; the warning is there once.
    let warnings = lines_with(
        &env.data().join("run.log"),
        "the scripts' log reached 256 MiB for this run; later lines are dropped",
    );
    assert_eq!(warnings, 1);
}

/// How many lines of the file at `path` hold `needle`, read line by line.
fn lines_with(path: &std::path::Path, needle: &str) -> usize {
    use std::io::BufRead;
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    file.split(b'\n')
        .filter(|l| String::from_utf8_lossy(l.as_ref().unwrap()).contains(needle))
        .count()
}

#[test]
fn an_overlong_scenario_id_is_refused_without_quoting_it() {
    let env = env_with_script(
        "return { select_scenario = function() return string.rep('q', 10 * 1024 * 1024) end, variables = function() return { customer = 'Ana' } end }",
    );
    let done = generate(&env, 1, &[], "20");
    refused_within_memory(
        &done,
        "select_scenario",
        "returned a string of 10485760 bytes",
    );
}

#[test]
fn a_long_value_in_many_placeholders_is_never_sent() {
    // 1,000 KB under the text limit, ten times in the prompt: 10 MB.
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("", None).replace(
            "Usted es un agente",
            &format!(
                "Usted atiende a {{{{customer}}}}.{} Es un agente",
                " {{notes}}".repeat(10)
            ),
        ),
    );
    env.write(
        "scripts/demo.lua",
        "local n = string.rep('n', 1000 * 1024) return { variables = function() return { customer = 'Ana', notes = n } end }",
    );
    let done = generate(&env, 2, &[], "20");
    done.run.expect(1).stderr_has("0 tokens");
    for file in env.conversation_files() {
        let conv = read_json(&file);
        let issues = conv["issues"].to_string();
        assert!(
            issues.contains("the prompt filled with this conversation's variables is over 4 MiB"),
            "{issues}"
        );
        assert_eq!(conv["turns"], serde_json::json!([]));
    }
    assert!(
        done.peak_rss_mib < 300,
        "peak RSS {} MiB",
        done.peak_rss_mib
    );
}
