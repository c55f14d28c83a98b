//! Issue 13: the LuaLS stub, `scripts/convgen.lua`, is checked in both
//! directions against what the real binary hands to scripts.
//!
//! The test parses the stub (`---@alias`, `---@class` / `---@field`, and the
//! `function X.f` / `function X:m` declarations), writes what it found into
//! a generation script and an audit script as a Lua table, and runs them
//! for real: `generate` against a loopback OpenAI-compatible endpoint (so the
//! optional lineage fields have values) and `audit --script`. In every hook
//! the scripts walk what they are given — `ctx`, `turn`, `conv`, the audit's
//! `results`, and the `text` and `log` tables — and report facts:
//!
//! - `missing`: documented, but nil at run time (and not marked optional);
//! - `undocumented`: a key `pairs` finds that the stub does not list;
//! - `wrong_type`: a value that does not match its documented type;
//! - `seen` / `visited`: which optional fields had a value, which classes
//!   were walked, so a test cannot pass by checking nothing.
//!
//! The facts come back as the conversation's issues (from
//! `validate_conversation`) and the audit's summary. The test compares them
//! as sets and prints the difference; a second test doctors the stub (a
//! field removed, one added, a function removed, one added) and shows each
//! direction reports it.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{Env, Run, read_json, repo, words};
use crate::llm_server::{Reply, TestServer, completion, conversation_json};

/// Classes that describe what scripts return or the global tables (checked
/// through [`Stub::globals`]), not data handed to hooks.
const NOT_HANDED_TO_LUA: &[&str] = &[
    "convgen.Hooks",
    "convgen.Audit",
    "convgen.Text",
    "convgen.Log",
];

/// One `---@field`.
#[derive(Debug)]
struct Field {
    name: String,
    ty: String,
    /// `name?`, or `nil` among the type's alternatives.
    optional: bool,
}

/// What the LuaLS stub declares.
#[derive(Debug, Default)]
struct Stub {
    aliases: BTreeMap<String, String>,
    classes: BTreeMap<String, Vec<Field>>,
    /// Methods (`function Rng:int`) by class.
    methods: BTreeMap<String, Vec<String>>,
    /// Functions of global tables (`function text.lower`) by table name.
    globals: BTreeMap<String, Vec<String>>,
}

/// The first type expression of `s`: up to whitespace outside brackets
/// (`table<string, any>` is one type).
fn type_token(s: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            ')' | '>' | '}' | ']' => depth -= 1,
            c if c.is_whitespace() && depth == 0 => return &s[..i],
            _ => {}
        }
    }
    s
}

