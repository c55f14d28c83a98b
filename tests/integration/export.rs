//! `convgen export` (issue 15): every format and level read back by an
//! independent reader, filters equal to `list`, a tampered file stopping
//! the export with nothing left behind.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::common::{Env, each_str, read_json, small_prompt, words};

/// The note every conversation carries: accented, quoted, multi-line, with a comma.
pub const NOTE: &str = "Llamó «muy molesto», dijo \"ya basta\";\nsegunda línea: ñandú, café";

/// A prompt that declares its variables, with a script that fills them; the
/// system text uses `{{customer}}`; every fourth conversation fails.
pub fn typed_env() -> Env {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt(
            "[variables]\ncustomer = \"string\"\namount = \"number\"\ntags = \"list<string>\"\nnote = \"string\"\ncard = \"object?\"\n",
            None,
        )
        .replace("Usted es un agente", "Usted atiende a {{customer}}; es un agente"),
    );
    env.write(
        "scripts/demo.lua",
        format!(
            r#"return {{ variables = function(ctx)
  local tags = {{}}
  if ctx.index % 2 == 0 then tags = {{ "vip", "mañana" }} end
  return {{ customer = "Lucía Núñez", amount = ctx.index * 1.25, tags = tags, note = {NOTE:?} }}
end,
validate_conversation = function(conv, ctx)
  if ctx.index % 4 == 0 then return false, "cada cuarta conversación falla" end
  return true
end }}"#
        ),
    );
    env
}

trait GenerateAny {
    fn generate_any(&self, prompt: &str, total: u32, batch: u32, seed: u64);
}

impl GenerateAny for Env {
    /// Generates; some conversations fail (exit 1).
    fn generate_any(&self, prompt: &str, total: u32, batch: u32, seed: u64) {
        let args = format!(
            "generate --prompt {prompt} --total {total} --batch-size {batch} --seed {seed}"
        );
        let code = self.run(&words(&args)).code;
        assert!(code == 0 || code == 1, "{args}: exit {code}");
    }
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(Result::unwrap).collect();
    (headers, rows)
}

fn parquet_batches(path: &Path) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (schema, batches)
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(column)
                .unwrap()
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .clone();
            (0..a.len()).map(move |i| a.value(i).to_string())
        })
        .collect()
}

fn listed_ids(env: &Env, args: &str) -> Vec<String> {
    let v = env.run_json(&words(&format!("list conversations {args} --json")));
    each_str(&v, "conversation_id")
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn issue15_csv_at_both_levels_reads_back_with_its_text_intact() {
    let env = typed_env();
    env.generate_any("demo", 6, 3, 2);
    env.run(&words("export --all --format csv --out conv.csv"))
        .expect(0);
    let (headers, rows) = csv_rows(&env.path().join("conv.csv"));
    for name in [
        "conversation_id",
        "batch_id",
        "run_id",
        "origin",
        "prompt",
        "prompt_sha256",
        "script_sha256",
        "scenario_id",
        "scenario_title",
        "language",
        "status",
        "attempts",
        "issues",
        "n_turns",
        "started_at",
        "ended_at",
        "duration_s",
        "provider",
        "model",
        "seed",
        "prompt_tokens",
        "completion_tokens",
        "var.customer",
        "var.amount",
        "var.tags",
        "var.note",
        "attr.tone",
        "attr.weight",
        "transcript",
    ] {
        assert!(
            headers.iter().any(|h| h == name),
            "no column {name}: {headers:?}"
        );
    }
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 5, "the fourth failed");
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r[col("conversation_id")].to_string())
        .collect();
    assert_eq!(ids, listed_ids(&env, "--status valid"));
    let files = env.conversation_files();
    for row in &rows {
        let file = files
            .iter()
            .find(|f| f.to_string_lossy().contains(&row[col("conversation_id")]))
            .unwrap();
        let conv = read_json(file);
        assert_eq!(row[col("var.note")], *NOTE);
        assert_eq!(row[col("var.customer")], *"Lucía Núñez");
        assert_eq!(row[col("n_turns")], *"6");
        let tags: Value = serde_json::from_str(&row[col("var.tags")]).unwrap();
        assert!(tags.is_array(), "{tags}");
        let transcript = &row[col("transcript")];
        let first = &conv["turns"][0];
        assert!(
            transcript.starts_with(&format!(
                "agent: {}\nclient: ",
                first["text"].as_str().unwrap()
            )),
            "{transcript}"
        );
        assert_eq!(
            row[col("started_at")],
            *first["timestamp"].as_str().unwrap()
        );
    }

    env.run(&words(
        "export --all --status any --format csv --level turn --delimiter ; --bom --out turns.csv",
    ))
    .expect(0);
    let bytes = std::fs::read(env.path().join("turns.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "conversation_id",
            "batch_id",
            "run_id",
            "origin",
            "prompt",
            "scenario_id",
            "status",
            "index",
            "role",
            "text",
            "timestamp",
            "latency_ms"
        ]
    );
    let turns: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(turns.len(), 36);
    let conv = read_json(&files[0]);
    for (i, t) in turns.iter().take(6).enumerate() {
        assert_eq!(t[9], *conv["turns"][i]["text"].as_str().unwrap());
        assert_eq!(t[7], (i + 1).to_string());
    }
}

