---@meta convgen
-- LuaLS type definitions for convgen scripts (SPEC §3, docs/lua-api.md).
--
-- This file is never run: it only tells editors (LuaLS, e.g. the "Lua" extension of
-- VS Code) what convgen hands to scripts, so they can complete names and flag typos.
-- The repository's .luarc.json points LuaLS at it.
--
-- Sandbox: scripts run in Lua 5.4 with only
--   * base functions, without load, loadfile, dofile, require and collectgarbage;
--   * string (without string.dump), table, math, utf8, coroutine;
--   * os.time, os.date and os.clock (nothing else from os);
--   * no io, no package, no debug: nothing reaches files, processes, the
--     environment or the network.
-- Limits per hook call: an instruction budget, a wall-clock limit, and a memory
-- limit per Lua state. A script that loops forever or allocates without bound is
-- stopped with an error naming the script, the hook and the conversation.
-- Determinism: draw every random value from ctx.rng (or math.random, the same
-- generator); never from os.time or os.clock.

--- How scenarios are chosen; "ingested" only in audits of ingested conversations.
---@alias convgen.Mode "fixed"|"random"|"weighted"|"script"|"ingested"

--- The prompt the conversation comes from (front matter).
---@class convgen.PromptInfo
---@field name string Prompt name, e.g. "call_center_es" (file stem unless set).
---@field title string Front-matter title.
---@field language string Front-matter language, e.g. "es".
---@field roles string[] Roles in speaking order, e.g. {"agent", "client"}.
---@field turns integer Number of turns every conversation has.

--- One scenario of the prompt's catalog (`### id: title` plus its TOML block).
---@class convgen.Scenario
---@field id string Scenario id, e.g. "billing_dispute".
---@field title string Scenario title, e.g. "Cobro duplicado en la factura".
---@field weight number Catalog weight (> 0, default 1).
---@field attrs table<string, any> Every other TOML key, as written (e.g. tone, resolution, product).
---@field text string The scenario's markdown text, placeholders not yet filled.

--- The per-conversation random generator, seeded from (run seed, conversation
--- index). Same seed and inputs ⇒ same draws, whatever the concurrency.
---@class convgen.Rng
local Rng = {}

--- A whole number in [a, b], both included. Error when a > b.
---@param a integer
---@param b integer
---@return integer
function Rng:int(a, b) end

--- A number in [0, 1).
---@return number
function Rng:float() end

--- One element of a non-empty list, uniformly. Error on an empty list.
---@generic T
---@param list T[]
---@return T
function Rng:choice(list) end

--- One element of a list of tables, drawn in proportion to `item[key]`
--- (items without `key` weigh 0; error when no item weighs more than 0).
--- Example: `ctx.rng:weighted(ctx.scenarios, "weight").id`.
---@generic T: table
---@param list T[]
---@param key string
---@return T
function Rng:weighted(list, key) end

--- What every hook receives as its last argument.
---@class convgen.Ctx
---@field prompt convgen.PromptInfo The prompt.
---@field scenarios convgen.Scenario[] The whole catalog, in file order.
---@field scenario convgen.Scenario|nil The chosen scenario (nil in select_scenario).
---@field index integer Conversation number in the run, from 1.
---@field batch_index integer Batch number in the run, from 1.
---@field mode convgen.Mode How the run chooses scenarios.
---@field vars table<string, any> The conversation's variables (empty in select_scenario and variables; in audits, conv.variables).
---@field rng convgen.Rng This conversation's random generator.
---@field conversation_id string e.g. "call_center_es-000001-0007".

--- One utterance: a plain table, shared by the hooks of its conversation
--- (turn_latency, validate_turn and conv.turns get the same table). Treat it as read-only.
---@class convgen.Turn
---@field index integer Position in the conversation, from 1.
---@field role string One of the prompt's roles, e.g. "agent".
---@field text string What is said.
---@field timestamp string|nil RFC 3339 UTC time (nil while latencies are being computed, or when timestamps = false).
---@field latency_ms integer|nil Milliseconds of silence before this turn (nil while being computed).

---@class convgen.PromptRef
---@field id string "<name>@<first 12 hex digits of sha256>".
---@field name string
---@field version string|nil Author's label from the front matter.
---@field revision integer 1 for the first content of this name, then 2, 3…
---@field sha256 string

---@class convgen.ScriptRef
---@field path string e.g. "scripts/call_center_es.lua".
---@field sha256 string

---@class convgen.ScenarioRef
---@field id string
---@field title string

---@class convgen.GeneratorRef
---@field provider string e.g. "mock".
---@field model string
---@field endpoint_host string|nil
---@field endpoint string|nil The `[[endpoints]]` entry that wrote it, when the run named endpoints.
---@field temperature number|nil
---@field seed integer The conversation's own seed.

--- The file an ingested conversation was read from.
---@class convgen.SourceRef
---@field path string The file, relative to where `convgen ingest` ran.
---@field sha256 string
---@field format "csv"|"jsonl"
---@field line integer The line (from 1) where the conversation starts.
---@field id string|nil Its id in the file, when it has one.

