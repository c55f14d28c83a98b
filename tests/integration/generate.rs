//! `convgen generate` with the mock: the artefact contract and determinism.

use std::collections::BTreeSet;

use camino::Utf8Path;
use serde_json::Value;

use crate::common::{Env, read_json, small_prompt, words};

const CONVERSATION_KEYS: &[&str] = &[
    "schema_version",
    "conversation_id",
    "batch_id",
    "run_id",
    "origin",
    "index",
    "prompt",
    "script",
    "scenario",
    "variables",
    "language",
    "roles",
    "generator",
    "attempts",
    "status",
    "issues",
    "usage",
    "created_at",
    "turns",
];

fn ts(v: &Value) -> chrono::DateTime<chrono::Utc> {
    let s = v.as_str().expect("timestamp is a string");
    assert!(s.ends_with('Z'), "timestamp {s} is not UTC");
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&chrono::Utc)
}

#[test]
fn shipped_prompt_generates_files_that_honour_the_contract() {
    let env = Env::with_shipped_prompts();
    let prompt = convgen::prompt::load(
        Utf8Path::from_path(&env.path().join("prompts/call_center_es.md")).unwrap(),
    )
    .expect("shipped prompt parses");
    let catalog: BTreeSet<String> = prompt.scenarios.iter().map(|s| s.id.clone()).collect();
    let summary = env.generate("call_center_es", 30, 12, 1, &[]);

    assert_eq!(summary["counts"]["requested"], 30);
    assert_eq!(
        summary["audit"]["clean"], true,
        "the summary audits the new batches"
    );
    assert_eq!(summary["counts"]["valid"], 30);
    assert_eq!(summary["provider"], "mock");
    let run_id = summary["run_id"].as_str().unwrap();
    assert!(run_id.starts_with("run-") && run_id.len() == 10, "{run_id}");
    let batches = summary["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 3);
    let sizes: Vec<usize> = vec![12, 12, 6];
    for (i, b) in batches.iter().enumerate() {
        let batch_id = b["batch_id"].as_str().unwrap();
        assert_eq!(batch_id, format!("call_center_es-{:06}", i + 1));
        let dir = env.path().join(b["path"].as_str().unwrap());
        assert!(dir.join("preview.txt").is_file());
        let batch = read_json(&dir.join("batch.json"));
        assert_eq!(batch["batch_id"], batch_id);
        assert_eq!(batch["run_id"], run_id);
        assert_eq!(batch["status"], "complete");
        assert_eq!(batch["counts"]["requested"], sizes[i]);
        assert_eq!(batch["counts"]["valid"], sizes[i]);
        assert_eq!(batch["counts"]["failed"], 0);
        assert_eq!(batch["generator"]["provider"], "mock");
        assert_eq!(batch["seed"], 1);
        let listed = batch["conversations"].as_array().unwrap();
        assert_eq!(listed.len(), sizes[i]);

        let mut files: Vec<_> = std::fs::read_dir(dir.join("conversations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(
            files.len(),
            sizes[i],
            "no temp files, one file per conversation"
        );
        for (n, file) in files.iter().enumerate() {
            let conv = read_json(file);
            let keys: Vec<&str> = conv
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut expected: Vec<&str> = CONVERSATION_KEYS.to_vec();
            expected.sort();
            let mut got = keys.clone();
            got.sort();
            assert_eq!(got, expected, "conversation fields");
            let id = format!("{batch_id}-{:04}", n + 1);
            assert_eq!(conv["conversation_id"], id.as_str());
            assert_eq!(
                file.file_name().unwrap().to_str().unwrap(),
                format!("{id}.json")
            );
            assert_eq!(conv["batch_id"], batch_id);
            assert_eq!(conv["run_id"], run_id);
            assert_eq!(conv["status"], "valid");
            assert_eq!(conv["attempts"], 1);
            assert_eq!(conv["language"], "es");
            assert_eq!(conv["prompt"]["name"], "call_center_es");
            assert_eq!(conv["prompt"]["sha256"], prompt.sha256.as_str());
            assert_eq!(conv["generator"]["provider"], "mock");
            assert!(conv["generator"]["seed"].as_u64().unwrap() < (1u64 << 53));
            assert!(conv["usage"]["completion_tokens"].as_u64().unwrap() > 0);
            let scenario = conv["scenario"]["id"].as_str().unwrap();
            assert!(
                catalog.contains(scenario),
                "scenario {scenario} not in the catalog"
            );
            assert_eq!(
                conv["scenario"]["title"],
                prompt.scenario(scenario).unwrap().title.as_str()
            );
            let turns = conv["turns"].as_array().unwrap();
            assert_eq!(turns.len(), prompt.turns as usize);
            let mut previous = None;
            for (t, turn) in turns.iter().enumerate() {
                assert_eq!(turn["index"], t + 1);
                assert_eq!(
                    turn["role"],
                    prompt.roles[t % 2].as_str(),
                    "alternation from roles[0]"
                );
                assert!(!turn["text"].as_str().unwrap().trim().is_empty());
                let at = ts(&turn["timestamp"]);
                if let Some(p) = previous {
                    assert!(at > p, "timestamps strictly increase");
                }
                assert!(turn["latency_ms"].as_u64().is_some());
                previous = Some(at);
            }
            assert_eq!(&listed[n], &conv, "batch.json lists the same conversation");
        }
    }
}

#[test]
fn same_seed_gives_identical_files_across_data_dirs_and_concurrency() {
    let a = Env::with_shipped_prompts();
    let b = Env::with_shipped_prompts();
    a.generate("call_center_es", 20, 7, 42, &["--concurrency", "1"]);
    b.generate("call_center_es", 20, 7, 42, &["--concurrency", "8"]);
    a.assert_same_conversations(&b, 20);
}

#[test]
fn another_seed_gives_other_conversations() {
    let a = Env::with_shipped_prompts();
    let b = Env::with_shipped_prompts();
    a.generate("call_center_es", 5, 5, 1, &[]);
    b.generate("call_center_es", 5, 5, 2, &[]);
    let turns = |e: &Env| -> Vec<Value> {
        e.conversation_files()
            .iter()
            .map(|f| read_json(f)["turns"].clone())
            .collect()
    };
    assert_ne!(turns(&a), turns(&b));
}

#[test]
fn mock_conversations_of_one_scenario_are_not_copies() {
    let env = Env::with_shipped_prompts();
    let prompt = convgen::prompt::load(
        Utf8Path::from_path(&env.path().join("prompts/call_center_es.md")).unwrap(),
    )
    .unwrap();
    let scenario = prompt.scenarios[0].id.clone();
    env.generate("call_center_es", 20, 20, 9, &["--scenario", &scenario]);
    let texts: BTreeSet<String> = env
        .conversation_files()
        .iter()
        .map(|f| {
            let conv = read_json(f);
            assert_eq!(conv["scenario"]["id"], scenario.as_str());
            conv["turns"].to_string()
        })
        .collect();
    assert!(
        texts.len() >= 18,
        "only {} distinct conversations of 20",
        texts.len()
    );
}

#[test]
fn english_prompt_writes_english() {
    let env = Env::with_shipped_prompts();
    env.generate("support_en", 4, 4, 3, &[]);
    for f in env.conversation_files() {
        let conv = read_json(&f);
        assert_eq!(conv["language"], "en");
        let text: String = conv["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_lowercase() + " ")
            .collect();
        // Whole words, not substrings: "the" in "theft" or "you" in "tuyo" do not count.
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let count = |list: &[&str]| words.iter().filter(|w| list.contains(w)).count();
        let english = count(&["you", "the", "your", "thank", "i", "is", "to", "and", "a"]);
        let spanish = count(&[
            "usted", "el", "la", "de", "que", "gracias", "su", "por", "y",
        ]);
        assert!(!text.contains('¿') && !text.contains('¡'), "{text}");
        assert!(
            english >= 10 && spanish * 10 <= english,
            "not English ({english} English words, {spanish} Spanish): {text}"
        );
    }
}

#[test]
fn json_summary_is_alone_on_stdout() {
    let env = Env::with_demo_prompt();
    let run = env.run(&["generate", "--prompt", "demo", "--total", "3", "--json"]);
    run.expect(0);
    let v = run.json();
    assert_eq!(v["counts"]["valid"], 3);
    assert!(v["seed"].as_u64().is_some(), "a random seed is recorded");
    assert!(
        run.stderr.contains("mock"),
        "stderr says the mock is used: {}",
        run.stderr
    );
}

#[test]
fn fixed_random_and_weighted_modes() {
    let env = Env::with_demo_prompt();
    let fixed = env.generate("demo", 10, 10, 1, &["--scenario", "cancel"]);
    let dir = env
        .path()
        .join(fixed["batches"][0]["path"].as_str().unwrap());
    let batch = read_json(&dir.join("batch.json"));
    assert_eq!(batch["scenario_mode"]["kind"], "fixed");
    for c in batch["conversations"].as_array().unwrap() {
        assert_eq!(c["scenario"]["id"], "cancel");
    }
    let weighted = env.generate("demo", 200, 200, 1, &["--scenario-mode", "weighted"]);
    let dir = env
        .path()
        .join(weighted["batches"][0]["path"].as_str().unwrap());
    let batch = read_json(&dir.join("batch.json"));
    let billing = batch["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scenario"]["id"] == "billing")
        .count();
    assert!(
        (130..170).contains(&billing),
        "weight 3:1 gave {billing} of 200"
    );
    let unknown = env.run(&words("generate --prompt demo --total 1 --scenario nope"));
    unknown.expect(2);
    assert!(
        unknown.stderr.contains("--scenario nope") && unknown.stderr.contains("billing, cancel")
    );
}

#[test]
fn placeholders_without_a_variables_hook_are_refused_before_any_work() {
    let env = Env::new();
    env.write(
        "prompts/holes.md",
        small_prompt("", None).replace(
            "Usted es un agente",
            "Usted atiende a {{customer}}, un agente",
        ),
    );
    env.run(&["generate", "--prompt", "holes", "--total", "2"])
        .expect(2)
        .stderr_has("prompts/holes.md: uses {{customer}} (line 9), but nothing fills them");
    assert!(!env.data().exists());
}

#[test]
fn flags_are_validated() {
    let env = Env::with_demo_prompt();
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "--prompt", "demo", "--total", "0"], "--total"),
        (
            &words("generate --prompt demo --total 5 --batch-size 9"),
            "--batch-size 9",
        ),
        (
            &[
                "generate", "--prompt", "demo", "--total", "5", "--start", "tomorrow",
            ],
            "--start",
        ),
        (
            &["generate", "--prompt", "nope", "--total", "5"],
            "available in prompts: demo",
        ),
        (
            &words("generate --prompt demo --total 5 --scenario-mode script"),
            "select_scenario",
        ),
    ];
    for (args, needle) in cases {
        let run = env.run(args);
        run.expect(2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    assert!(
        !env.data().join("registry.redb").exists(),
        "nothing registered by refused runs"
    );
}

#[test]
fn no_arguments_without_a_terminal_prints_help_and_exits_2() {
    let env = Env::new();
    let run = env.run(&[]);
    run.expect(2);
    assert!(run.stdout.contains("Usage") || run.stderr.contains("Usage"));
}

/// Issue 12: without `--start` (and no `start` in the prompt), the seed
/// chooses the start, so the same seed gives the same files on another day.
#[test]
fn issue12_same_seed_without_a_start_gives_identical_files() {
    let a = Env::with_shipped_prompts();
    let b = Env::with_shipped_prompts();
    let args = [
        "generate",
        "--prompt",
        "call_center_es",
        "--total",
        "6",
        "--seed",
        "8",
    ];
    let first = a.run(&args);
    first.expect(0);
    // A later second of the clock: a start taken from it would differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    b.run(&args).expect(0);
    a.assert_same_conversations(&b, 6);
    assert!(
        first
            .stderr
            .contains("seed 8, start 2020-01-09T09:00:00.000Z"),
        "the run line names the start: {}",
        first.stderr
    );
}
