//! The turn and conversation tables hooks receive: ordinary Lua tables whose
//! fields are filled in when a script first reads them.
//!
//! A hook that looks at little (a constant latency, `return true`, a check
//! of one field) should cost little, yet a script must see plain tables:
//! `turn.text`, `pairs(conv)`, `#conv.turns`, `type(turn) == "table"`. So a
//! turn table starts with its `index` alone, and a conversation table with
//! its `turns` and the parts shared by the whole run. A shared metatable's
//! `__index` fills in any other field from the host's data the first time it
//! is read, and stores it, so the next read is a plain table read; `__pairs`
//! fills in every field first. The metatables are protected
//! (`getmetatable` answers `"convgen.turn"` / `"convgen.conversation"`).
//!
//! The host's data is reachable only while a hook runs for that conversation
//! ([`Views::lend`]). A table kept from an earlier conversation (in a
//! global, say) keeps the fields already read; reading another one is an
//! error that says what happened.
//!
//! Turn tables live for the whole conversation: `turn_latency`,
//! `validate_turn` and `conv.turns` get the same tables, rebuilt only when
//! a turn's text changes (a retry), with `timestamp` and `latency_ms` read
//! afresh once the turn is timed.
//!
//! Safety: as in [`super::marshal`], code inside `exec_raw` and the C
//! functions here hold only borrows and plain values (nothing with a
//! destructor) across C API calls that can raise.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};

use mlua::{Function, Lua, Table, Value, ffi};

use super::marshal::{push_map, push_str, push_strings, set_int, set_str};
use super::sandbox::{LuaFailure, Sandbox};
use crate::conversation::{Conversation, PromptRef, ScriptRef, Turn};
use crate::rng::ConvRng;

/// What the C functions read: the data of the hook call in progress.
struct Source {
    turns: Cell<*const Turn>,
    len: Cell<usize>,
    conv: Cell<*const Conversation>,
}

impl Source {
    /// The turn whose `index` is `index`, while a hook runs.
    ///
    /// Safety: the pointers are set by [`Views::lend`] for the length of a
    /// call and point at data the caller keeps borrowed meanwhile.
    unsafe fn turn(&self, index: i64) -> Option<&Turn> {
        let ptr = self.turns.get();
        if ptr.is_null() {
            return None;
        }
        let turns = unsafe { std::slice::from_raw_parts(ptr, self.len.get()) };
        let at = usize::try_from(index - 1).ok();
        match at.and_then(|i| turns.get(i)) {
            Some(t) if i64::from(t.index) == index => Some(t),
            _ => turns.iter().find(|t| i64::from(t.index) == index),
        }
    }

    unsafe fn conv(&self) -> Option<&Conversation> {
        unsafe { self.conv.get().as_ref() }
    }
}

/// Lends the host's data to the C functions until dropped.
pub struct Lent<'a>(&'a Source);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.turns.set(std::ptr::null());
        self.0.len.set(0);
        self.0.conv.set(std::ptr::null());
    }
}

/// What a per-turn hook returned for one turn, as read in the trip itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quick {
    /// `true` alone.
    True,
    /// A number (only when numbers were asked for).
    Number(f64),
    /// Anything else: the two values wait in the result tables.
    Other,
}

/// What a trip must do for one turn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Build its table.
    Build,
    /// Reuse its table, forgetting its timestamp and latency (read afresh).
    Retime,
    /// Reuse its table as it is.
    Reuse,
}

/// `conv.prompt`, `conv.script` and `conv.roles` as Lua tables, with what
/// they were built from.
struct RunParts {
    prompt: PromptRef,
    script: Option<ScriptRef>,
    roles: Vec<String>,
    tables: (Table, Value, Table),
}

/// Copies `from` into `into`, reusing its strings' buffers (a derived
/// `clone_from` would allocate anew).
fn copy_turn(into: &mut Turn, from: &Turn) {
    into.index = from.index;
    into.role.clone_from(&from.role);
    into.text.clone_from(&from.text);
    into.timestamp.clone_from(&from.timestamp);
    into.latency_ms = from.latency_ms;
}

