//! `convgen ingest` (issue 16): a hostile call-centre CSV export and a
//! chat-messages JSONL come in as batches with lineage; list, show, audit,
//! audit --script and export work on them; a tampered file is caught.

use serde_json::Value;

use crate::common::{Env, each_str, read_json, words};

/// A speech-analytics export as they come: BOM, CRLF, quoted commas,
/// quotes and newlines, an empty utterance, consecutive rows of one
/// speaker, timestamps with offsets, an extra column.
pub const CALLS_CSV: &str = "\u{feff}call_id,speaker,utterance,start_time,queue\r\n\
C-1001,AGENTE,\"Buenos días, le atiende Marta. ¿En qué puedo ayudarle?\",2026-03-02T09:15:00+01:00,facturación\r\n\
C-1001,CLIENTE,\"Me han cobrado dos veces; el recibo dice \"\"pagado\"\".\r\nLo tengo delante.\",2026-03-02T09:15:06+01:00,facturación\r\n\
C-1001,CLIENTE,\"Es la factura de febrero, la de 42,50 €.\",2026-03-02T09:15:12+01:00,facturación\r\n\
C-1001,AGENTE,Lo reviso ahora mismo.,2026-03-02T08:15:20Z,facturación\r\n\
C-1002,AGENTE,Hola,2026-03-02T10:00:00-05:00,bajas\r\n\
C-1002,CLIENTE,,2026-03-02T10:00:05-05:00,bajas\r\n";

/// The texts each CSV conversation must hold after merging, in order.
pub const CALLS_TEXTS: &[&[&str]] = &[
    &[
        "Buenos días, le atiende Marta. ¿En qué puedo ayudarle?",
        "Me han cobrado dos veces; el recibo dice \"pagado\".\nLo tengo delante. Es la factura de febrero, la de 42,50 €.",
        "Lo reviso ahora mismo.",
    ],
    &["Hola", ""],
];

pub const CSV_ARGS: &str = "ingest calls.csv --format csv --columns conversation=call_id,role=speaker,text=utterance,timestamp=start_time --roles AGENTE=agent,CLIENTE=client --json";

/// A chat log in the messages form: a system message, metadata, a list content.
pub const CHATS_JSONL: &str = concat!(
    r#"{"id": "chat-7", "messages": [{"role": "system", "content": "Eres un agente de Movistar."}, {"role": "user", "content": "Quiero la baja"}, {"role": "assistant", "content": [{"type": "text", "text": "¿Puedo preguntarle el motivo?"}]}, {"role": "user", "content": "El precio, \"caro\"."}], "metadata": {"channel": "chat", "csat": 2}}"#,
    "\n\n",
    r#"{"id": 8, "turns": [{"role": "user", "text": "Hola"}, {"role": "assistant", "text": "Buenas tardes"}], "metadata": {"language": "es"}}"#,
    "\n"
);

/// Ingests both files into `env`; returns the two `--json` summaries.
pub fn ingest_both(env: &Env) -> (Value, Value) {
    env.write("calls.csv", CALLS_CSV);
    env.write("chats.jsonl", CHATS_JSONL);
    let csv = env.run(&words(CSV_ARGS));
    csv.expect(1).stderr_has("calls.csv:8: empty text");
    let jsonl = env.run(&words(
        "ingest chats.jsonl --format jsonl --roles assistant=agent,user=client --json",
    ));
    jsonl.expect(0);
    (csv.json(), jsonl.json())
}

fn conversation(env: &Env, batch: &str, n: u32) -> Value {
    read_json(
        &env.data()
            .join(format!("{batch}/conversations/{batch}-{n:04}.json")),
    )
}

