//! A prompt in a language the offline mock has no phrase bank for: `check`,
//! `preview` and `generate` say plainly that the mock writes marked English
//! (Issue 17, point 5); a language with a bank gets no such note.

use crate::common::{Env, assert_lacks};

fn prompt(language: &str) -> String {
    format!(
        "+++\ntitle = \"t\"\nlanguage = \"{language}\"\nroles = [\"agent\", \"client\"]\nturns = 6\n+++\nSie sind Kundenberater.\n\n## Szenarien\n\n### rechnung: Rechnung\nDer Kunde hat eine Frage zur Rechnung.\n"
    )
}

const NOTE: &str = "the offline mock has no phrase bank for language `de`";

#[test]
fn check_preview_and_generate_say_the_mock_writes_marked_english() {
    let env = Env::new();
    env.write("prompts/kd.md", prompt("de"));
    let check = env.run(&["check", "kd"]);
    check
        .expect(0)
        .stdout_has(&format!("warning: prompts/kd.md: {NOTE}"));
    check.stdout_has("marked `[de→en]`");
    env.run(&["preview", "--prompt", "kd"])
        .expect(0)
        .stdout_has(&format!("note: {NOTE}"))
        .stdout_has("[de→en] ");
    // With --json the note goes to stderr and stdout stays JSON.
    let json = env.run(&["preview", "--prompt", "kd", "--json"]);
    json.expect(0).stderr_has(NOTE);
    json.json();
    let run = env.run(&["generate", "--prompt", "kd", "--total", "2"]);
    run.expect(0);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains(&format!("note: {NOTE}")), "{said}");
}

#[test]
fn a_language_with_a_bank_gets_no_note() {
    let env = Env::new();
    env.write("prompts/kd.md", prompt("fr-CA"));
    let check = env.run(&["check", "kd"]);
    check.expect(0);
    assert_lacks(&check.stdout, "phrase bank");
    let preview = env.run(&["preview", "--prompt", "kd"]);
    preview.expect(0);
    assert_lacks(&preview.stdout, "phrase bank");
    assert_lacks(&preview.stdout, "→");
}