/// Splits a type on `|` outside brackets.
fn alternatives(ty: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in ty.char_indices() {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            ')' | '>' | '}' | ']' => depth -= 1,
            '|' if depth == 0 => {
                out.push(&ty[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&ty[start..]);
    out
}

impl Stub {
    fn parse(text: &str) -> Stub {
        let mut stub = Stub::default();
        // Which class a `local X = {}` / `X = {}` line right after a class
        // block stands for, and whether that name is a global.
        let mut bound: BTreeMap<String, (String, bool)> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("---@alias ") {
                let name = type_token(rest);
                let ty = type_token(rest[name.len()..].trim_start());
                stub.aliases.insert(name.to_string(), ty.to_string());
            } else if let Some(rest) = line.strip_prefix("---@class ") {
                let name = type_token(rest).to_string();
                stub.classes.entry(name.clone()).or_default();
                current = Some(name);
            } else if let Some(rest) = line.strip_prefix("---@field ") {
                let Some(class) = &current else { continue };
                let name = type_token(rest);
                let ty = type_token(rest[name.len()..].trim_start());
                let optional =
                    name.ends_with('?') || alternatives(ty).iter().any(|a| a.trim() == "nil");
                stub.classes.get_mut(class).unwrap().push(Field {
                    name: name.trim_end_matches('?').to_string(),
                    ty: ty.to_string(),
                    optional,
                });
            } else if line.starts_with("---") {
                // Doc comments inside a class block keep it open.
            } else {
                if let Some(class) = current.take() {
                    let (global, rest) = match line.strip_prefix("local ") {
                        Some(rest) => (false, rest),
                        None => (true, line),
                    };
                    if let Some((name, value)) = rest.split_once('=')
                        && value.trim() == "{}"
                    {
                        bound.insert(name.trim().to_string(), (class, global));
                    }
                }
                if let Some(rest) = line.strip_prefix("function ")
                    && let Some(head) = rest.split('(').next()
                {
                    let (table, name, method) = match head.split_once(':') {
                        Some((t, n)) => (t, n, true),
                        None => match head.split_once('.') {
                            Some((t, n)) => (t, n, false),
                            None => continue,
                        },
                    };
                    let Some((class, global)) = bound.get(table) else {
                        panic!("`function {head}` on `{table}`, which no class names")
                    };
                    let list = if *global && !method {
                        stub.globals.entry(table.to_string()).or_default()
                    } else {
                        stub.methods.entry(class.clone()).or_default()
                    };
                    list.push(name.to_string());
                }
            }
        }
        stub
    }

    fn shipped() -> Stub {
        Stub::parse(&shipped_text())
    }

    /// The stub as a Lua table constructor.
    fn to_lua(&self) -> String {
        let s = |v: &str| format!("{v:?}");
        let list = |items: &[String]| items.iter().map(|i| s(i)).collect::<Vec<_>>().join(", ");
        let mut out = String::from("{\n  aliases = {\n");
        for (name, ty) in &self.aliases {
            out.push_str(&format!("    [{}] = {},\n", s(name), s(ty)));
        }
        out.push_str("  },\n  classes = {\n");
        for (name, fields) in &self.classes {
            out.push_str(&format!("    [{}] = {{\n", s(name)));
            for f in fields {
                out.push_str(&format!(
                    "      {{ name = {}, type = {}, optional = {} }},\n",
                    s(&f.name),
                    s(&f.ty),
                    f.optional
                ));
            }
            out.push_str("    },\n");
        }
        out.push_str("  },\n  methods = {\n");
        for (class, names) in &self.methods {
            out.push_str(&format!("    [{}] = {{ {} }},\n", s(class), list(names)));
        }
        out.push_str("  },\n  globals = {\n");
        for (table, names) in &self.globals {
            out.push_str(&format!("    [{}] = {{ {} }},\n", s(table), list(names)));
        }
        out.push_str("  },\n}");
        out
    }

    /// `GLOBALS = { text = text, … }`: the run-time tables of the stub's globals.
    fn globals_lua(&self) -> String {
        let pairs: Vec<String> = self
            .globals
            .keys()
            .map(|g| format!("[{g:?}] = {g}"))
            .collect();
        format!("{{ {} }}", pairs.join(", "))
    }
}

fn shipped_text() -> String {
    std::fs::read_to_string(repo().join("scripts/convgen.lua"))
        .expect("the LuaLS stub ships in scripts/")
}

/// The globals the stub's header ("Sandbox: …") promises, and the script's
/// own `STUB`, `SANDBOX` and `GLOBALS`: Lua 5.4's base functions without
/// `load`, `loadfile`, `dofile`, `require` and `collectgarbage`, then the
/// libraries. The convgen tables (`text`, `log`) come from the stub itself.
const SANDBOX_GLOBALS: &[&str] = &[
    "_G",
    "_VERSION",
    "assert",
    "error",
    "getmetatable",
    "ipairs",
    "next",
    "pairs",
    "pcall",
    "print",
    "rawequal",
    "rawget",
    "rawlen",
    "rawset",
    "select",
    "setmetatable",
    "tonumber",
    "tostring",
    "type",
    "warn",
    "xpcall",
    "string",
    "table",
    "math",
    "utf8",
    "coroutine",
    "os",
    "STUB",
    "SANDBOX",
    "GLOBALS",
];
/// All that is left of `os`.
const SANDBOX_OS: &[&str] = &["time", "date", "clock"];

/// The walker both scripts share; `STUB`, `SANDBOX` and `GLOBALS` are
/// defined before it.
const WALKER: &str = r#"
local facts, known = {}, {}
local function fact(kind, path, detail)
  local line = kind .. "\t" .. path .. "\t" .. (detail or "")
  if not known[line] then known[line] = true; facts[#facts + 1] = line end
end

-- Splits a type on `sep` outside brackets.
local function split(ty, sep)
  local parts, depth, start = {}, 0, 1
  for i = 1, #ty do
    local c = ty:sub(i, i)
    if c == "(" or c == "<" or c == "{" or c == "[" then depth = depth + 1
    elseif c == ")" or c == ">" or c == "}" or c == "]" then depth = depth - 1
    elseif c == sep and depth == 0 then parts[#parts + 1] = ty:sub(start, i - 1); start = i + 1 end
  end
  parts[#parts + 1] = ty:sub(start)
  return parts
end

-- The alternatives of a type, aliases and parentheses opened, `nil` left out.
local function alternatives(ty, out)
  out = out or {}
  for _, alt in ipairs(split(ty, "|")) do
    alt = alt:match("^%s*(.-)%s*$")
    local inner = alt:match("^%((.*)%)$")
    if inner then alternatives(inner, out)
    elseif STUB.aliases[alt] then alternatives(STUB.aliases[alt], out)
    elseif alt ~= "nil" then out[#out + 1] = alt end
  end
  return out
end

local function is_class(alt) return STUB.classes[alt] ~= nil or STUB.methods[alt] ~= nil end

-- Whether `v` has the outer shape of one alternative.
local function is(v, alt)
  if alt == "any" then return true end
  if alt == "string" or alt == "boolean" or alt == "number" or alt == "table" then
    return type(v) == alt
  end
  if alt == "integer" then return math.type(v) == "integer" end
  local lit = alt:match('^"(.*)"$')
  if lit then return v == lit end
  if alt:match("%[%]$") or alt:match("^table<") then return type(v) == "table" end
  if alt:match("^fun%(") then return type(v) == "function" end
  if is_class(alt) then return type(v) == "table" or type(v) == "userdata" end
  return false
end

local walk_class

local function walk_value(v, ty, path)
  for _, alt in ipairs(alternatives(ty)) do
    if is(v, alt) then
      local elem = alt:match("^(.*)%[%]$")
      local key_ty, value_ty = alt:match("^table<(.*)>$"), nil
      if key_ty then
        local kv = split(key_ty, ",")
        key_ty, value_ty = kv[1], kv[2]
      end
      if elem then
        local n = 0
        for _ in pairs(v) do n = n + 1 end
        if n ~= #v then fact("wrong_type", path, "not a list, documented as " .. ty) end
        for _, x in ipairs(v) do walk_value(x, elem, path .. "[]") end
      elseif key_ty then
        for k, x in pairs(v) do
          walk_value(k, key_ty, path .. "<key>")
          walk_value(x, value_ty, path .. "[" .. tostring(k) .. "]")
        end
      elseif is_class(alt) then
        walk_class(v, alt, path)
      end
      return
    end
  end
  fact("wrong_type", path, string.format("%s %s, documented as %s",
    math.type(v) or type(v), tostring(v), ty))
end

walk_class = function(v, class, path)
  fact("visited", class)
  for _, m in ipairs(STUB.methods[class] or {}) do
    if type(v[m]) ~= "function" then fact("missing", path .. ":" .. m .. "()", class) end
  end
  local fields = STUB.classes[class] or {}
  local documented = {}
  for _, f in ipairs(fields) do
    documented[f.name] = true
    local x = v[f.name]
    if x == nil then
      if not f.optional then fact("missing", path .. "." .. f.name, class) end
    else
      fact("seen", class .. "." .. f.name)
      walk_value(x, f.type, path .. "." .. f.name)
    end
  end
  -- A userdata (ctx.rng) has no keys to walk.
  if type(v) == "table" then
    for k in pairs(v) do
      if not documented[k] then fact("undocumented", path .. "." .. tostring(k), class) end
    end
  end
end

local function walk_globals(hook)
  -- The sandbox's globals: the stub's header lists the libraries, the
  -- stub's declarations the convgen tables.
  local expected = {}
  for _, name in ipairs(SANDBOX.globals) do expected[name] = true end
  for name in pairs(STUB.globals) do expected[name] = true end
  for name in pairs(expected) do
    if _ENV[name] == nil then fact("missing", hook .. ":_ENV." .. name, "sandbox") end
  end
  for name in pairs(_ENV) do
    if not expected[name] then fact("undocumented", hook .. ":_ENV." .. tostring(name), "sandbox") end
  end
  local os_expected = {}
  for _, name in ipairs(SANDBOX.os) do
    os_expected[name] = true
    if type(os[name]) ~= "function" then fact("missing", hook .. ":os." .. name .. "()", "sandbox") end
  end
  for name in pairs(os) do
    if not os_expected[name] then fact("undocumented", hook .. ":os." .. tostring(name), "sandbox") end
  end
  if string.dump ~= nil then fact("undocumented", hook .. ":string.dump", "sandbox") end
  for name, functions in pairs(STUB.globals) do
    local t = GLOBALS[name]
    if type(t) ~= "table" then
      fact("missing", hook .. ":" .. name, "global table")
    else
      local documented = {}
      for _, f in ipairs(functions) do
        documented[f] = true
        if type(t[f]) ~= "function" then fact("missing", hook .. ":" .. name .. "." .. f .. "()", name) end
      end
      for k in pairs(t) do
        if not documented[k] then fact("undocumented", hook .. ":" .. name .. "." .. tostring(k), name) end
      end
    end
  end
end
"#;

/// The generation script: every hook walks its arguments; the last one,
/// `validate_conversation`, hands back every fact as a reason.
const GENERATION_HOOKS: &str = r#"
local M = {}
function M.select_scenario(ctx)
  walk_globals("select_scenario")
  walk_value(ctx, "convgen.Ctx", "select_scenario:ctx")
  return ctx.scenarios[1].id
end
function M.variables(ctx)
  walk_value(ctx, "convgen.Ctx", "variables:ctx")
  return { customer = "Lucía", nested = { list = { 1, 2 } } }
end
function M.turn_latency(turn, ctx)
  walk_value(turn, "convgen.Turn", "turn_latency:turn")
  walk_value(ctx, "convgen.Ctx", "turn_latency:ctx")
  return 1.5
end
function M.validate_turn(turn, ctx)
  walk_value(turn, "convgen.Turn", "validate_turn:turn")
  walk_value(ctx, "convgen.Ctx", "validate_turn:ctx")
  return true
end
function M.validate_conversation(conv, ctx)
  walk_globals("validate_conversation")
  walk_value(conv, "convgen.Conversation", "validate_conversation:conv")
  walk_value(ctx, "convgen.Ctx", "validate_conversation:ctx")
  return false, facts
end
return M
"#;

/// The audit script: `check` and `summary` walk their arguments; `summary`
/// hands back every fact, one a line.
const AUDIT_HOOKS: &str = r#"
return {
  check = function(conv, ctx)
    walk_globals("check")
    walk_value(conv, "convgen.Conversation", "check:conv")
    walk_value(ctx, "convgen.Ctx", "check:ctx")
    return true
  end,
  summary = function(results)
    walk_value(results, "convgen.AuditResult[]", "summary:results")
    return table.concat(facts, "\n")
  end,
}
"#;

const PROMPT: &str = "+++\ntitle = \"Prueba\"\nversion = \"v7\"\nlanguage = \"es\"\nroles = [\"agent\", \"client\"]\nturns = 4\ntimestamps = true\ntemperature = 0.4\n+++\nUsted atiende a {{customer}}.\n\n## Scenarios\n\n### billing: Disputa de factura\n```toml\nweight = 3\ntone = \"molesto\"\n```\nCobro doble.\n\n### cancel: Baja del servicio\nQuiere la baja.\n";

/// Every fact the scripts reported, by kind.
#[derive(Debug, Default)]
struct Facts(BTreeMap<String, BTreeSet<String>>);

impl Facts {
    fn add(&mut self, lines: impl IntoIterator<Item = String>) {
        for line in lines {
            let mut parts = line.splitn(3, '\t');
            let kind = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let detail = parts.next().unwrap_or("");
            let entry = if detail.is_empty() || kind == "seen" || kind == "visited" {
                path
            } else {
                format!("{path} ({detail})")
            };
            self.0.entry(kind).or_default().insert(entry);
        }
    }

    fn of(&self, kind: &str) -> BTreeSet<String> {
        self.0.get(kind).cloned().unwrap_or_default()
    }
}

/// Generates one conversation and audits it with scripts built from `stub`;
/// returns every fact both runs reported.
fn run_with(stub: &Stub) -> Facts {
    let names = |list: &[&str]| {
        list.iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let prelude = format!(
        "STUB = {}\nSANDBOX = {{ globals = {{ {} }}, os = {{ {} }} }}\nGLOBALS = {}\n{WALKER}",
        stub.to_lua(),
        names(SANDBOX_GLOBALS),
        names(SANDBOX_OS),
        stub.globals_lua()
    );
    let env = Env::new();
    env.write("prompts/demo.md", PROMPT);
    env.write("scripts/demo.lua", format!("{prelude}{GENERATION_HOOKS}"));
    env.write("qa/stub.lua", format!("{prelude}{AUDIT_HOOKS}"));
    let body = completion(&conversation_json(&["agent", "client"], 4), "stop", 40, 30);
    let server = TestServer::start(move |_, _| {
        Reply::ok(body.clone()).with_header("x-request-id", "req-stub-1")
    });
    // A named endpoint, so `generator.endpoint` has a value too.
    env.write(
        "convgen.toml",
        format!(
            "[[endpoints]]\nname = \"loop\"\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nkey_env = \"STUB_KEY\"\nmodel = \"model-loop\"\n",
            server.url()
        ),
    );
    let generated = Run::from(
        env.command(&words(
            "generate --prompt demo --total 1 --max-attempts 1 --seed 4 --json",
        ))
        .env("STUB_KEY", "sk-stub")
        .output()
        .expect("run convgen generate"),
    );
    // `validate_conversation` hands its facts back as reasons, so the
    // conversation is recorded as failed: exit 1, not 2 (a script error).
    generated.expect(1);
    let files = env.conversation_files();
    assert_eq!(files.len(), 1, "{}", generated.stderr);
    let conv = read_json(&files[0]);
    assert_eq!(conv["generator"]["endpoint"], "loop", "{conv:#}");
    let mut facts = Facts::default();
    facts.add(
        conv["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string()),
    );

    // An ingested conversation too (issue 16): `prompt` nil, `source` set.
    env.write(
        "real.jsonl",
        "{\"id\": \"r-1\", \"turns\": [{\"role\": \"agent\", \"text\": \"Hola\"}, {\"role\": \"client\", \"text\": \"Buenas\"}]}\n",
    );
    env.run(&words("ingest real.jsonl --format jsonl"))
        .expect(0);
    let audit = env.run(&["audit", "--all", "--script", "qa/stub.lua", "--json"]);
    let report = audit.expect(0).json();
    assert_eq!(report["findings"], 0, "{report:#}");
    let summary = report["qa"]["summary"]
        .as_str()
        .unwrap_or_else(|| panic!("no QA summary: {report:#}"));
    facts.add(summary.lines().map(str::to_string));
    facts
}

/// Classes handed to Lua: all but the ones describing what scripts return.
fn handed_classes(stub: &Stub) -> BTreeSet<String> {
    stub.classes
        .keys()
        .filter(|c| !NOT_HANDED_TO_LUA.contains(&c.as_str()))
        .cloned()
        .collect()
}

fn optional_fields(stub: &Stub) -> BTreeSet<String> {
    let handed = handed_classes(stub);
    stub.classes
        .iter()
        .filter(|(c, _)| handed.contains(*c))
        .flat_map(|(c, fields)| {
            fields
                .iter()
                .filter(|f| f.optional)
                .map(move |f| format!("{c}.{}", f.name))
        })
        .collect()
}

#[test]
fn the_stub_parses_into_the_api() {
    let stub = Stub::shipped();
    let names =
        |c: &str| -> BTreeSet<&str> { stub.classes[c].iter().map(|f| f.name.as_str()).collect() };
    // The parser found the API, so the run-time checks below check something.
    for c in [
        "convgen.Ctx",
        "convgen.Turn",
        "convgen.Conversation",
        "convgen.AuditResult",
        "convgen.Rng",
    ] {
        assert!(
            stub.classes.contains_key(c),
            "{c}: {:?}",
            stub.classes.keys()
        );
    }
    assert!(names("convgen.Ctx").contains("rng") && names("convgen.Turn").contains("latency_ms"));
    assert!(names("convgen.Conversation").len() >= 19);
    assert_eq!(
        stub.methods["convgen.Rng"],
        ["int", "float", "choice", "weighted"]
    );
    for (table, functions) in [
        (
            "text",
            &["lower", "words", "find_any", "find_word", "len"][..],
        ),
        ("log", &["info", "warn"][..]),
    ] {
        for f in functions {
            assert!(stub.globals[table].iter().any(|g| g == f), "{table}.{f}");
        }
    }
    assert!(stub.aliases.contains_key("convgen.Mode"));
    let turn = &stub.classes["convgen.Turn"];
    let timestamp = turn.iter().find(|f| f.name == "timestamp").unwrap();
    assert!(timestamp.optional && timestamp.ty == "string|nil");
    let vars = stub.classes["convgen.Ctx"]
        .iter()
        .find(|f| f.name == "vars")
        .unwrap();
    assert_eq!(vars.ty, "table<string, any>");
}

/// Both directions at once: nothing documented is missing, nothing handed
/// over is undocumented, every value has its documented type, every class
/// handed to Lua was walked and every optional field had a value somewhere.
#[test]
fn the_stub_and_the_tables_handed_to_lua_agree() {
    let stub = Stub::shipped();
    let facts = run_with(&stub);
    let missing = facts.of("missing");
    let undocumented = facts.of("undocumented");
    let wrong = facts.of("wrong_type");
    assert!(
        missing.is_empty() && undocumented.is_empty() && wrong.is_empty(),
        "scripts/convgen.lua and the run time disagree.\n\
         documented but missing at run time:\n  {}\n\
         handed to Lua but not documented:\n  {}\n\
         not of the documented type:\n  {}",
        join(&missing),
        join(&undocumented),
        join(&wrong)
    );
    let not_walked: Vec<_> = handed_classes(&stub)
        .difference(&facts.of("visited"))
        .cloned()
        .collect();
    assert!(
        not_walked.is_empty(),
        "classes of the stub no hook was handed: {not_walked:?}"
    );
    let never: Vec<_> = optional_fields(&stub)
        .difference(&facts.of("seen"))
        .cloned()
        .collect();
    assert!(
        never.is_empty(),
        "optional fields that never had a value, so their existence is unchecked: {never:?}"
    );
}

/// The same test on a doctored stub: one field taken out and one invented,
/// one function taken out and one invented. Each is reported, in the hook
/// and with the path where it happens.
#[test]
fn a_doctored_stub_is_caught_in_both_directions() {
    let text = shipped_text();
    let doctored = text
        .replacen(
            "---@field latency_ms integer|nil",
            "---@field latency_msec integer Renamed.\n---@field latency_ms_old integer|nil",
            1,
        )
        .replacen(
            "---@field index integer Position in the conversation, from 1.\n",
            "",
            1,
        )
        .replacen(
            "---@field mode convgen.Mode",
            "---@field invented string Not there.\n---@field mode convgen.Mode",
            1,
        )
        .replacen("function text.len(s) end", "function text.shout(s) end", 1)
        .replacen("function Rng:float() end", "function Rng:gauss() end", 1)
        .replacen("---@field attempts integer", "---@field attempts string", 1);
    assert_ne!(text, doctored);
    let stub = Stub::parse(&doctored);
    let facts = run_with(&stub);
    let missing = facts.of("missing");
    let undocumented = facts.of("undocumented");
    let wrong = facts.of("wrong_type");
    for needle in [
        "validate_turn:turn.latency_msec (convgen.Turn)",
        "select_scenario:ctx.invented (convgen.Ctx)",
        "check:ctx.invented (convgen.Ctx)",
        "select_scenario:text.shout() (text)",
        "variables:ctx.rng:gauss() (convgen.Rng)",
        "check:ctx.rng:gauss() (convgen.Rng)",
    ] {
        assert!(
            missing.contains(needle),
            "{needle} not in missing:\n  {}",
            join(&missing)
        );
    }
    for needle in [
        "turn_latency:turn.index (convgen.Turn)",
        "validate_conversation:conv.turns[].index (convgen.Turn)",
        "validate_turn:turn.latency_ms (convgen.Turn)",
        "select_scenario:text.len (text)",
        "check:text.len (text)",
    ] {
        assert!(
            undocumented.contains(needle),
            "{needle} not in undocumented:\n  {}",
            join(&undocumented)
        );
    }
    assert!(
        wrong.contains("validate_conversation:conv.attempts (integer 1, documented as string)"),
        "{}",
        join(&wrong)
    );
    assert!(
        facts.of("seen").contains("convgen.Ctx.scenario"),
        "the walk went on past the errors"
    );
}

fn join(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        return "(none)".into();
    }
    set.iter().cloned().collect::<Vec<_>>().join("\n  ")
}