#[test]
fn a_hostile_csv_export_comes_in_merged_in_utc_with_its_lineage() {
    let env = Env::new();
    let (summary, _) = ingest_both(&env);
    let file = &summary["files"][0];
    let sha = convgen::prompt::sha256_hex(CALLS_CSV.as_bytes());
    assert_eq!(file["sha256"], sha.as_str());
    assert_eq!(each_str(&file["batches"], "batch_id"), ["calls-000001"]);
    let dir = env.data().join("calls-000001");
    assert!(dir.join("batch.json").is_file() && dir.join("preview.txt").is_file());

    let c = conversation(&env, "calls-000001", 1);
    assert_eq!(c["origin"], "ingested");
    assert!(c.get("prompt").is_none(), "{c}");
    assert_eq!(c["source"]["path"], "calls.csv");
    assert_eq!(c["source"]["sha256"], sha.as_str());
    assert_eq!(c["source"]["format"], "csv");
    assert_eq!(c["source"]["line"], 2);
    assert_eq!(c["source"]["id"], "C-1001");
    assert_eq!(c["status"], "valid");
    assert_eq!(c["roles"], serde_json::json!(["agent", "client"]));
    assert_eq!(c["variables"]["queue"], "facturación");
    let texts: Vec<&str> = c["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, CALLS_TEXTS[0]);
    assert_eq!(each_str(&c["turns"], "role"), ["agent", "client", "agent"]);
    assert_eq!(
        each_str(&c["turns"], "timestamp"),
        [
            "2026-03-02T08:15:00Z",
            "2026-03-02T08:15:06Z",
            "2026-03-02T08:15:20Z"
        ]
    );

    let failed = conversation(&env, "calls-000001", 2);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["source"]["line"], 7);
    assert_eq!(failed["turns"][0]["timestamp"], "2026-03-02T15:00:00Z");
    let issues = failed["issues"].to_string();
    assert!(issues.contains("calls.csv:8: empty text"), "{issues}");
    let batch = read_json(&dir.join("batch.json"));
    assert_eq!(batch["status"], "partial");
    assert_eq!(batch["source"]["sha256"], sha.as_str());
    assert!(batch.get("prompt").is_none());
}

#[test]
fn chat_messages_keep_the_system_message_and_metadata() {
    let env = Env::new();
    let (_, summary) = ingest_both(&env);
    assert_eq!(
        each_str(&summary["files"][0]["batches"], "batch_id"),
        ["chats-000001"]
    );
    let c = conversation(&env, "chats-000001", 1);
    assert_eq!(c["source"]["format"], "jsonl");
    assert_eq!(c["source"]["line"], 1);
    assert_eq!(c["source"]["id"], "chat-7");
    assert_eq!(c["variables"]["system"], "Eres un agente de Movistar.");
    assert_eq!(c["variables"]["channel"], "chat");
    assert_eq!(c["variables"]["csat"], 2);
    assert_eq!(each_str(&c["turns"], "role"), ["client", "agent", "client"]);
    assert_eq!(c["turns"][1]["text"], "¿Puedo preguntarle el motivo?");
    assert_eq!(
        c["turns"].as_array().unwrap().len(),
        3,
        "the system message is not a turn"
    );
    let second = conversation(&env, "chats-000001", 2);
    assert_eq!(second["source"]["line"], 3);
    assert_eq!(second["source"]["id"], "8");
    assert_eq!(second["language"], "es");
}

#[test]
fn list_show_audit_and_audit_script_work_on_ingested_batches() {
    let env = Env::new();
    ingest_both(&env);
    let listed = env.run_json(&words("list conversations --json"));
    let ids = each_str(&listed, "conversation_id");
    assert_eq!(
        ids,
        [
            "calls-000001-0001",
            "calls-000001-0002",
            "chats-000001-0001",
            "chats-000001-0002"
        ]
    );
    let by_name = env.run_json(&words("list batches --prompt calls --json"));
    assert_eq!(each_str(&by_name, "batch_id"), ["calls-000001"]);
    let shown = env.run(&words("show calls-000001-0001"));
    shown
        .expect(0)
        .stdout_has("ingested from calls.csv:2 (csv)");
    assert!(
        shown.stdout.contains("Lo reviso ahora mismo."),
        "{}",
        shown.stdout
    );
    env.run(&words("show calls-000001"))
        .expect(0)
        .stdout_has("ingested by run-000001");
    let audit = env.run(&words("audit --all --json"));
    audit.expect(0);
    env.write(
        "qa.lua",
        r#"return { check = function(conv, ctx)
  if conv.origin ~= "ingested" or conv.source.line < 1 or ctx.prompt.roles[1] ~= conv.roles[1] then
    return false, "lineage missing"
  end
  if #conv.turns < 3 then return false, "corta: " .. conv.source.id end
  return true
end }"#,
    );
    let qa = env.run(&words("audit --all --script qa.lua"));
    qa.expect(1).stdout_has("corta: C-1002");
    assert!(!qa.stdout.contains("lineage missing"), "{}", qa.stdout);
    assert!(qa.stdout.contains("2 of 4"), "{}", qa.stdout);
}