---@class convgen.Usage
---@field prompt_tokens integer
---@field completion_tokens integer

--- A conversation as written to disk. In validate_conversation, `status`,
--- `issues` and `created_at` are not final yet (the checks decide them).
--- A plain table; `turns` holds the conversation's shared turn tables.
---@class convgen.Conversation
---@field schema_version integer
---@field conversation_id string
---@field batch_id string
---@field run_id string
---@field origin "generated"|"ingested" Made by a generator, or read from real transcripts.
---@field index integer Conversation number in the run, from 1.
---@field prompt convgen.PromptRef|nil The prompt version; nil for an ingested conversation.
---@field source convgen.SourceRef|nil Where an ingested conversation was read from; nil for a generated one.
---@field script convgen.ScriptRef|nil
---@field scenario convgen.ScenarioRef
---@field variables table<string, any> What the variables hook returned.
---@field language string
---@field roles string[]
---@field generator convgen.GeneratorRef
---@field attempts integer
---@field status "valid"|"failed"
---@field issues string[]
---@field usage convgen.Usage
---@field created_at string
---@field request_ids string[]|nil Provider request ids (absent for the mock).
---@field turns convgen.Turn[]

--- The table a generation script returns. Every hook is optional; a missing
--- hook gets convgen's default.
---@class convgen.Hooks
--- Picks the scenario id (called with `--scenario-mode script`). Must be an id of ctx.scenarios.
---@field select_scenario? fun(ctx: convgen.Ctx): string
--- Per-conversation variables; fill the prompt's {{placeholders}}. Keys are strings; values strings, numbers, booleans or plain tables.
---@field variables? fun(ctx: convgen.Ctx): table<string, any>
--- Seconds of silence before this turn (a number ≥ 0).
---@field turn_latency? fun(turn: convgen.Turn, ctx: convgen.Ctx): number
--- true, or false and a reason (or a list of reasons).
---@field validate_turn? fun(turn: convgen.Turn, ctx: convgen.Ctx): boolean, (string|string[])?
--- true, or false and a reason (or a list of reasons).
---@field validate_conversation? fun(conv: convgen.Conversation, ctx: convgen.Ctx): boolean, (string|string[])?

--- One conversation's outcome, as audit `summary` receives it.
---@class convgen.AuditResult
---@field conversation_id string
---@field ok boolean
---@field reasons string[]

--- The table a QA audit script returns (`convgen audit --script FILE`).
--- In audits, ctx has prompt, scenarios, scenario, index, batch_index, vars
--- (= conv.variables), rng, conversation_id and mode.
---@class convgen.Audit
--- true, or false and a reason (or a list of reasons).
---@field check fun(conv: convgen.Conversation, ctx: convgen.Ctx): boolean, (string|string[])?
--- A text for the report, from every conversation's result.
---@field summary? fun(results: convgen.AuditResult[]): string|nil

--- Text helpers that know accents and «ñ» (Lua's own `string.lower` and
--- patterns only know A–Z and bytes). Native and fast: use them in hooks
--- that run on every turn.
---@class convgen.Text
text = {}

--- The text in lower case, for every alphabet: `text.lower("ÁLVARO")` → "álvaro".
---@param s string
---@return string
function text.lower(s) end

--- The words of a text, in lower case: runs of letters and digits; spaces,
--- «¿», «¡» and punctuation separate them.
--- `text.words("¿Tienes el DNI?")` → {"tienes", "el", "dni"}.
---@param s string
---@return string[]
function text.words(s) end

--- The first of `phrases` that occurs in `s`, ignoring case, or nil.
--- Plain text: "." or "%" are not patterns here.
--- `text.find_any("¿Algo MÁS?", {"algo más", "adiós"})` → "algo más".
---@param s string
---@param phrases string|string[]
---@return string|nil
function text.find_any(s, phrases) end

--- The first word of `s` that is in `words`, ignoring case; whole words only
--- ("tiene" does not match "tienes"). `words` is a list, or a set whose keys
--- are lower-case words. Returns the entry as listed, or nil.
--- `text.find_word("¿TIENES el DNI?", {"tú", "tienes"})` → "tienes".
---@param s string
---@param words string[]|table<string, any>
---@return string|nil
function text.find_word(s, words) end

--- Number of characters, not bytes: `text.len("año")` → 3 (`#"año"` is 4).
---@param s string
---@return integer
function text.len(s) end

--- The run log. Both take any values and join them with tabs, like print.
--- `print(...)` writes to the run log too (level info).
---@class convgen.Log
log = {}

--- An informational line in the run log.
---@param ... any
function log.info(...) end

--- A warning line in the run log.
---@param ... any
function log.warn(...) end

--- `math.random` and `math.randomseed` are the conversation's generator (ctx.rng):
--- `math.random()` → [0,1), `math.random(m)` → [1,m], `math.random(m, n)` → [m,n].
--- `math.randomseed(x)` restarts it from x (deterministic; rarely useful).