/// The lazy tables of one Lua state.
pub struct Views {
    /// Boxed: the C functions hold its address.
    source: Box<Source>,
    /// The current conversation's turn tables by turn index, and its
    /// conversation table under `conv`. The C functions check a table is
    /// still here before they fill it in.
    store: Table,
    turn_mt: Table,
    conv_mt: Table,
    /// Per-turn results other than [`Quick`] ones: (first, second) values.
    firsts: Table,
    seconds: Table,
    conversation_id: String,
    /// What each stored turn table stands for, by position: the first
    /// `known_len` entries (the rest are spare buffers, reused so that
    /// remembering a conversation's turns allocates nothing).
    known: Vec<Turn>,
    known_len: usize,
    parts: Option<RunParts>,
    /// Scratch space for [`Views::plan`].
    steps: Vec<Step>,
}

/// The fields of a turn table besides `index`.
const TURN_FIELDS: [&[u8]; 4] = [b"role", b"text", b"timestamp", b"latency_ms"];

/// The fields of a conversation table filled in on demand.
const CONV_FIELDS: [&[u8]; 14] = [
    b"schema_version",
    b"conversation_id",
    b"batch_id",
    b"run_id",
    b"index",
    b"scenario",
    b"variables",
    b"language",
    b"generator",
    b"attempts",
    b"status",
    b"issues",
    b"usage",
    b"created_at",
];

/// `request_ids` is a field only when there are any.
const REQUEST_IDS: &[u8] = b"request_ids";

unsafe fn source<'a>(state: *mut ffi::lua_State) -> &'a Source {
    unsafe { &*(ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)) as *const Source) }
}

/// The store is upvalue 2 of every C function here.
fn store_index() -> c_int {
    ffi::lua_upvalueindex(2)
}

unsafe fn key_bytes<'a>(state: *mut ffi::lua_State, idx: c_int) -> Option<&'a [u8]> {
    unsafe {
        if ffi::lua_type(state, idx) != ffi::LUA_TSTRING {
            return None;
        }
        let mut len = 0usize;
        let p = ffi::lua_tolstring(state, idx, &mut len);
        Some(std::slice::from_raw_parts(p as *const u8, len))
    }
}

/// Raises `message` with the script's position (the caller of the metamethod).
unsafe fn raise(state: *mut ffi::lua_State, message: &std::ffi::CStr) -> c_int {
    unsafe {
        ffi::luaL_where(state, 1);
        ffi::lua_pushstring(state, message.as_ptr());
        ffi::lua_concat(state, 2);
        ffi::lua_error(state)
    }
}

const STALE_TURN: &std::ffi::CStr = c"a turn table can only be read while the hooks of its own conversation run; copy the fields you need (local text = turn.text) instead of keeping the table";
const STALE_CONV: &std::ffi::CStr = c"a conversation table can only be read while the hook it was given to runs; copy the fields you need instead of keeping the table";

/// The turn behind the turn table at `t`, when it is current.
unsafe fn current_turn<'a>(state: *mut ffi::lua_State, t: c_int) -> Option<&'a Turn> {
    unsafe {
        ffi::lua_pushstring(state, c"index".as_ptr());
        ffi::lua_rawget(state, t);
        let index = ffi::lua_tointegerx(state, -1, std::ptr::null_mut());
        ffi::lua_pop(state, 1);
        ffi::lua_rawgeti(state, store_index(), index);
        let same = ffi::lua_rawequal(state, -1, t) != 0;
        ffi::lua_pop(state, 1);
        if same {
            source(state).turn(index)
        } else {
            None
        }
    }
}

/// Pushes field `key` of `turn`; false (nothing pushed) for no such field.
unsafe fn push_turn_field(state: *mut ffi::lua_State, turn: &Turn, key: &[u8]) -> bool {
    unsafe {
        match key {
            b"role" => push_str(state, &turn.role),
            b"text" => push_str(state, &turn.text),
            b"timestamp" => match &turn.timestamp {
                Some(ts) => push_str(state, ts),
                None => return false,
            },
            b"latency_ms" => match turn.latency_ms {
                Some(ms) => ffi::lua_pushinteger(state, i64::try_from(ms).unwrap_or(i64::MAX)),
                None => return false,
            },
            _ => return false,
        }
        true
    }
}

