//! Typed `[variables]` in the front matter (issue 15, point 2): `check` and
//! generation enforce them, and empty tables take the declared shape.

use crate::common::{Env, read_json, small_prompt, words};

const DECLARED: &str =
    "[variables]\namount = \"number\"\ntags = \"list<string>\"\ncard = \"object?\"\n";

fn env_with(script: &str) -> Env {
    let env = Env::new();
    env.write("prompts/demo.md", small_prompt(DECLARED, None));
    env.write("scripts/demo.lua", script);
    env
}

#[test]
fn issue15_a_value_of_another_type_fails_the_conversation_naming_the_variable() {
    // The second batch returns the amount as a string (a loader would see a
    // mixed column); `check`'s samples are all first-batch conversations.
    let env = env_with(
        r#"return { variables = function(ctx)
  if ctx.batch_index == 2 then return { amount = "12.5", tags = {} } end
  return { amount = ctx.index * 1.5, tags = { "vip" } }
end }"#,
    );
    env.run(&["check", "demo"]).expect(0);
    let run = env.run(&words(
        "generate --prompt demo --total 4 --batch-size 2 --seed 1 --json",
    ));
    run.expect(1);
    let files = env.conversation_files();
    assert_eq!(files.len(), 4);
    for (i, f) in files.iter().enumerate() {
        let conv = read_json(f);
        if i >= 2 {
            assert_eq!(conv["status"], "failed", "{conv}");
            let issues = conv["issues"].to_string();
            assert!(
                issues.contains("variable `amount` is declared `number`")
                    && issues.contains("is a string"),
                "{issues}"
            );
        } else {
            assert_eq!(conv["status"], "valid", "{conv}");
            assert!(conv["variables"]["amount"].is_number());
        }
        // Lists are lists, even when the script's table is empty.
        assert!(
            conv["variables"]["tags"].is_array(),
            "{}",
            conv["variables"]
        );
    }
}

#[test]
fn issue15_check_refuses_a_script_whose_values_break_the_declaration() {
    let env =
        env_with("return { variables = function(ctx) return { amount = \"12\", tags = {} } end }");
    env.run(&["check", "demo"])
        .expect(2)
        .stdout_has("variable `amount` is declared `number`");
    // And a run is refused before anything is sent.
    env.run(&words("generate --prompt demo --total 2 --seed 1"))
        .expect(2)
        .stderr_has("variable `amount` is declared `number`");
}

#[test]
fn issue15_an_empty_lua_table_for_a_declared_list_is_written_as_a_list() {
    let env = env_with("return { variables = function(ctx) return { amount = 3, tags = {} } end }");
    env.run(&words(
        "generate --prompt demo --total 2 --batch-size 2 --seed 1",
    ))
    .expect(0);
    for f in env.conversation_files() {
        let conv = read_json(&f);
        assert_eq!(conv["variables"]["tags"], serde_json::json!([]), "{conv}");
        assert_eq!(conv["status"], "valid");
    }
    env.run(&["check", "demo"]).expect(0);
}

#[test]
fn issue15_an_unknown_type_is_refused_with_the_forms_allowed() {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("[variables]\namount = \"money\"\n", None),
    );
    env.run(&["check", "demo"])
        .expect(2)
        .stdout_has("`amount` = \"money\": not a type")
        .stdout_has("list<");
}
