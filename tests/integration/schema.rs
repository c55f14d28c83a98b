//! `convgen schema` and `show --source` (issue 15, point 3): every file a run
//! writes, and every exported row, validates against the printed schema;
//! a file with a missing or mistyped field does not.

use serde_json::Value;

use crate::common::{Env, files_under, read_json, words};
use crate::export::typed_env;

pub fn validator(env: &Env, args: &str) -> jsonschema::Validator {
    let schema = env.run_json(&words(&format!("schema {args}")));
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema {args}: {e}"))
}

#[track_caller]
pub fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
}

#[test]
fn issue15_every_file_of_a_run_validates_and_a_broken_one_does_not() {
    let env = typed_env();
    let code = env
        .run(&words(
            "generate --prompt demo --total 6 --batch-size 3 --seed 2",
        ))
        .code;
    assert_eq!(code, 1, "the typed script fails every fourth conversation");
    let conv_schema = validator(&env, "conversation --prompt demo");
    let batch_schema = validator(&env, "batch --prompt demo");
    let mut checked = 0;
    for file in files_under(&env.data()) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let doc = read_json(&file);
        let v = if name == "batch.json" {
            &batch_schema
        } else {
            &conv_schema
        };
        assert_valid(v, &doc, &file.display().to_string());
        checked += 1;
    }
    assert_eq!(checked, 6 + 2, "six conversations and two batch.json");

    let conv = read_json(&env.conversation_files()[0]);
    let mut missing = conv.clone();
    missing.as_object_mut().unwrap().remove("status");
    assert!(!conv_schema.is_valid(&missing), "a missing status passes");
    let mut no_script = conv.clone();
    no_script.as_object_mut().unwrap().remove("script");
    assert!(
        !conv_schema.is_valid(&no_script),
        "a missing `script` (written as null) passes"
    );
    let mut mistyped = conv.clone();
    mistyped["attempts"] = Value::from("1");
    assert!(!conv_schema.is_valid(&mistyped), "attempts as text passes");
    let mut bad_turn = conv.clone();
    bad_turn["turns"][0]["index"] = Value::from(-1);
    assert!(
        !conv_schema.is_valid(&bad_turn),
        "a negative turn index passes"
    );
    let mut bad_var = conv.clone();
    bad_var["variables"]["amount"] = Value::from("12,5");
    assert!(
        !conv_schema.is_valid(&bad_var),
        "a declared number as text passes"
    );
    // Without the prompt, any variables validate.
    assert!(validator(&env, "conversation").is_valid(&bad_var));

    let mut batch = read_json(&env.data().join("demo-000001/batch.json"));
    batch["conversations"][1]
        .as_object_mut()
        .unwrap()
        .remove("turns");
    assert!(
        !batch_schema.is_valid(&batch),
        "a batch missing a conversation's turns passes"
    );
}

#[test]
fn issue15_exported_rows_validate_against_the_row_schemas() {
    let env = typed_env();
    let code = env
        .run(&words(
            "generate --prompt demo --total 4 --batch-size 4 --seed 2",
        ))
        .code;
    assert_eq!(code, 1);
    for (export, schema, rows) in [
        (
            "export --all --status any --format jsonl",
            "conversation-row --prompt demo",
            4,
        ),
        (
            "export --all --status any --format jsonl",
            "conversation-row",
            4,
        ),
        ("export --all --format jsonl --level turn", "turn-row", 18),
    ] {
        let v = validator(&env, schema);
        let out = env.run(&words(export)).expect(0).stdout.clone();
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), rows, "{export}");
        for line in &lines {
            assert_valid(&v, line, schema);
        }
        let mut extra = lines[0].clone();
        extra["surprise"] = Value::from(1);
        assert!(!v.is_valid(&extra), "{schema}: an unknown column passes");
        let mut missing = lines[0].clone();
        missing.as_object_mut().unwrap().remove("status");
        assert!(!v.is_valid(&missing), "{schema}: a missing column passes");
    }
    let v = validator(&env, "conversation-row --prompt demo");
    let out = env
        .run(&words("export --all --format jsonl"))
        .expect(0)
        .stdout
        .clone();
    let mut row: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    row["var.amount"] = Value::from("1,25");
    assert!(!v.is_valid(&row), "a number column holding text passes");
}

#[test]
fn issue15_show_source_prints_the_registered_prompt_text_exactly() {
    let env = typed_env();
    env.run(&words("generate --prompt demo --total 1 --seed 2"))
        .expect(0);
    let original = std::fs::read(env.path().join("prompts/demo.md")).unwrap();
    // The file changes afterwards: the registered version is still the one shown.
    env.write("prompts/demo.md", "edited later");
    let prompts = env.run_json(&words("list prompts --json"));
    let prompt_id = prompts[0]["prompt_id"].as_str().unwrap().to_string();
    for id in [prompt_id.as_str(), "demo", "demo-000001-0001", "run-000001"] {
        let out = env.command(&["show", id, "--source"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{id}");
        assert_eq!(out.stdout, original, "show {id} --source");
    }
    env.run(&words("show nothing-here --source"))
        .expect(2)
        .stderr_has("`nothing-here` is not a prompt id");
}