/// Sets field `key` of the table at slot 1 to what `push` pushes, unless
/// the field is already there (read before, or set by the script).
unsafe fn fill(
    state: *mut ffi::lua_State,
    key: &[u8],
    push: impl FnOnce(*mut ffi::lua_State) -> bool,
) {
    unsafe {
        ffi::lua_pushlstring(state, key.as_ptr() as *const c_char, key.len());
        if ffi::lua_rawget(state, 1) != ffi::LUA_TNIL {
            ffi::lua_pop(state, 1);
            return;
        }
        ffi::lua_pop(state, 1);
        ffi::lua_pushlstring(state, key.as_ptr() as *const c_char, key.len());
        if push(state) {
            ffi::lua_rawset(state, 1);
        } else {
            ffi::lua_pop(state, 1);
        }
    }
}

/// `__index(turn, key)`.
unsafe extern "C-unwind" fn turn_index(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let Some(key) = key_bytes(state, 2) else {
            return 0;
        };
        if !TURN_FIELDS.contains(&key) {
            return 0;
        }
        let Some(turn) = current_turn(state, 1) else {
            return raise(state, STALE_TURN);
        };
        if !push_turn_field(state, turn, key) {
            return 0;
        }
        ffi::lua_pushvalue(state, 2);
        ffi::lua_pushvalue(state, -2);
        ffi::lua_rawset(state, 1);
        1
    }
}

/// `__pairs(turn)`: fills in every field, then iterates as `next` does.
unsafe extern "C-unwind" fn turn_pairs(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let Some(turn) = current_turn(state, 1) else {
            return raise(state, STALE_TURN);
        };
        for key in TURN_FIELDS {
            fill(state, key, |state| push_turn_field(state, turn, key));
        }
        push_next(state)
    }
}

/// `next(t, k)` as the base library has it (a script may redefine the global).
unsafe extern "C-unwind" fn raw_next(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        ffi::lua_settop(state, 2);
        if ffi::lua_next(state, 1) != 0 {
            2
        } else {
            ffi::lua_pushnil(state);
            1
        }
    }
}

/// Returns `next, t, nil`.
unsafe fn push_next(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        ffi::lua_pushcfunction(state, raw_next);
        ffi::lua_pushvalue(state, 1);
        ffi::lua_pushnil(state);
        3
    }
}

/// The conversation behind the conversation table at `t`, when it is current.
unsafe fn current_conv<'a>(state: *mut ffi::lua_State, t: c_int) -> Option<&'a Conversation> {
    unsafe {
        ffi::lua_pushstring(state, c"conv".as_ptr());
        ffi::lua_rawget(state, store_index());
        let same = ffi::lua_rawequal(state, -1, t) != 0;
        ffi::lua_pop(state, 1);
        if same { source(state).conv() } else { None }
    }
}

/// Pushes field `key` of `conv` (those in [`CONV_FIELDS`] and
/// `request_ids`); false (nothing pushed) for no such field.
unsafe fn push_conv_field(state: *mut ffi::lua_State, conv: &Conversation, key: &[u8]) -> bool {
    unsafe {
        if ffi::lua_checkstack(state, 4) == 0 {
            return false;
        }
        let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        match key {
            b"schema_version" => ffi::lua_pushinteger(state, i64::from(conv.schema_version)),
            b"conversation_id" => push_str(state, &conv.conversation_id),
            b"batch_id" => push_str(state, &conv.batch_id),
            b"run_id" => push_str(state, &conv.run_id),
            b"index" => ffi::lua_pushinteger(state, int(conv.index)),
            b"scenario" => {
                ffi::lua_createtable(state, 0, 2);
                set_str(state, c"id", &conv.scenario.id);
                set_str(state, c"title", &conv.scenario.title);
            }
            b"variables" => push_map(state, &conv.variables, 1),
            b"language" => push_str(state, &conv.language),
            b"generator" => {
                let g = &conv.generator;
                ffi::lua_createtable(state, 0, 5);
                set_str(state, c"provider", &g.provider);
                set_str(state, c"model", &g.model);
                if let Some(host) = &g.endpoint_host {
                    set_str(state, c"endpoint_host", host);
                }
                if let Some(t) = g.temperature {
                    ffi::lua_pushnumber(state, t);
                    ffi::lua_setfield(state, -2, c"temperature".as_ptr());
                }
                set_int(state, c"seed", int(g.seed));
            }
            b"attempts" => ffi::lua_pushinteger(state, i64::from(conv.attempts)),
            b"status" => push_str(state, conv.status.as_str()),
            b"issues" => push_strings(state, &conv.issues),
            b"usage" => {
                ffi::lua_createtable(state, 0, 2);
                set_int(state, c"prompt_tokens", int(conv.usage.prompt_tokens));
                set_int(
                    state,
                    c"completion_tokens",
                    int(conv.usage.completion_tokens),
                );
            }
            b"request_ids" if !conv.request_ids.is_empty() => {
                push_strings(state, &conv.request_ids)
            }
            b"created_at" => push_str(state, &conv.created_at),
            _ => return false,
        }
        true
    }
}

