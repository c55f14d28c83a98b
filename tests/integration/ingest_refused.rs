//! `convgen ingest` (issue 16) refusing: a file already ingested is not
//! ingested twice unless `--again`; an unparseable CSV or JSONL file is
//! refused with `file:line`, and nothing is written or registered.

use crate::common::{Env, each_str, files_under, words};
use crate::ingest::{CSV_ARGS, ingest_both};

/// Every artefact under the data dir with its sha256 (the registry file
/// and locks aside: redb may touch its file on a read), then what the
/// registry lists.
fn snapshot(env: &Env) -> Vec<String> {
    if !env.data().exists() {
        return Vec::new();
    }
    let mut out: Vec<String> = files_under(&env.data())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "txt"))
        .map(|p| {
            let sha = convgen::prompt::sha256_hex(&std::fs::read(&p).unwrap());
            format!("{} {sha}", p.display())
        })
        .collect();
    out.sort();
    for what in ["runs", "batches", "conversations"] {
        let listed = env.run_json(&["list", what, "--json"]);
        out.push(format!("{what}: {}", listed.as_array().unwrap().len()));
    }
    out
}

#[test]
fn a_registered_file_is_not_ingested_twice_unless_again() {
    let env = Env::new();
    ingest_both(&env);
    let before = snapshot(&env);
    // Under another name too: the content is what counts.
    std::fs::copy(env.path().join("calls.csv"), env.path().join("copia.csv")).unwrap();
    let again = env.run(&words(&CSV_ARGS.replace("calls.csv", "copia.csv")));
    again
        .expect(0)
        .stderr_has("already ingested in calls-000001");
    assert_eq!(again.json()["files"][0]["already_in"][0], "calls-000001");
    assert_eq!(snapshot(&env), before, "nothing written");
    let batches = env.run_json(&words("list batches --json"));
    assert_eq!(
        each_str(&batches, "batch_id"),
        ["calls-000001", "chats-000001"]
    );

    let forced = env.run(&words(&format!("{CSV_ARGS} --again")));
    forced.expect(1);
    assert_eq!(
        each_str(&forced.json()["files"][0]["batches"], "batch_id"),
        ["calls-000002"]
    );
    env.run(&words("audit --all")).expect(0);
}

/// Runs an ingest that must be refused with `needle` on stderr, twice:
/// into a fresh data dir (which must stay absent) and into one holding
/// earlier batches (which must stay byte-identical).
fn refused(name: &str, contents: &str, args: &str, needle: &str) {
    let fresh = Env::new();
    fresh.write(name, contents);
    fresh
        .run(&words(args))
        .expect(2)
        .stderr_has(needle)
        .stderr_has("nothing ingested");
    assert!(!fresh.data().exists(), "nothing written or registered");

    let used = Env::new();
    ingest_both(&used);
    let before = snapshot(&used);
    used.write(name, contents);
    used.run(&words(args)).expect(2).stderr_has(needle);
    assert_eq!(snapshot(&used), before, "nothing written or registered");
    let runs = used.run_json(&words("list runs --json"));
    assert_eq!(runs.as_array().unwrap().len(), 2);
}

#[test]
fn an_unclosed_quote_at_the_end_of_a_csv_is_refused_with_its_line() {
    refused(
        "broken.csv",
        "conversation_id,role,text\r\nc1,agent,Hola\r\nc1,client,\"Se cortó la\r\nc1,agent,llamada\r\n",
        "ingest broken.csv --format csv",
        "broken.csv:3: a quoted field is not closed",
    );
}

#[test]
fn an_invalid_jsonl_line_is_refused_with_its_line() {
    refused(
        "broken.jsonl",
        "{\"id\": 1, \"turns\": [{\"role\": \"a\", \"text\": \"x\"}]}\n{\"id\": 2, \"turns\": [{\"role\": \"a\", \"text\": \"x\"}\n",
        "ingest broken.jsonl --format jsonl",
        "broken.jsonl:2: invalid JSON",
    );
}

#[test]
fn a_missing_column_or_ragged_row_is_refused() {
    refused(
        "calls.csv",
        "call_id,speaker,text\nc1,A,x\n",
        "ingest calls.csv --format csv --columns conversation=call_id,role=who",
        "calls.csv:1: no column `who` in the header (call_id, speaker, text)",
    );
    refused(
        "ragged.csv",
        "conversation_id,role,text\nc1,a,x\nc1,b\n",
        "ingest ragged.csv --format csv",
        "ragged.csv:3: the row has 2 fields, the header 3",
    );
}

#[test]
fn rows_of_one_call_spread_through_the_file_make_one_conversation() {
    let env = Env::new();
    env.write(
        "mixed.csv",
        "conversation_id,role,text,timestamp\n\
         a,agent,Hola A,2026-03-02T09:00:00Z\n\
         b,agent,Hola B,2026-03-02T09:00:01Z\n\
         a,client,Adiós A,2026-03-02T09:00:02Z\n\
         b,client,Adiós B,2026-03-02T09:00:03Z\n",
    );
    let out = env.run(&words("ingest mixed.csv --format csv --json"));
    out.expect(0);
    assert_eq!(out.json()["files"][0]["counts"]["valid"], 2);
    let rows = env.run(&words("export --all --format jsonl --level turn"));
    let texts: Vec<String> = rows
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].to_string())
        .collect();
    assert_eq!(
        texts,
        ["\"Hola A\"", "\"Adiós A\"", "\"Hola B\"", "\"Adiós B\""]
    );
}

#[test]
fn a_quote_left_open_early_in_a_large_file_is_refused_without_reading_it_whole() {
    let mut text = String::from("conversation_id,role,text\nc1,agent,Hola\nc1,client,\"se corta\n");
    let row = "c1,agent,una línea más de la llamada que sigue y sigue\n";
    while text.len() < 17 * 1024 * 1024 {
        text.push_str(row);
    }
    refused(
        "big.csv",
        &text,
        "ingest big.csv --format csv",
        "big.csv:3: cannot be read: a record longer than 16 MiB (a quote left open?)",
    );
}

#[test]
fn a_fifo_named_as_the_file_is_refused_without_waiting_on_it() {
    let env = Env::new();
    crate::hostile_fs::mkfifo(&env.path().join("calls.csv"));
    let done = env.run_measured(
        &words("ingest calls.csv --format csv"),
        &[("X", "")],
        std::time::Duration::from_secs(60),
    );
    done.run
        .expect(2)
        .stderr_has("calls.csv: not a regular file");
    assert!(!env.data().exists(), "nothing is written");
}
