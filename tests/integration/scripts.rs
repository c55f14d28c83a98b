//! Lua scripts: hooks honoured, determinism, hostile scripts refused, QA audit scripts.

use std::time::{Duration, Instant};

use crate::common::{Env, assert_has, read_json, small_prompt, words};

/// A prompt whose system text uses {{customer}}, with the given script beside it.
pub fn env_with_script(script: &str) -> Env {
    let env = Env::new();
    env.write(
        "prompts/demo.md",
        small_prompt("", None).replace(
            "Usted es un agente",
            "Usted atiende a {{customer}}; es un agente",
        ),
    );
    env.write("scripts/demo.lua", script);
    env
}

const EVERY_HOOK: &str = r#"
local M = {}
local names = { "Lucía Gómez", "Carlos Ruiz", "Marta Díaz" }
function M.select_scenario(ctx)
  assert(ctx.prompt.name == "demo" and ctx.prompt.turns == 6 and #ctx.prompt.roles == 2)
  assert(#ctx.scenarios == 2 and ctx.scenarios[1].id == "billing" and ctx.scenarios[1].weight == 3)
  assert(ctx.scenarios[1].attrs.tone == "molesto")
  assert(ctx.mode == "script")
  if ctx.index % 2 == 0 then return "cancel" end
  return "billing"
end
function M.variables(ctx)
  assert(ctx.scenario.id == "billing" or ctx.scenario.id == "cancel")
  return { customer = ctx.rng:choice(names), amount = ctx.index * 10, lucky = math.random(1, 6) }
end
function M.turn_latency(turn, ctx)
  assert(ctx.vars.customer ~= nil)
  if turn.index == 1 then return 1 end
  return 10
end
function M.validate_turn(turn, ctx)
  if turn.text == "" then return false, "empty" end
  return true
end
function M.validate_conversation(conv, ctx)
  assert(#conv.turns == 6 and conv.turns[1].role == "agent")
  assert(conv.variables.customer == ctx.vars.customer)
  if ctx.index % 5 == 0 then return false, { "index is a multiple of five", "second reason" } end
  return true
end
return M
"#;

#[test]
fn every_hook_is_honoured_and_recorded() {
    let env = env_with_script(EVERY_HOOK);
    let run = env.run(&words("generate --prompt demo --total 10 --batch-size 10 --seed 4 --start 2026-03-02T09:00:00Z --json"));
    run.expect(1);
    let v = run.json();
    assert_eq!(
        v["scenario_mode"], "script",
        "a select_scenario hook makes script mode the default"
    );
    assert_eq!(v["counts"]["valid"], 8);
    assert_eq!(v["counts"]["failed"], 2);
    for f in env.conversation_files() {
        let conv = read_json(&f);
        let index = conv["index"].as_u64().unwrap();
        let expected = if index.is_multiple_of(2) {
            "cancel"
        } else {
            "billing"
        };
        assert_eq!(conv["scenario"]["id"], expected);
        assert_eq!(conv["variables"]["amount"], index * 10);
        let customer = conv["variables"]["customer"].as_str().unwrap();
        assert!(["Lucía Gómez", "Carlos Ruiz", "Marta Díaz"].contains(&customer));
        assert!(
            conv["turns"].to_string().contains(customer),
            "the mock uses the variable"
        );
        assert_eq!(conv["script"]["path"], "scripts/demo.lua");
        assert_eq!(conv["script"]["sha256"].as_str().unwrap().len(), 64);
        let turns = conv["turns"].as_array().unwrap();
        assert_eq!(turns[0]["latency_ms"], 1000);
        for t in &turns[1..] {
            assert_eq!(t["latency_ms"], 10000);
        }
        let t0 =
            chrono::DateTime::parse_from_rfc3339(turns[0]["timestamp"].as_str().unwrap()).unwrap();
        let t5 =
            chrono::DateTime::parse_from_rfc3339(turns[5]["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!((t5 - t0).num_seconds(), 50);
        if index.is_multiple_of(5) {
            assert_eq!(conv["status"], "failed");
            assert_eq!(conv["attempts"], 3, "regenerated up to --max-attempts");
            assert_eq!(
                conv["issues"],
                serde_json::json!(["index is a multiple of five", "second reason"])
            );
        } else {
            assert_eq!(conv["status"], "valid");
            assert_eq!(conv["attempts"], 1);
        }
    }
    let batch = read_json(&env.data().join("demo-000001/batch.json"));
    assert_eq!(batch["script"]["path"], "scripts/demo.lua");
    let scripts = env.run_json(&["list", "scripts", "--json"]);
    assert_eq!(scripts.as_array().unwrap().len(), 1);
    // Editing the script registers a new version.
    env.write("scripts/demo.lua", format!("{EVERY_HOOK}\n-- edited\n"));
    env.run(&["generate", "--prompt", "demo", "--total", "1"])
        .expect(0);
    let scripts = env.run_json(&["list", "scripts", "--json"]);
    assert_eq!(scripts.as_array().unwrap().len(), 2);
    env.run(&["audit", "--all"]).expect(0);
}

#[test]
fn scripted_runs_are_identical_across_concurrency() {
    let a = env_with_script(EVERY_HOOK);
    let b = env_with_script(EVERY_HOOK);
    let generate = words(
        "generate --prompt demo --total 24 --batch-size 6 --seed 9 --start 2026-03-02T09:00:00Z",
    );
    a.run(&[&generate[..], &["--concurrency", "1"]].concat())
        .expect(1);
    b.run(&[&generate[..], &["--concurrency", "8"]].concat())
        .expect(1);
    a.assert_same_conversations(&b, 24);
}

/// A hostile or broken script: refused quickly, exit 2, the script (and hook) named, nothing on disk.
fn refused(script: &str, needles: &[&str]) {
    let env = env_with_script(script);
    let started = Instant::now();
    let out = env
        .command(&["generate", "--prompt", "demo", "--total", "3"])
        .env("CONVGEN_LUA_TIMEOUT", "1")
        .env("CONVGEN_LUA_MEMORY_MB", "32")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{script}\n{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_has(&stderr, "scripts/demo.lua");
    for n in needles {
        assert!(stderr.contains(n), "expected `{n}` in: {stderr}");
    }
    assert!(
        !env.data().exists(),
        "nothing created on disk for: {script}"
    );
    let check = env
        .command(&["check"])
        .env("CONVGEN_LUA_TIMEOUT", "1")
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(2),
        "check catches it too: {script}"
    );
}

const WITH_VARS: &str = "function M.variables(ctx) return { customer = 'Ana' } end\n";

#[test]
fn sandbox_escapes_are_refused() {
    refused(
        "os.execute('touch pwned')\nreturn {}",
        &["scripts/demo.lua:1:", "execute"],
    );
    refused(
        "local f = io.open('/etc/passwd')\nreturn {}",
        &["scripts/demo.lua:1:", "io"],
    );
    refused(
        "require('os')\nreturn {}",
        &["scripts/demo.lua:1:", "require"],
    );
    refused(
        "load('return 1')()\nreturn {}",
        &["scripts/demo.lua:1:", "load"],
    );
    refused(
        "dofile('/etc/passwd')\nreturn {}",
        &["scripts/demo.lua:1:", "dofile"],
    );
    refused(
        "local s = string.dump(print)\nreturn {}",
        &["scripts/demo.lua:1:", "dump"],
    );
    refused(
        "local home = os.getenv('HOME')\nreturn {}",
        &["scripts/demo.lua:1:", "getenv"],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.validate_turn(t) return debug.traceback() end\nreturn M"
        ),
        &["hook `validate_turn`", "debug"],
    );
}

#[test]
fn runaway_scripts_are_stopped() {
    refused("while true do end\nreturn {}", &["stopped"]);
    refused(
        "local M = {}\nfunction M.variables(ctx)\n  while true do end\nend\nreturn M",
        &["hook `variables`", "stopped"],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.turn_latency(t)\n  while true do pcall(function() while true do end end) end\nend\nreturn M"
        ),
        &["hook `turn_latency`", "stopped"],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.validate_turn(t)\n  local co = coroutine.wrap(function() while true do end end)\n  co()\nend\nreturn M"
        ),
        &["hook `validate_turn`", "stopped"],
    );
    refused(
        "local M = {}\nfunction M.variables(ctx)\n  local t = {}\n  for i = 1, 1e9 do t[i] = ('x'):rep(1000000) .. i end\nend\nreturn M",
        &["hook `variables`", "memory"],
    );
}

#[test]
fn time_spent_inside_a_library_call_is_bounded() {
    // A backtracking pattern runs inside C, where instruction hooks never fire.
    refused(
        "local M = {}\nfunction M.variables(ctx)\n  local s = ('x'):rep(4000)\n  s:find('(.-)(.-)(.-)y')\n  return { customer = 'Ana' }\nend\nreturn M",
        &["hook `variables`", "time limit"],
    );
}

#[test]
fn broken_scripts_are_refused_with_file_and_line() {
    refused(
        "local M = {\nfunction M.x() end\nreturn M",
        &["scripts/demo.lua:2:"],
    );
    refused(
        "local M = {}\nfunction M.variables(ctx)\n  error('no customers today')\nend\nreturn M",
        &["hook `variables`", "line 3: no customers today"],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.turn_latency(turn, ctx) return 'fast' end\nreturn M"
        ),
        &[
            "hook `turn_latency`",
            "returned string for turn 1; expected a number",
        ],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.turn_latency(turn, ctx) return -3 end\nreturn M"
        ),
        &["hook `turn_latency`", "returned -3"],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.validate_conversation(c, ctx) return 'yes' end\nreturn M"
        ),
        &[
            "hook `validate_conversation`",
            "returned string; expected true, or false and a reason",
        ],
    );
    refused(
        &format!(
            "local M = {{}}\n{WITH_VARS}function M.select_scenario(ctx) return 'nope' end\nreturn M"
        ),
        &[
            "hook `select_scenario`",
            "`nope`, which is not in the catalog",
        ],
    );
    refused(
        "local M = {}\nfunction M.variable(ctx) return {} end\nreturn M",
        &["did you mean `variables`?"],
    );
    refused(
        "return 42",
        &["must end with `return` and a table of hooks"],
    );
    refused(
        "return {}",
        &["uses {{customer}} (line 9), but nothing fills them"],
    );
    refused(
        "return { variables = function(ctx) return { client = 'Ana' } end }",
        &["the variables hook returns no `customer` for scenario"],
    );
}