/// `__index(conv, key)`.
unsafe extern "C-unwind" fn conv_index(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let Some(key) = key_bytes(state, 2) else {
            return 0;
        };
        if !CONV_FIELDS.contains(&key) && key != REQUEST_IDS {
            return 0;
        }
        let Some(conv) = current_conv(state, 1) else {
            return raise(state, STALE_CONV);
        };
        if !push_conv_field(state, conv, key) {
            return 0;
        }
        ffi::lua_pushvalue(state, 2);
        ffi::lua_pushvalue(state, -2);
        ffi::lua_rawset(state, 1);
        1
    }
}

/// `__pairs(conv)`: fills in every field, then iterates as `next` does.
unsafe extern "C-unwind" fn conv_pairs(state: *mut ffi::lua_State) -> c_int {
    unsafe {
        let Some(conv) = current_conv(state, 1) else {
            return raise(state, STALE_CONV);
        };
        for key in CONV_FIELDS.iter().chain([&REQUEST_IDS]) {
            fill(state, key, |state| push_conv_field(state, conv, key));
        }
        push_next(state)
    }
}

/// A metatable with `__index` and `__pairs` closures over the source and
/// the store, protected under `name`.
unsafe fn push_metatable(
    state: *mut ffi::lua_State,
    source: *const Source,
    store: c_int,
    name: &std::ffi::CStr,
    index: ffi::lua_CFunction,
    pairs: ffi::lua_CFunction,
) {
    unsafe {
        ffi::lua_createtable(state, 0, 3);
        for (key, f) in [(c"__index", index), (c"__pairs", pairs)] {
            ffi::lua_pushlightuserdata(state, source as *mut c_void);
            ffi::lua_pushvalue(state, store);
            ffi::lua_pushcclosure(state, f, 2);
            ffi::lua_setfield(state, -2, key.as_ptr());
        }
        ffi::lua_pushstring(state, name.as_ptr());
        ffi::lua_setfield(state, -2, c"__metatable".as_ptr());
    }
}

impl Views {
    /// Sets up the metatables and the store in `lua`.
    pub fn new(lua: &Lua) -> mlua::Result<Self> {
        let source = Box::new(Source {
            turns: Cell::new(std::ptr::null()),
            len: Cell::new(0),
            conv: Cell::new(std::ptr::null()),
        });
        let ptr: *const Source = &*source;
        // SAFETY: pushes exactly five tables, each built from fresh values.
        let (store, turn_mt, conv_mt, firsts, seconds): (Table, Table, Table, Table, Table) = unsafe {
            lua.exec_raw((), |state| {
                ffi::lua_createtable(state, 16, 1);
                let store = ffi::lua_gettop(state);
                push_metatable(state, ptr, store, c"convgen.turn", turn_index, turn_pairs);
                push_metatable(
                    state,
                    ptr,
                    store,
                    c"convgen.conversation",
                    conv_index,
                    conv_pairs,
                );
                ffi::lua_createtable(state, 16, 0);
                ffi::lua_createtable(state, 16, 0);
            })?
        };
        Ok(Self {
            source,
            store,
            turn_mt,
            conv_mt,
            firsts,
            seconds,
            conversation_id: String::new(),
            known: Vec::new(),
            known_len: 0,
            parts: None,
            steps: Vec::new(),
        })
    }