#[test]
fn issue15_parquet_columns_are_typed_and_rows_complete() {
    let env = typed_env();
    env.generate_any("demo", 5, 2, 3);
    let v = env.run_json(&words(
        "export --all --status any --format parquet --out conv.parquet --json",
    ));
    assert_eq!(v["rows"], 5);
    let path = env.path().join("conv.parquet");
    assert_eq!(v["bytes"], std::fs::metadata(&path).unwrap().len());
    let (schema, batches) = parquet_batches(&path);
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    let utc = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    assert_eq!(ty("attempts"), DataType::Int64);
    assert_eq!(ty("n_turns"), DataType::Int64);
    assert_eq!(ty("seed"), DataType::UInt64);
    assert_eq!(ty("duration_s"), DataType::Float64);
    assert_eq!(ty("started_at"), utc);
    assert_eq!(ty("var.amount"), DataType::Float64);
    assert_eq!(ty("var.note"), DataType::Utf8);
    assert!(matches!(ty("var.tags"), DataType::List(f) if *f.data_type() == DataType::Utf8));
    assert!(matches!(ty("issues"), DataType::List(_)));
    // Never NULL-typed, even for a variable no row sets.
    assert_eq!(ty("var.card"), DataType::Utf8);
    assert!(
        schema
            .fields()
            .iter()
            .all(|f| *f.data_type() != DataType::Null)
    );
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 5);
    assert_eq!(strings(&batches, "var.note"), vec![NOTE.to_string(); 5]);

    env.run(&words(
        "export --all --status any --format parquet --level turn --out turns.parquet",
    ))
    .expect(0);
    let (schema, batches) = parquet_batches(&env.path().join("turns.parquet"));
    assert_eq!(
        schema.field_with_name("timestamp").unwrap().data_type(),
        &utc
    );
    assert_eq!(
        schema.field_with_name("index").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 30);
    let conv = read_json(&env.conversation_files()[0]);
    assert_eq!(
        strings(&batches, "text")[..6],
        (0..6)
            .map(|i| conv["turns"][i]["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()[..]
    );
}

#[test]
fn issue15_two_runs_export_with_one_schema() {
    // The first run never sets `card`; the second always does: the schemas
    // must still be equal, so the files concatenate.
    let env = typed_env();
    env.generate_any("demo", 2, 2, 1);
    let script = std::fs::read_to_string(env.path().join("scripts/demo.lua")).unwrap();
    env.write(
        "scripts/demo.lua",
        script.replace("note =", "card = { last4 = \"1234\" }, note ="),
    );
    env.generate_any("demo", 2, 2, 1);
    let mut schemas = Vec::new();
    for run in ["run-000001", "run-000002"] {
        let out = format!("{run}.parquet");
        env.run(&["export", "--run", run, "--format", "parquet", "--out", &out])
            .expect(0);
        schemas.push(parquet_batches(&env.path().join(&out)).0);
    }
    assert_eq!(schemas[0], schemas[1]);
}

#[test]
fn issue15_jsonl_rows_and_the_messages_form() {
    let env = typed_env();
    env.generate_any("demo", 3, 3, 4);
    let rows = env
        .run(&words("export --all --format jsonl"))
        .expect(0)
        .stdout
        .clone();
    let lines: Vec<Value> = rows
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["var.note"], NOTE);
    assert!(lines[0]["var.tags"].is_array() && lines[1]["var.tags"].is_array());
    assert!(lines[0]["attempts"].is_u64());

    let out = env
        .run(&words(
            "export --all --format jsonl --shape messages --assistant client",
        ))
        .expect(0)
        .stdout
        .clone();
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let conv = read_json(&env.conversation_files()[0]);
    let msgs = first["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 7);
    assert_eq!(msgs[0]["role"], "system");
    let system = msgs[0]["content"].as_str().unwrap();
    assert!(system.contains("Usted atiende a Lucía Núñez;"), "{system}");
    assert!(!system.contains("{{"), "{system}");
    assert_eq!(msgs[1]["role"], "user"); // the agent speaks first
    assert_eq!(msgs[2]["role"], "assistant");
    assert_eq!(msgs[1]["content"], conv["turns"][0]["text"]);
    assert_eq!(
        first["metadata"]["conversation_id"],
        conv["conversation_id"]
    );

    let out = env
        .run(&words(
            "export --all --format jsonl --shape messages --system none",
        ))
        .expect(0)
        .stdout
        .clone();
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["messages"][0]["role"], "assistant");
    assert_eq!(first["messages"].as_array().unwrap().len(), 6);

    env.run(&words(
        "export --all --format jsonl --shape messages --assistant boss",
    ))
    .expect(2)
    .stderr_has("--assistant boss: prompt demo has no such role; its roles are agent, client");
}