#[test]
fn a_missing_variable_for_one_conversation_fails_it_with_a_reason() {
    let env = env_with_script(
        "local M = {}\nfunction M.variables(ctx)\n  if ctx.index == 3 then return {} end\n  return { customer = 'Ana' }\nend\nreturn M",
    );
    let v = env
        .run(&["generate", "--prompt", "demo", "--total", "3", "--json"])
        .expect(1)
        .json();
    assert_eq!(v["counts"]["failed"], 1);
    let conv = read_json(
        &env.data()
            .join("demo-000001/conversations/demo-000001-0003.json"),
    );
    assert_eq!(conv["status"], "failed");
    assert!(conv["issues"][0].as_str().unwrap().contains("{{customer}}"));
}

#[test]
fn print_and_log_go_to_the_run_log_not_stdout() {
    let env = env_with_script(
        "local M = {}\nprint('loading')\nfunction M.variables(ctx)\n  log.info('vars for', ctx.index)\n  log.warn('careful')\n  return { customer = 'Ana' }\nend\nreturn M",
    );
    let run = env.run(&[
        "generate", "--prompt", "demo", "--total", "2", "--seed", "1", "--json",
    ]);
    run.expect(0);
    run.json();
    run.stderr_has("[info] scripts/demo.lua");
    run.stderr_has("vars for\t1");
    let log = std::fs::read_to_string(env.data().join("run.log")).unwrap();
    assert!(
        log.contains("[warn]") && log.contains("careful") && log.contains("run-000001"),
        "{log}"
    );
}