#[test]
fn export_gives_back_the_input_texts() {
    let env = Env::new();
    ingest_both(&env);
    let out = env.run(&words(
        "export --all --status any --origin ingested --format jsonl --level turn",
    ));
    out.expect(0);
    let rows: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let texts_of = |id: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["conversation_id"] == id)
            .map(|r| r["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts_of("calls-000001-0001"), CALLS_TEXTS[0]);
    assert_eq!(texts_of("calls-000001-0002"), CALLS_TEXTS[1]);
    assert_eq!(
        texts_of("chats-000001-0001"),
        [
            "Quiero la baja",
            "¿Puedo preguntarle el motivo?",
            "El precio, \"caro\"."
        ]
    );
    assert!(rows.iter().all(|r| r["origin"] == "ingested"));
    // The CSV at conversation level, read back with the csv crate.
    env.run(&words(
        "export --all --status any --format csv --out all.csv",
    ))
    .expect(0);
    let mut reader = csv::Reader::from_path(env.path().join("all.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    let transcript = &records[0][col("transcript")];
    assert!(transcript.contains(CALLS_TEXTS[0][1]), "{transcript}");
    assert_eq!(&records[0][col("origin")], "ingested");
    assert_eq!(&records[0][col("started_at")], "2026-03-02T08:15:00.000Z");
}

#[test]
fn a_tampered_ingested_file_is_an_audit_finding() {
    let env = Env::new();
    ingest_both(&env);
    let path = env
        .data()
        .join("chats-000001/conversations/chats-000001-0002.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Buenas tardes", "Buenas noches")).unwrap();
    let audit = env.run(&words("audit --all"));
    audit.expect(1);
    assert!(
        audit.stdout.contains("chats-000001-0002") && audit.stdout.contains("sha256"),
        "{}",
        audit.stdout
    );
    let export = env.run(&words("export --all --format jsonl --out x.jsonl"));
    export.expect(1);
    assert!(!env.path().join("x.jsonl").exists());
}

#[test]
fn name_and_batch_size_split_the_batches() {
    let env = Env::new();
    env.write("calls.csv", CALLS_CSV);
    let args = format!("{CSV_ARGS} --name marzo --batch-size 1");
    let out = env.run(&words(&args));
    out.expect(1);
    assert_eq!(
        each_str(&out.json()["files"][0]["batches"], "batch_id"),
        ["marzo-000001", "marzo-000002"]
    );
    assert_eq!(
        conversation(&env, "marzo-000002", 1)["source"]["id"],
        "C-1002"
    );
    assert_eq!(conversation(&env, "marzo-000002", 1)["index"], 2);
    env.run(&words("ingest calls.csv --format csv --name ../x"))
        .expect(2)
        .stderr_has("--name `../x`");
    // A file with a header and no row registers nothing.
    env.write("empty.csv", "conversation_id,role,text\r\n");
    env.run(&words("ingest empty.csv --format csv"))
        .expect(0)
        .stderr_has("holds no conversation; nothing written");
    assert_eq!(
        env.run_json(&words("list runs --json"))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn ingested_files_validate_against_the_schema_and_a_mixed_one_does_not() {
    use crate::schema::{assert_valid, validator};
    let env = Env::new();
    ingest_both(&env);
    let conv_schema = validator(&env, "conversation");
    let batch_schema = validator(&env, "batch");
    let mut checked = 0;
    for batch in ["calls-000001", "chats-000001"] {
        let dir = env.data().join(batch);
        assert_valid(&batch_schema, &read_json(&dir.join("batch.json")), batch);
        for n in 1..=2 {
            assert_valid(&conv_schema, &conversation(&env, batch, n), batch);
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
    // Exactly one of prompt and source.
    let mut both = conversation(&env, "calls-000001", 1);
    both["prompt"] =
        serde_json::json!({"id": "p@0", "name": "p", "version": null, "revision": 1, "sha256": ""});
    assert!(!conv_schema.is_valid(&both));
    let mut neither = conversation(&env, "calls-000001", 1);
    neither.as_object_mut().unwrap().remove("source");
    assert!(!conv_schema.is_valid(&neither));
}

#[test]
fn ingested_conversations_are_selected_by_their_scenario_label() {
    let env = Env::new();
    ingest_both(&env);
    let listed = env.run_json(&words("list conversations --scenario unlabelled --json"));
    let n = listed.as_array().map_or(0, Vec::len);
    assert!(n >= 3, "{listed}");
    let out = env.run(&words(
        "export --all --scenario unlabelled --status any --format jsonl",
    ));
    out.expect(0);
    assert_eq!(out.stdout.lines().count(), n);
}