    /// Lends `turns` and `conv` to the tables' metamethods until the guard drops.
    pub fn lend<'a>(&'a self, turns: &'a [Turn], conv: Option<&'a Conversation>) -> Lent<'a> {
        self.source.turns.set(turns.as_ptr());
        self.source.len.set(turns.len());
        self.source
            .conv
            .set(conv.map_or(std::ptr::null(), |c| c as *const Conversation));
        Lent(&self.source)
    }

    /// What each of `turns` needs (into `steps`); starts over for a new
    /// conversation.
    fn plan(&mut self, conversation_id: &str, turns: &[Turn], steps: &mut Vec<Step>) {
        if self.conversation_id != conversation_id {
            self.conversation_id.clear();
            self.conversation_id.push_str(conversation_id);
            self.known_len = 0;
        }
        steps.clear();
        let known = &self.known[..self.known_len];
        steps.extend(turns.iter().map(|t| {
            let slot = (t.index as usize).wrapping_sub(1);
            match known.get(slot) {
                Some(k) if k.index == t.index && k.role == t.role && k.text == t.text => {
                    if k.timestamp == t.timestamp && k.latency_ms == t.latency_ms {
                        Step::Reuse
                    } else {
                        Step::Retime
                    }
                }
                _ => Step::Build,
            }
        }));
    }

    /// Records what the stored tables now stand for (only contiguous
    /// positions are kept).
    fn learn(&mut self, turns: &[Turn], steps: &[Step]) {
        for (t, step) in turns.iter().zip(steps) {
            let slot = (t.index as usize).wrapping_sub(1);
            match (step, slot.cmp(&self.known_len)) {
                (Step::Reuse, _) | (_, std::cmp::Ordering::Greater) => {}
                (Step::Retime, std::cmp::Ordering::Less) => {
                    let k = &mut self.known[slot];
                    k.timestamp.clone_from(&t.timestamp);
                    k.latency_ms = t.latency_ms;
                }
                (_, order) => {
                    match self.known.get_mut(slot) {
                        Some(k) => copy_turn(k, t),
                        None => self.known.push(t.clone()),
                    }
                    if order == std::cmp::Ordering::Equal {
                        self.known_len += 1;
                    }
                }
            }
        }
    }

    /// Brings the stored turn tables in step with `turns`, in one trip
    /// (host work: no script code runs). A new conversation drops the
    /// tables of the last one.
    fn sync(&mut self, lua: &Lua, conversation_id: &str, turns: &[Turn]) -> mlua::Result<()> {
        let fresh = self.conversation_id != conversation_id;
        let stale = if fresh { self.known_len } else { 0 };
        let mut steps = std::mem::take(&mut self.steps);
        self.plan(conversation_id, turns, &mut steps);
        if !fresh && steps.iter().all(|s| *s == Step::Reuse) {
            self.steps = steps;
            return Ok(());
        }
        // SAFETY: the store and the turn metatable sit at slots 1 and 2; the
        // closure checks stack room per turn and leaves them alone.
        let result = unsafe {
            lua.exec_raw::<()>((&self.store, &self.turn_mt), |state| {
                if fresh {
                    for i in 1..=stale {
                        ffi::lua_pushnil(state);
                        ffi::lua_rawseti(state, 1, i as ffi::lua_Integer);
                    }
                    ffi::lua_pushnil(state);
                    ffi::lua_setfield(state, 1, c"conv".as_ptr());
                }
                for (turn, step) in turns.iter().zip(&steps) {
                    if ffi::lua_checkstack(state, 3) == 0 {
                        return;
                    }
                    let slot = ffi::lua_Integer::from(turn.index);
                    match step {
                        Step::Build => {
                            // Room for `index` and the three fields a script
                            // reads most (role, text, timestamp) without a resize.
                            ffi::lua_createtable(state, 0, 4);
                            set_int(state, c"index", slot);
                            ffi::lua_pushvalue(state, 2);
                            ffi::lua_setmetatable(state, -2);
                            ffi::lua_rawseti(state, 1, slot);
                        }
                        Step::Retime => {
                            ffi::lua_rawgeti(state, 1, slot);
                            for key in [c"timestamp", c"latency_ms"] {
                                ffi::lua_pushnil(state);
                                ffi::lua_setfield(state, -2, key.as_ptr());
                            }
                            ffi::lua_pop(state, 1);
                        }
                        Step::Reuse => {}
                    }
                }
                ffi::lua_settop(state, 0);
            })
        };
        match result {
            Ok(()) => self.learn(turns, &steps),
            // Start over next time rather than trust a half-done trip.
            Err(_) => self.forget(),
        }
        self.steps = steps;
        result
    }

    /// Drops what the cache knows, so the next trip rebuilds every table.
    fn forget(&mut self) {
        self.conversation_id.clear();
        self.known_len = 0;
    }

    /// `turns` as a Lua array of their (stored) turn tables.
    pub fn array(
        &mut self,
        lua: &Lua,
        conversation_id: &str,
        turns: &[Turn],
    ) -> mlua::Result<Table> {
        self.sync(lua, conversation_id, turns)?;
        // SAFETY: the store sits at slot 1; pushes one array table.
        unsafe {
            lua.exec_raw(&self.store, |state| {
                ffi::lua_createtable(state, c_int::try_from(turns.len()).unwrap_or(0), 0);
                for (i, turn) in turns.iter().enumerate() {
                    ffi::lua_rawgeti(state, 1, ffi::lua_Integer::from(turn.index));
                    ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
                }
                ffi::lua_remove(state, 1);
            })
        }
    }

    /// Calls `f(turn, ctx)` for every turn in one trip, under the sandbox's
    /// limits; returns what each call returned ([`Quick::Number`] only when
    /// `numbers` is set). The values behind an [`Quick::Other`] are read
    /// with [`Views::other`].
    #[allow(clippy::too_many_arguments)]
    pub fn each_turn(
        &mut self,
        sandbox: &Sandbox,
        label: std::fmt::Arguments,
        f: &Function,
        ctx: &Table,
        conversation_id: &str,
        turns: &[Turn],
        numbers: bool,
        rng: &mut ConvRng,
    ) -> Result<Vec<Quick>, LuaFailure> {
        {
            let _unguarded = sandbox.host_side();
            self.sync(sandbox.lua(), conversation_id, turns)
                .map_err(|e| LuaFailure(super::sandbox::describe(&e)))?;
        }
        let mut out: Vec<Quick> = Vec::with_capacity(turns.len());
        let _lent = self.lend(turns, None);
        let args = (&self.store, f, ctx, &self.firsts, &self.seconds);
        let results = &mut out;
        // SAFETY: the arguments sit at slots 1 to 5; each hook call is
        // balanced on the stack; `out` has room for every turn (pushing never
        // allocates) and lives outside the protected call.
        unsafe {
            sandbox.call_raw::<()>(label, args, rng, |state| {
                for (i, turn) in turns.iter().enumerate() {
                    ffi::lua_pushvalue(state, 2);
                    ffi::lua_rawgeti(state, 1, ffi::lua_Integer::from(turn.index));
                    ffi::lua_pushvalue(state, 3);
                    ffi::lua_call(state, 2, 2);
                    let quick = if numbers && ffi::lua_type(state, -2) == ffi::LUA_TNUMBER {
                        Quick::Number(ffi::lua_tonumberx(state, -2, std::ptr::null_mut()))
                    } else if ffi::lua_type(state, -2) == ffi::LUA_TBOOLEAN
                        && ffi::lua_toboolean(state, -2) != 0
                        && ffi::lua_type(state, -1) == ffi::LUA_TNIL
                    {
                        Quick::True
                    } else {
                        let at = i as ffi::lua_Integer + 1;
                        ffi::lua_rawseti(state, 5, at);
                        ffi::lua_rawseti(state, 4, at);
                        results.push(Quick::Other);
                        continue;
                    };
                    ffi::lua_pop(state, 2);
                    results.push(quick);
                }
                ffi::lua_settop(state, 0);
            })?;
        }
        Ok(out)
    }

    /// The two values turn `i` (from 0) returned, for a [`Quick::Other`]; the
    /// result tables let go of them.
    pub fn other(&self, i: usize) -> mlua::Result<(Value, Value)> {
        let first = self.firsts.raw_get(i + 1)?;
        let second = self.seconds.raw_get(i + 1)?;
        self.firsts.raw_set(i + 1, Value::Nil)?;
        self.seconds.raw_set(i + 1, Value::Nil)?;
        Ok((first, second))
    }

    /// `conv.prompt`, `conv.script` and `conv.roles`, built once per run.
    fn run_parts(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<(Table, Value, Table)> {
        if let Some(p) = &self.parts
            && p.prompt == conv.prompt
            && p.script == conv.script
            && p.roles == conv.roles
        {
            return Ok(p.tables.clone());
        }
        // SAFETY: the closure pushes exactly three values (two tables and a
        // table or nil).
        let tables: (Table, Value, Table) = unsafe {
            lua.exec_raw((), |state| {
                let p = &conv.prompt;
                ffi::lua_createtable(state, 0, 5);
                set_str(state, c"id", &p.id);
                set_str(state, c"name", &p.name);
                if let Some(v) = &p.version {
                    set_str(state, c"version", v);
                }
                set_int(state, c"revision", i64::from(p.revision));
                set_str(state, c"sha256", &p.sha256);
                match &conv.script {
                    Some(script) => {
                        ffi::lua_createtable(state, 0, 2);
                        set_str(state, c"path", &script.path);
                        set_str(state, c"sha256", &script.sha256);
                    }
                    None => ffi::lua_pushnil(state),
                }
                push_strings(state, &conv.roles);
            })?
        };
        self.parts = Some(RunParts {
            prompt: conv.prompt.clone(),
            script: conv.script.clone(),
            roles: conv.roles.clone(),
            tables: tables.clone(),
        });
        Ok(tables)
    }

    /// The conversation table for a hook about to run (host work): its turns
    /// from the store, the run's shared parts, the rest filled in on demand
    /// while [`Views::lend`] lends `conv`. Becomes the store's current one.
    pub fn conversation(&mut self, lua: &Lua, conv: &Conversation) -> mlua::Result<Table> {
        let turns = self.array(lua, &conv.conversation_id, &conv.turns)?;
        let (prompt, script, roles) = self.run_parts(lua, conv)?;
        let args = (turns, prompt, script, roles, &self.store, &self.conv_mt);
        // SAFETY: the arguments sit at slots 1 to 6; the closure pushes the
        // conversation table and moves it down over them.
        unsafe {
            lua.exec_raw(args, |state| {
                ffi::lua_createtable(state, 0, 20);
                for (slot, key) in [(1, c"turns"), (2, c"prompt"), (3, c"script"), (4, c"roles")] {
                    ffi::lua_pushvalue(state, slot);
                    ffi::lua_setfield(state, -2, key.as_ptr());
                }
                ffi::lua_pushvalue(state, 6);
                ffi::lua_setmetatable(state, -2);
                ffi::lua_pushvalue(state, -1);
                ffi::lua_setfield(state, 5, c"conv".as_ptr());
                ffi::lua_rotate(state, 1, 1);
                ffi::lua_settop(state, 1);
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn turn_fields_are_read_on_demand_while_lent() {
        let lua = Lua::new();
        let mut views = Views::new(&lua).unwrap();
        let turns = turns();
        let t = views.array(&lua, "c-1", &turns).unwrap();
        lua.globals().set("t", t).unwrap();
        // Before anything is read, a turn table holds its index alone.
        let raw: i64 = eval(
            &lua,
            "local n = 0 for _ in next, t[1] do n = n + 1 end return n",
        )
        .unwrap()
        .as_i64()
        .unwrap();
        assert_eq!(raw, 1);
        {
            let _lent = views.lend(&turns, None);
            let ok = eval(
                &lua,
                r#"return #t == 2 and t[1].index == 1 and t[1].role == "agent"
                  and t[1].latency_ms == 1500 and t[1].timestamp == "2026-01-01T00:00:00Z"
                  and t[2].text == "Buenas" and t[2].timestamp == nil and t[2].nope == nil
                  and type(t[1]) == "table" and getmetatable(t[1]) == "convgen.turn""#,
            )
            .unwrap();
            assert_eq!(ok, Value::Boolean(true));
            let keys = eval(
                &lua,
                "local k = {} for key in pairs(t[1]) do k[#k + 1] = key end table.sort(k) return table.concat(k, ',')",
            )
            .unwrap();
            assert_eq!(
                keys.to_string().unwrap(),
                "index,latency_ms,role,text,timestamp"
            );
        }
        // Read fields stay; unread ones cannot be read any more.
        assert_eq!(
            eval(&lua, "return t[2].text").unwrap().to_string().unwrap(),
            "Buenas"
        );
        let e = eval(&lua, "return t[2].role").unwrap_err().to_string();
        assert!(
            e.contains("can only be read while the hooks of its own conversation run"),
            "{e}"
        );
        // mlua names a chunk after the Rust line that loaded it.
        assert!(
            e.contains("views.rs:"),
            "the error names the script position: {e}"
        );
        let e = eval(&lua, "setmetatable(t[1], {})")
            .unwrap_err()
            .to_string();
        assert!(e.contains("protected metatable"), "{e}");
    }

    #[test]
    fn tables_are_kept_within_a_conversation_and_retimed() {
        let lua = Lua::new();
        let mut views = Views::new(&lua).unwrap();
        let mut turns = turns();
        turns[0].timestamp = None;
        turns[0].latency_ms = None;
        let first = views.array(&lua, "c-1", &turns).unwrap();
        lua.globals().set("first", first).unwrap();
        {
            let _lent = views.lend(&turns, None);
            assert_eq!(eval(&lua, "return first[1].timestamp").unwrap(), Value::Nil);
            assert!(eval(&lua, "return first[1].text").is_ok());
        }
        // Timed: the same tables, their times read afresh.
        turns[0].timestamp = Some("2026-01-01T00:00:05Z".into());
        turns[0].latency_ms = Some(5000);
        let second = views.array(&lua, "c-1", &turns).unwrap();
        lua.globals().set("second", second).unwrap();
        {
            let _lent = views.lend(&turns, None);
            let ok = eval(
                &lua,
                r#"return rawequal(first[1], second[1]) and second[1].latency_ms == 5000
                  and second[1].timestamp == "2026-01-01T00:00:05Z""#,
            )
            .unwrap();
            assert_eq!(ok, Value::Boolean(true));
        }
        // A retry with new text: a new table; the old one is stale.
        turns[1].text = "Otra cosa".into();
        let third = views.array(&lua, "c-1", &turns).unwrap();
        lua.globals().set("third", third).unwrap();
        {
            let _lent = views.lend(&turns, None);
            let ok = eval(
                &lua,
                r#"return rawequal(first[1], third[1]) and not rawequal(first[2], third[2])
                  and third[2].text == "Otra cosa""#,
            )
            .unwrap();
            assert_eq!(ok, Value::Boolean(true));
            assert!(eval(&lua, "return first[2].role").is_err());
        }
        // The next conversation gets new tables.
        let next = views.array(&lua, "c-2", &turns).unwrap();
        lua.globals().set("next_conv", next).unwrap();
        let _lent = views.lend(&turns, None);
        let ok = eval(
            &lua,
            "return not rawequal(third[1], next_conv[1]) and next_conv[1].role == 'agent'",
        )
        .unwrap();
        assert_eq!(ok, Value::Boolean(true));
    }

    /// Checks a Lua value holds exactly what a JSON value holds (nulls are
    /// absent fields). Fields are read one by one (filled in on demand),
    /// then counted raw: nothing more is there.
    fn assert_same(v: &Value, json: &Json, path: &str) {
        match (v, json) {
            (Value::Table(t), Json::Object(map)) => {
                let mut keys = 0;
                for (k, item) in map {
                    let got: Value = t.get(k.as_str()).unwrap();
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

    /// A deep copy made in Lua with `pairs` (which fills in every field).
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
                          "temperature": 0.7, "seed": 99},
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
        let mut views = Views::new(&lua).unwrap();
        // A hook before saw the turns untimed: the stored tables get their times.
        let mut untimed = conv.turns.clone();
        for t in &mut untimed {
            t.timestamp = None;
            t.latency_ms = None;
        }
        views.array(&lua, &conv.conversation_id, &untimed).unwrap();
        let mut bare = conv.clone();
        bare.script = None;
        bare.prompt.version = None;
        bare.generator.endpoint_host = None;
        bare.generator.temperature = None;
        bare.request_ids.clear();
        // The run's parts change with `bare`, so they are built again, and
        // back again with `conv`.
        for (c, name) in [(&conv, "conv"), (&bare, "bare"), (&conv, "again")] {
            let file = serde_json::to_value(c).unwrap();
            let t = views.conversation(&lua, c).unwrap();
            let _lent = views.lend(&c.turns, Some(c));
            // Through `pairs`, as a script's own JSON encoder would see it…
            let copied: Value = copy.call(&t).unwrap();
            assert_same(&copied, &file, &format!("{name} (pairs)"));
            // …and field by field.
            assert_same(&Value::Table(t), &file, name);
        }
        // Kept past its hook, a conversation table refuses unread fields.
        let t = views.conversation(&lua, &conv).unwrap();
        lua.globals().set("kept", t).unwrap();
        let e = eval(&lua, "return kept.status").unwrap_err().to_string();
        assert!(
            e.contains("can only be read while the hook it was given to runs"),
            "{e}"
        );
        assert_eq!(
            eval(&lua, "return getmetatable(kept)")
                .unwrap()
                .to_string()
                .unwrap(),
            "convgen.conversation"
        );
    }
}
