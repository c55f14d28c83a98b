//! `turn` and `conv`: the turn and conversation tables hooks receive.
//!
//! Both are plain Lua tables, built whole. A conversation's turn tables are
//! built once and shared by its hooks: `turn_latency`, `validate_turn` and
//! `conv.turns` get the same tables. A turn's table is built again only
//! when its text changes (a retry); once the turns are timed, `timestamp`
//! and `latency_ms` are set on the tables already built. The conversation
//! table is built whole for each `validate_conversation` call (and each
//! audit `check`): nothing in it is shared with another conversation.

use mlua::{Lua, Table, Value};

use super::plain;
use crate::conversation::{Conversation, Turn};

/// The turn and conversation tables of one state.
#[derive(Default)]
pub struct Tables {
    /// The conversation the turn tables belong to.
    conversation_id: String,
    /// Each turn table, by position, with the turn it was built from.
    turns: Vec<(Turn, Table)>,
}

/// Sets up the turn and conversation tables of a state.
pub fn register(_lua: &Lua) -> Tables {
    Tables::default()
}

/// Copies `from` into `into`, reusing its strings' buffers.
fn copy_turn(into: &mut Turn, from: &Turn) {
    into.index = from.index;
    into.role.clone_from(&from.role);
    into.text.clone_from(&from.text);
    into.timestamp.clone_from(&from.timestamp);
    into.latency_ms = from.latency_ms;
}

/// A turn's table.
fn turn_table(lua: &Lua, turn: &Turn) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 5)?;
    t.raw_set("index", turn.index)?;
    t.raw_set("role", turn.role.as_str())?;
    t.raw_set("text", turn.text.as_str())?;
    set_times(&t, turn)?;
    Ok(t)
}

/// Sets (or clears) a turn table's `timestamp` and `latency_ms`.
fn set_times(t: &Table, turn: &Turn) -> mlua::Result<()> {
    t.raw_set("timestamp", turn.timestamp.as_deref())?;
    t.raw_set(
        "latency_ms",
        turn.latency_ms
            .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
    )
}

impl Tables {
    /// The tables of `turns`, in order: the ones already built for this
    /// conversation where a turn is unchanged (retimed if its times
    /// changed), new ones where not. A new conversation starts afresh.
    pub fn turns(
        &mut self,
        lua: &Lua,
        conversation_id: &str,
        turns: &[Turn],
    ) -> mlua::Result<Vec<Table>> {
        let result = self.sync(lua, conversation_id, turns);
        if result.is_err() {
            // Start over next time rather than trust a half-done update.
            self.conversation_id.clear();
        }
        result
    }

    fn sync(
        &mut self,
        lua: &Lua,
        conversation_id: &str,
        turns: &[Turn],
    ) -> mlua::Result<Vec<Table>> {
        let fresh = self.conversation_id != conversation_id;
        if fresh {
            self.conversation_id.clear();
            self.conversation_id.push_str(conversation_id);
        }
        let mut out = Vec::with_capacity(turns.len());
        for (i, turn) in turns.iter().enumerate() {
            match self.turns.get_mut(i) {
                Some((known, t))
                    if !fresh
                        && known.index == turn.index
                        && known.role == turn.role
                        && known.text == turn.text =>
                {
                    if known.timestamp != turn.timestamp || known.latency_ms != turn.latency_ms {
                        set_times(t, turn)?;
                        known.timestamp.clone_from(&turn.timestamp);
                        known.latency_ms = turn.latency_ms;
                    }
                    out.push(t.clone());
                }
                slot => {
                    let t = turn_table(lua, turn)?;
                    match slot {
                        Some((known, table)) => {
                            copy_turn(known, turn);
                            *table = t.clone();
                        }
                        None => self.turns.push((turn.clone(), t.clone())),
                    }
                    out.push(t);
                }
            }
        }
        self.turns.truncate(turns.len());
        Ok(out)
    }

