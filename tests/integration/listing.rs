//! `list` queries that do not fail silently (issue 15, point 4): the new
//! conversation filters, paging, NDJSON, unknown names refused with the known
//! ones, and a closed pipe ending quietly.

use serde_json::Value;

use crate::common::{Env, each_str, small_prompt, words};

fn ids(v: &Value) -> Vec<String> {
    each_str(v, "conversation_id")
        .into_iter()
        .map(String::from)
        .collect()
}

/// Two prompts in two languages, two runs of the Spanish one.
fn env() -> Env {
    let env = Env::with_demo_prompt();
    env.write(
        "prompts/english.md",
        small_prompt("", None).replace("language = \"es\"", "language = \"en\""),
    );
    env.generate("demo", 4, 2, 1, &[]);
    env.generate("english", 3, 3, 2, &[]);
    env.generate("demo", 2, 2, 3, &[]);
    env
}

#[test]
fn issue15_list_conversations_filters_by_prompt_language_and_date() {
    let env = env();
    let all = ids(&env.run_json(&words("list conversations --json")));
    assert_eq!(all.len(), 9);
    let english = ids(&env.run_json(&words("list conversations --language en --json")));
    assert_eq!(english.len(), 3);
    assert!(
        english.iter().all(|id| id.starts_with("english-")),
        "{english:?}"
    );
    let by_prompt = ids(&env.run_json(&words("list conversations --prompt english --json")));
    assert_eq!(by_prompt, english);
    let demo = ids(&env.run_json(&words(
        "list conversations --prompt demo --language es --json",
    )));
    assert_eq!(demo.len(), 6);
    // Dates bound the batches' creation: all of them are from today, none from before 2000.
    let since = ids(&env.run_json(&words("list conversations --since 2000-01-01 --json")));
    assert_eq!(since, all);
    let until = ids(&env.run_json(&words("list conversations --until 2000-01-01 --json")));
    assert!(until.is_empty());
}

#[test]
fn issue15_list_conversations_pages_and_streams_ndjson() {
    let env = env();
    let all = ids(&env.run_json(&words("list conversations --json")));
    let page = ids(&env.run_json(&words("list conversations --offset 2 --limit 3 --json")));
    assert_eq!(page, all[2..5]);
    let out = env
        .run(&words("list conversations --format ndjson --offset 7"))
        .expect(0)
        .stdout
        .clone();
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["conversation_id"], all[7].as_str());
    assert!(lines[0]["path"].as_str().unwrap().ends_with(".json"));
}

#[test]
fn issue15_an_unknown_name_is_an_error_listing_the_known_ones() {
    let env = env();
    for (args, needle) in [
        (
            "list conversations --scenario nope",
            "known: billing, cancel",
        ),
        (
            "list conversations --run run-000099",
            "known: run-000003, run-000002, run-000001",
        ),
        ("list conversations --batch demo-000099", "no such batch"),
        ("list conversations --prompt nope", "known: demo, english"),
        ("list batches --prompt nope", "known: demo, english"),
        ("list batches --run run-000099", "no such run"),
        ("list runs --prompt nope", "known: demo, english"),
    ] {
        let run = env.run(&words(args));
        run.expect(2).stderr_has(needle);
        assert_eq!(run.stdout, "", "{args}");
    }
}

#[test]
fn issue15_list_piped_into_head_ends_quietly() {
    let env = Env::with_demo_prompt();
    env.generate("demo", 400, 200, 1, &[]);
    for list in [
        "list conversations --json",
        "list conversations --format ndjson",
        "list conversations",
        "show run-000001",
        "show demo-000001",
    ] {
        let run = env.shell(&format!(
            "{{ convgen {list}; echo \"exit $?\" >&2; }} | head -n 1"
        ));
        assert_eq!(run.stdout.lines().count(), 1, "{list}");
        assert_eq!(run.stderr, "exit 0\n", "{list}");
    }
}
