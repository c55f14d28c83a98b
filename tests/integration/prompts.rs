//! Bad prompts are refused before anything is written; `check` lints them.

use crate::common::{Env, small_prompt};

/// Runs `generate` and `check` on a bad prompt: both exit 2 naming the file and line.
fn refused(contents: &[u8], needle: &str) {
    let env = Env::new();
    env.write("prompts/bad.md", contents);
    let gen_run = env.run(&["generate", "--prompt", "bad", "--total", "2"]);
    gen_run.expect(2);
    assert!(
        gen_run.stderr.starts_with("error: prompts/bad.md:"),
        "{}",
        gen_run.stderr
    );
    assert!(
        gen_run.stderr.contains(needle),
        "expected `{needle}` in: {}",
        gen_run.stderr
    );
    assert_eq!(
        gen_run.stderr.trim_end().lines().count(),
        1,
        "one line: {}",
        gen_run.stderr
    );
    assert!(!env.data().exists(), "nothing written for a refused prompt");
    env.run(&["check"]).expect(2).stdout_has(needle);
}

#[test]
fn unknown_key_is_refused_with_a_suggestion() {
    refused(
        small_prompt("timestamp = true", None).as_bytes(),
        "prompts/bad.md:7: unknown front-matter key `timestamp`; did you mean `timestamps`?",
    );
}

#[test]
fn too_few_turns_is_refused() {
    refused(
        small_prompt("", None)
            .replace("turns = 6", "turns = 1")
            .as_bytes(),
        "prompts/bad.md:5: `turns` is 1",
    );
}

#[test]
fn one_role_is_refused() {
    refused(
        small_prompt("", None)
            .replace("[\"agent\", \"client\"]", "[\"agent\"]")
            .as_bytes(),
        "`roles` lists 1 role(s)",
    );
}

#[test]
fn missing_catalog_is_refused() {
    refused(
        small_prompt("", Some("Just text.\n")).as_bytes(),
        "no scenario catalog",
    );
}

#[test]
fn duplicate_and_invalid_ids_are_refused() {
    refused(
        small_prompt("", Some("## Scenarios\n### a: A\nx\n### a: B\ny\n")).as_bytes(),
        "duplicate scenario id `a`",
    );
    refused(
        small_prompt("", Some("## Scenarios\n### Mal Id: A\nx\n")).as_bytes(),
        "invalid scenario id `Mal Id`",
    );
}

#[test]
fn bad_weight_is_refused() {
    refused(
        small_prompt(
            "",
            Some("## Scenarios\n### a: A\n```toml\nweight = 0\n```\nx\n"),
        )
        .as_bytes(),
        "invalid weight 0",
    );
}

#[test]
fn missing_or_broken_front_matter_is_refused() {
    refused(
        b"# Just markdown\n\n## Scenarios\n### a: A\n",
        "prompts/bad.md:1: no front matter",
    );
    refused(b"+++\nturns = 4\n", "front matter is not closed");
    refused(
        small_prompt("title = ", None).as_bytes(),
        "invalid front matter",
    );
}

#[test]
fn non_utf8_is_refused() {
    let mut bytes = small_prompt("", None).into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe caf\xe9\n");
    refused(&bytes, "not valid UTF-8");
}

#[test]
fn check_reports_good_and_bad_prompts() {
    let env = Env::new();
    env.write("prompts/good.md", small_prompt("", None));
    env.write(
        "prompts/holes.md",
        small_prompt("", None).replace("Usted es", "Hola {{customer}}, usted es"),
    );
    env.run(&["check", "good"])
        .expect(0)
        .stdout_has("ok  prompts/good.md: good · es · 6 turns · roles agent/client · 2 scenarios");
    // Placeholders need a script that fills them.
    let holes = env.run(&["check", "holes"]);
    holes.expect(2);
    holes.stdout_has("uses {{customer}} (line 9), but nothing fills them");
    env.write(
        "scripts/holes.lua",
        "return { variables = function(ctx) return { customer = 'Ana' } end }",
    );
    env.run(&["check", "holes"])
        .expect(0)
        .stdout_has("placeholders {{customer}}");
    env.write("prompts/bad.md", small_prompt("turns = 3", None));
    env.run(&["check"])
        .expect(2)
        .stdout_has("prompts/bad.md:")
        .stderr_has("1 of 3 prompt(s) have problems");
}

#[test]
fn shipped_prompts_pass_check() {
    let env = Env::with_shipped_prompts();
    env.run(&["check"])
        .expect(0)
        .stdout_has("call_center_es")
        .stdout_has("support_en");
}
