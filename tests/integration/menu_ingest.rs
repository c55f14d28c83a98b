//! The operator menu's "ingest a file" (issue 16), driven in tmux: file,
//! format, the column mapping guessed from the header, the speaker mapping,
//! a preview of the first conversation, then the batches.

use crate::common::{Env, assert_has, read_json};
use crate::ingest::CALLS_CSV;
use crate::menu::Terminal;

#[test]
fn an_operator_ingests_a_csv_after_seeing_its_first_conversation() {
    let env = Env::with_shipped_prompts();
    env.write("exports/calls.csv", CALLS_CSV);
    let t = Terminal::start(&env, "menu-ingest");
    t.wait_for("Ingest a file (CSV or JSONL)");
    // Below the prompts: up from the first wraps to the last entry.
    t.keys(&["Up", "Enter"]);
    t.wait_for("File to ingest");
    t.keys(&["-l", "exports/calls.csv"]);
    t.keys(&["Enter"]);
    t.wait_for("Format");
    t.keys(&["Enter"]); // csv, as the extension says
    let screen = t.wait_for("Columns (KEY=COLUMN");
    assert_has(
        &screen,
        "Columns in the file: call_id, speaker, utterance, start_time, queue",
    );
    t.wait_for("conversation=call_id,role=speaker,text=utterance,timestamp=start_time");
    t.keys(&["Enter"]);
    t.wait_for("Speaker labels to roles");
    t.keys(&["-l", "AGENTE=agent,CLIENTE=client"]);
    t.keys(&["Enter"]);
    let screen = t.wait_for("Ingest exports/calls.csv?");
    assert_has(&screen, "2 conversation(s), 6 row(s)");
    assert_has(
        &screen,
        "first conversation C-1001 (line 2), roles agent, client:",
    );
    assert_has(
        &screen,
        "[2026-03-02T08:15:00Z] agent: Buenos días, le atiende Marta.",
    );
    assert!(
        !env.data().exists(),
        "nothing written before the confirmation"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("EXIT=");
    assert_has(&screen, "2 conversations (1 valid, 1 failed)");
    assert_has(&screen, "EXIT=1");
    let c = read_json(
        &env.data()
            .join("calls-000001/conversations/calls-000001-0001.json"),
    );
    assert_eq!(c["origin"], "ingested");
    assert_eq!(c["source"]["path"], "exports/calls.csv");
    assert_eq!(c["turns"][1]["role"], "client");
}

#[test]
fn a_file_the_menu_cannot_parse_is_shown_and_asked_again() {
    let env = Env::with_shipped_prompts();
    env.write("bad.jsonl", "{\"turns\": [\n");
    let t = Terminal::start(&env, "menu-ingest-bad");
    t.wait_for("Ingest a file (CSV or JSONL)");
    t.keys(&["Up", "Enter"]);
    t.wait_for("File to ingest");
    t.keys(&["-l", "bad.jsonl"]);
    t.keys(&["Enter"]);
    t.wait_for("Format");
    t.keys(&["Enter"]); // jsonl, as the extension says
    t.wait_for("Speaker labels to roles");
    t.keys(&["Enter"]);
    let screen = t.wait_for("bad.jsonl:1: invalid JSON");
    assert_has(&screen, "File to ingest");
    t.keys(&["Escape"]);
    assert!(!env.data().exists(), "nothing written");
}