#[test]
fn check_and_preview_run_the_hooks() {
    let env = env_with_script(EVERY_HOOK);
    let check = env.run(&["check"]);
    check.expect(0);
    check.stdout_has("script scripts/demo.lua (hooks: select_scenario, turn_latency, validate_conversation, validate_turn, variables)");
    let preview = env.run(&["preview", "--prompt", "demo", "--seed", "3"]);
    preview.expect(0);
    preview.stdout_has("nothing stored");
    preview.stdout_has("variables: amount=10");
    let json = env.run_json(&words("preview --prompt demo --scenario cancel --json"));
    assert_eq!(json["scenario"]["id"], "cancel");
    assert!(!env.data().exists(), "preview and check store nothing");
}

const QA_PASS: &str = r#"
return {
  check = function(conv, ctx)
    assert(ctx.conversation_id == conv.conversation_id and ctx.prompt.name == "demo")
    if #conv.turns ~= 6 then return false, "length" end
    return true
  end,
  summary = function(results) return #results .. " checked" end,
}
"#;

const QA_FAIL: &str = r#"
return {
  check = function(conv, ctx)
    if conv.index % 3 == 0 then return false, { "third call", "flagged" } end
    return true
  end,
}
"#;

#[test]
fn audit_scripts_pass_and_fail() {
    let env = Env::with_demo_prompt();
    env.write("qa/pass.lua", QA_PASS);
    env.write("qa/fail.lua", QA_FAIL);
    env.generate("demo", 6, 3, 1, &[]);
    let pass = env.run(&["audit", "--all", "--script", "qa/pass.lua"]);
    pass.expect(0);
    pass.stdout_has("qa summary: 6 checked");
    let fail = env.run(&["audit", "--all", "--script", "qa/fail.lua"]);
    fail.expect(1);
    fail.stdout_has("demo-000001-0003 [qa] third call; flagged");
    fail.stdout_has("demo-000002-0003 [qa]");
    fail.stdout_has("4 of 6 conversation(s) pass");
    let json = env
        .run(&["audit", "--all", "--script", "qa/fail.lua", "--json"])
        .expect(1)
        .json();
    assert_eq!(json["qa"]["failed"], 2);
    assert_eq!(json["clean"], false);
    env.write("qa/broken.lua", "return { chek = function() end }");
    env.run(&["audit", "--all", "--script", "qa/broken.lua"])
        .expect(2)
        .stderr_has("did you mean `check`?");
}