    /// `conv.prompt` (none for an ingested conversation), `conv.script` and `conv.roles`.
    fn run_parts(
        lua: &Lua,
        conv: &Conversation,
    ) -> mlua::Result<(Option<Table>, Option<Table>, Table)> {
        let prompt = match &conv.prompt {
            Some(p) => {
                let t = lua.create_table_with_capacity(0, 5)?;
                t.raw_set("id", p.id.as_str())?;
                t.raw_set("name", p.name.as_str())?;
                t.raw_set("version", p.version.as_deref())?;
                t.raw_set("revision", p.revision)?;
                t.raw_set("sha256", p.sha256.as_str())?;
                Some(t)
            }
            None => None,
        };
        let script = match &conv.script {
            Some(s) => {
                let t = lua.create_table_with_capacity(0, 2)?;
                t.raw_set("path", s.path.as_str())?;
                t.raw_set("sha256", s.sha256.as_str())?;
                Some(t)
            }
            None => None,
        };
        let roles = lua.create_sequence_from(conv.roles.iter().map(String::as_str))?;
        Ok((prompt, script, roles))
    }

    /// The conversation table of `conv`: every field of the file, its
    /// turns the conversation's shared turn tables.
    pub fn conversation(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<Table> {
        let turns = self.turns(lua, &conv.conversation_id, &conv.turns)?;
        let (prompt, script, roles) = Self::run_parts(lua, conv)?;
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let t = lua.create_table_with_capacity(0, 20)?;
        t.raw_set("schema_version", conv.schema_version)?;
        t.raw_set("conversation_id", conv.conversation_id.as_str())?;
        t.raw_set("batch_id", conv.batch_id.as_str())?;
        t.raw_set("run_id", conv.run_id.as_str())?;
        t.raw_set("origin", conv.origin.as_str())?;
        t.raw_set("index", int(conv.index))?;
        t.raw_set("prompt", prompt)?;
        if let Some(s) = &conv.source {
            let source = lua.create_table_with_capacity(0, 5)?;
            source.raw_set("path", s.path.as_str())?;
            source.raw_set("sha256", s.sha256.as_str())?;
            source.raw_set("format", s.format.as_str())?;
            source.raw_set("line", int(s.line))?;
            source.raw_set("id", s.id.as_deref())?;
            t.raw_set("source", source)?;
        }
        t.raw_set("script", script)?;
        let scenario = lua.create_table_with_capacity(0, 2)?;
        scenario.raw_set("id", conv.scenario.id.as_str())?;
        scenario.raw_set("title", conv.scenario.title.as_str())?;
        t.raw_set("scenario", scenario)?;
        t.raw_set("variables", plain::map(lua, &conv.variables)?)?;
        t.raw_set("language", conv.language.as_str())?;
        t.raw_set("roles", roles)?;
        let g = &conv.generator;
        let generator = lua.create_table_with_capacity(0, 6)?;
        generator.raw_set("provider", g.provider.as_str())?;
        generator.raw_set("model", g.model.as_str())?;
        generator.raw_set("endpoint_host", g.endpoint_host.as_deref())?;
        generator.raw_set("endpoint", g.endpoint.as_deref())?;
        generator.raw_set("temperature", g.temperature)?;
        generator.raw_set("seed", int(g.seed))?;
        t.raw_set("generator", generator)?;
        t.raw_set("attempts", conv.attempts)?;
        t.raw_set("status", conv.status.as_str())?;
        t.raw_set("issues", strings(lua, &conv.issues)?)?;
        let usage = lua.create_table_with_capacity(0, 2)?;
        usage.raw_set("prompt_tokens", int(conv.usage.prompt_tokens))?;
        usage.raw_set("completion_tokens", int(conv.usage.completion_tokens))?;
        t.raw_set("usage", usage)?;
        if !conv.request_ids.is_empty() {
            t.raw_set("request_ids", strings(lua, &conv.request_ids)?)?;
        }
        t.raw_set("created_at", conv.created_at.as_str())?;
        let list = lua.create_table_with_capacity(turns.len(), 0)?;
        for (i, turn) in turns.into_iter().enumerate() {
            list.raw_set(i + 1, turn)?;
        }
        t.raw_set("turns", list)?;
        Ok(t)
    }
}

fn strings(lua: &Lua, items: &[String]) -> mlua::Result<Value> {
    lua.create_sequence_from(items.iter().map(String::as_str))
        .map(Value::Table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::Function;
    use serde_json::Value as Json;

    fn turns() -> Vec<Turn> {
        vec![
            Turn {
                index: 1,
                role: "agent".into(),
                text: "Hola".into(),
                timestamp: Some("2026-01-01T00:00:00Z".into()),
                latency_ms: Some(1500),
            },
            Turn {
                index: 2,
                role: "client".into(),
                text: "Buenas".into(),
                timestamp: None,
                latency_ms: None,
            },
        ]
    }

    fn eval(lua: &Lua, code: &str) -> mlua::Result<Value> {
        lua.load(code).eval()
    }

    fn set_list(lua: &Lua, name: &str, tables: Vec<Table>) {
        lua.globals()
            .set(name, lua.create_sequence_from(tables).unwrap())
            .unwrap();
    }

    #[test]
    fn turn_tables_are_plain_tables_with_every_field() {
        let lua = Lua::new();
        let mut tables = register(&lua);
        let t = tables.turns(&lua, "c-1", &turns()).unwrap();
        set_list(&lua, "t", t);
        let ok = eval(
            &lua,
            r#"return #t == 2 and t[1].index == 1 and t[1].role == "agent"
              and t[1].latency_ms == 1500 and t[1].timestamp == "2026-01-01T00:00:00Z"
              and t[2].text == "Buenas" and t[2].timestamp == nil and t[2].nope == nil
              and type(t[1]) == "table" and getmetatable(t[1]) == nil
              and rawget(t[1], "text") == "Hola""#,
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
        let keys = eval(
            &lua,
            "local k = {} for key in next, t[1] do k[#k + 1] = key end table.sort(k) return table.concat(k, ',')",
        )
        .unwrap();
        assert_eq!(
            keys.to_string().unwrap(),
            "index,latency_ms,role,text,timestamp"
        );
    }

    #[test]
    fn tables_kept_past_their_conversation_stay_readable() {
        let lua = Lua::new();
        let mut tables = register(&lua);
        let t = tables.turns(&lua, "c-1", &turns()).unwrap();
        set_list(&lua, "kept", t);
        let mut next = turns();
        next[0].text = "Otra".into();
        tables.turns(&lua, "c-2", &next).unwrap();
        let ok = eval(
            &lua,
            r#"return kept[1].text == "Hola" and kept[2].role == "client"
              and kept[1].latency_ms == 1500"#,
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
    }

    #[test]
    fn tables_are_kept_within_a_conversation_and_retimed() {
        let lua = Lua::new();
        let mut tables = register(&lua);
        let mut turns = turns();
        turns[0].timestamp = None;
        turns[0].latency_ms = None;
        set_list(&lua, "first", tables.turns(&lua, "c-1", &turns).unwrap());
        assert_eq!(eval(&lua, "return first[1].timestamp").unwrap(), Value::Nil);
        // Timed: the same tables, with their times.
        turns[0].timestamp = Some("2026-01-01T00:00:05Z".into());
        turns[0].latency_ms = Some(5000);
        set_list(&lua, "second", tables.turns(&lua, "c-1", &turns).unwrap());
        let ok = eval(
            &lua,
            r#"return rawequal(first[1], second[1]) and second[1].latency_ms == 5000
              and second[1].timestamp == "2026-01-01T00:00:05Z""#,
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
        // A retry with new text: a new table for that turn.
        turns[1].text = "Otra cosa".into();
        set_list(&lua, "third", tables.turns(&lua, "c-1", &turns).unwrap());
        let ok = eval(
            &lua,
            r#"return rawequal(first[1], third[1]) and not rawequal(first[2], third[2])
              and third[2].text == "Otra cosa" and first[2].text == "Buenas""#,
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
        // Fewer turns, then more again: nothing stale is handed out.
        set_list(
            &lua,
            "short",
            tables.turns(&lua, "c-1", &turns[..1]).unwrap(),
        );
        set_list(&lua, "again", tables.turns(&lua, "c-1", &turns).unwrap());
        let ok = eval(
            &lua,
            r#"return #short == 1 and rawequal(short[1], again[1])
              and not rawequal(third[2], again[2]) and again[2].text == "Otra cosa""#,
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
        // The next conversation gets new tables.
        set_list(
            &lua,
            "next_conv",
            tables.turns(&lua, "c-2", &turns).unwrap(),
        );
        let ok = eval(
            &lua,
            "return not rawequal(third[1], next_conv[1]) and next_conv[1].role == 'agent'",
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
    }

    /// Checks a Lua value holds exactly what a JSON value holds (nulls are
    /// absent fields), counting keys raw: nothing more is there.
    fn assert_same(v: &Value, json: &Json, path: &str) {
        match (v, json) {
            (Value::Table(t), Json::Object(map)) => {
                let mut keys = 0;
                for (k, item) in map {
                    let got: Value = t.raw_get(k.as_str()).unwrap();
                    if item.is_null() {
                        assert_eq!(got, Value::Nil, "{path}.{k}");
                        continue;
                    }
                    keys += 1;
                    assert_same(&got, item, &format!("{path}.{k}"));
                }
                assert_eq!(
                    t.pairs::<Value, Value>().count(),
                    keys,
                    "{path}: extra keys"
                );
            }
            (Value::Table(t), Json::Array(items)) => {
                assert_eq!(t.raw_len(), items.len(), "{path}: length");
                for (i, item) in items.iter().enumerate() {
                    let got: Value = t.raw_get(i + 1).unwrap();
                    assert_same(&got, item, &format!("{path}[{}]", i + 1));
                }
            }
            (Value::String(s), Json::String(j)) => assert_eq!(s.to_str().unwrap(), *j, "{path}"),
            (Value::Integer(i), Json::Number(n)) => assert_eq!(Some(*i), n.as_i64(), "{path}"),
            (Value::Number(f), Json::Number(n)) => assert_eq!(Some(*f), n.as_f64(), "{path}"),
            (Value::Boolean(b), Json::Bool(j)) => assert_eq!(b, j, "{path}"),
            (v, j) => panic!("{path}: Lua has {v:?}, the file has {j}"),
        }
    }

    /// A deep copy made in Lua with `pairs`, as a script's JSON encoder would.
    const DEEP_COPY: &str = r#"
        local function copy(v)
          if type(v) ~= "table" then return v end
          local out = {}
          for k, x in pairs(v) do out[k] = copy(x) end
          return out
        end
        return copy(...)"#;

    #[test]
    fn the_conversation_table_is_the_file_exactly() {
        let json = serde_json::json!({
            "schema_version": 1, "conversation_id": "b-0001", "batch_id": "b", "run_id": "r",
            "index": 3,
            "prompt": {"id": "p@abc", "name": "p", "version": "2", "revision": 2, "sha256": "abc"},
            "script": {"path": "scripts/p.lua", "sha256": "def"},
            "scenario": {"id": "s", "title": "S"},
            "variables": {"customer": "Ana", "amount": 4.5, "n": 2, "ok": true,
                          "list": ["a", "b"], "nested": {"k": "v"}},
            "language": "es", "roles": ["agent", "client"],
            "generator": {"provider": "openai", "model": "m", "endpoint_host": "h",
                          "endpoint": "east", "temperature": 0.7, "seed": 99},
            "attempts": 2, "status": "failed", "issues": ["x", "y"],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20},
            "request_ids": ["req-1"], "created_at": "2026-01-01T00:00:00Z",
            "turns": [
                {"index": 1, "role": "agent", "text": "Hola", "timestamp": "2026-01-01T00:00:01Z", "latency_ms": 1000},
                {"index": 2, "role": "client", "text": "Buenas", "timestamp": "2026-01-01T00:00:03Z", "latency_ms": 2000}
            ]
        });
        let conv: Conversation = serde_json::from_value(json).unwrap();
        let lua = Lua::new();
        let copy: Function = lua.load(DEEP_COPY).into_function().unwrap();
        let mut tables = register(&lua);
        // A hook before saw the turns untimed: the shared tables get their times.
        let mut untimed = conv.turns.clone();
        for t in &mut untimed {
            t.timestamp = None;
            t.latency_ms = None;
        }
        let before = tables.turns(&lua, &conv.conversation_id, &untimed).unwrap();
        let mut bare = conv.clone();
        bare.script = None;
        if let Some(p) = bare.prompt.as_mut() {
            p.version = None;
        }
        bare.generator.endpoint_host = None;
        bare.generator.endpoint = None;
        bare.generator.temperature = None;
        bare.request_ids.clear();
        // Every conversation table is built whole, with or without the
        // optional fields.
        for (c, name) in [(&conv, "conv"), (&bare, "bare"), (&conv, "again")] {
            let file = serde_json::to_value(c).unwrap();
            let t = tables.conversation(&lua, c).unwrap();
            let copied: Value = copy.call(&t).unwrap();
            assert_same(&copied, &file, &format!("{name} (pairs)"));
            assert_same(&Value::Table(t.clone()), &file, name);
            let first: Table = t.get::<Table>("turns").unwrap().get(1).unwrap();
            assert_eq!(first, before[0], "{name}: conv.turns are the shared tables");
        }
    }
}