#[test]
fn issue15_filters_select_what_list_selects() {
    let env = typed_env();
    env.generate_any("demo", 8, 4, 5);
    env.generate_any("demo", 3, 3, 6);
    let cases = [
        (
            "--all --scenario billing",
            "--scenario billing --status valid",
        ),
        ("--all --status any", ""),
        ("--run run-000002", "--run run-000002 --status valid"),
        ("demo-000002", "--batch demo-000002 --status valid"),
        ("--all --status failed", "--status failed"),
    ];
    for (export, list) in cases {
        let out = env
            .run(&words(&format!("export {export} --format jsonl")))
            .expect(0)
            .stdout
            .clone();
        let got: Vec<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["conversation_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, listed_ids(&env, list), "export {export}");
    }
    // Every conversation today is generated.
    let ingested = env.run(&words("export --all --origin ingested --format jsonl"));
    assert_eq!(ingested.expect(0).stdout, "");
    let generated = env.run(&words(
        "export --all --status any --origin generated --format jsonl",
    ));
    assert_eq!(
        generated.expect(0).stdout.lines().count(),
        listed_ids(&env, "").len()
    );
    let failed: BTreeSet<String> = listed_ids(&env, "--status failed").into_iter().collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
}

#[test]
fn issue15_unknown_names_are_usage_errors_listing_the_known_ones() {
    let env = typed_env();
    env.generate_any("demo", 2, 2, 1);
    for (args, needle) in [
        (
            "export --all --scenario nope --format csv",
            "--scenario nope: no such scenario",
        ),
        (
            "export --run run-000009 --format csv",
            "--run run-000009: no such run",
        ),
        (
            "export demo-000009 --format csv",
            "batch demo-000009: no such batch",
        ),
        (
            "export --all --prompt other --format csv",
            "--prompt other: no such prompt",
        ),
    ] {
        let run = env.run(&words(args));
        run.expect(2).stderr_has(needle).stderr_has("known: ");
        assert_eq!(run.stdout, "", "{args}");
    }
    env.run(&words("export --all --scenario nope --format csv"))
        .stderr_has("known: billing, cancel");
    env.run(&words("export --all --format parquet"))
        .expect(2)
        .stderr_has("--format parquet needs a file");
    env.run(&words("export --all --format csv --delimiter ab"))
        .expect(2)
        .stderr_has("--delimiter \"ab\": give one ASCII character");
    env.run(&words("export --all --format csv --shape messages"))
        .expect(2)
        .stderr_has("--shape messages is a JSONL form");
    env.run(&words("export --format csv"))
        .expect(2)
        .stderr_has("name the batches to export, or --run RUN_ID, or --all");
}

#[test]
fn issue15_a_tampered_file_stops_the_export_and_leaves_no_output() {
    let env = typed_env();
    env.generate_any("demo", 4, 2, 1);
    let files = env.conversation_files();
    let text = std::fs::read_to_string(&files[2]).unwrap();
    std::fs::write(&files[2], text.replacen("\"valid\"", "\"valid\" ", 1)).unwrap();
    for format in ["csv", "parquet", "jsonl"] {
        let out = format!("out.{format}");
        let run = env.run(&["export", "--all", "--format", format, "--out", &out]);
        run.expect(1)
            .stderr_has(&files[2].file_name().unwrap().to_string_lossy())
            .stderr_has("modified after it was registered");
        assert!(!env.path().join(&out).exists(), "{out} left behind");
    }
    let left: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // An existing file is not replaced by a failed export either.
    env.write("keep.csv", "old");
    env.run(&words("export --all --format csv --out keep.csv"))
        .expect(1);
    assert_eq!(
        std::fs::read_to_string(env.path().join("keep.csv")).unwrap(),
        "old"
    );
}

#[test]
fn issue15_an_export_piped_into_head_ends_quietly() {
    let env = typed_env();
    // More than a pipe buffer of rows, so the export meets the closed pipe.
    env.generate_any("demo", 100, 50, 1);
    let run = env.shell(
        "{ convgen export --all --format jsonl --level turn; echo \"exit $?\" >&2; } | head -n 1",
    );
    assert_eq!(run.stdout.lines().count(), 1);
    assert_eq!(run.stderr, "exit 0\n", "a closed pipe is not an error");
}

#[test]
fn issue15_the_shipped_prompt_exports_typed_variable_columns() {
    let env = Env::with_shipped_prompts();
    env.generate("call_center_es", 5, 5, 1, &[]);
    env.run(&words("export --all --format parquet --out conv.parquet"))
        .expect(0);
    let (schema, batches) = parquet_batches(&env.path().join("conv.parquet"));
    let ty = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("var.amount"), DataType::Float64);
    assert_eq!(ty("var.customer"), DataType::Utf8);
    assert_eq!(ty("attr.tone"), DataType::Utf8);
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 5);
    assert!(
        strings(&batches, "var.importe")
            .iter()
            .all(|s| s.ends_with(" €"))
    );
}