#[test]
fn shipped_script_and_qa_audit_work_together() {
    let env = Env::with_shipped_prompts();
    let v = env.generate("call_center_es", 40, 20, 11, &[]);
    assert_eq!(v["scenario_mode"], "script");
    assert_eq!(
        v["counts"]["valid"], 40,
        "the mock passes the shipped validation"
    );
    for f in env.conversation_files() {
        let conv = read_json(&f);
        assert_eq!(conv["script"]["path"], "scripts/call_center_es.lua");
        let vars = conv["variables"].as_object().unwrap();
        for key in ["customer", "agent", "company", "amount", "contract", "dni"] {
            assert!(vars.contains_key(key), "variable {key} missing");
        }
        let text = conv["turns"].to_string();
        assert!(
            text.contains(
                vars["customer"]
                    .as_str()
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
            )
        );
    }
    let audit = env.run(&[
        "audit",
        "--all",
        "--script",
        "scripts/audits/call_center_es_qa.lua",
    ]);
    audit.expect(0);
    audit.stdout_has("qa summary: ");
    // A hand-made agent turn in English is caught by the QA script.
    let file = &env.conversation_files()[0];
    let mut conv = read_json(file);
    conv["turns"][0]["text"] = "Hello, sorry, please wait.".into();
    std::fs::write(file, serde_json::to_vec_pretty(&conv).unwrap()).unwrap();
    let tampered = env.run(&[
        "audit",
        "--all",
        "--script",
        "scripts/audits/call_center_es_qa.lua",
    ]);
    tampered.expect(1);
    // Tampered files are reported by the integrity audit and not trusted for QA.
    tampered.stdout_has("[sha256_mismatch]");
}
