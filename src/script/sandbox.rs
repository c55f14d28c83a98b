//! A sandboxed Lua 5.4 state with bounded instructions, memory and wall time.
//!
//! The sandbox only fences: which libraries a state has, and the limits
//! every call runs under. It knows nothing of hooks or of the convgen API
//! (`script::register` installs that); it runs a closure armed with the
//! limits ([`Sandbox::run`]) and says what stopped it.
//!
//! Scripts are written by domain experts, not adversaries, but a typo can
//! still loop forever or allocate without bound, and that must never hang a
//! run. Three fences, each measured on this dependency set (FACTS.md):
//! - an instruction budget per call, counted by a global hook (it covers
//!   coroutines too); once it fires, a kill flag makes the wrapped `pcall`,
//!   `xpcall`, `coroutine.resume` and `coroutine.close` re-raise, so a script cannot swallow it;
//! - a memory limit per state;
//! - a wall-clock limit per call, checked by the same hook, and a watchdog
//!   thread for the one case hooks cannot see: time spent inside a C function
//!   (a backtracking string pattern). The watchdog cannot interrupt that call,
//!   so it stops the process with exit code 2 and a message naming the script
//!   and hook; every file on disk is still whole (they are written atomically)
//!   and the unfinished batch stays unregistered.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use mlua::{HookTriggers, Lua, LuaOptions, StdLib, Table, Value, VmState};

/// How often (in VM instructions) the budget hook runs.
const HOOK_EVERY: u32 = 4096;

/// The limits every script call runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// VM instructions per hook call (and for loading the script).
    pub instructions: u64,
    /// Bytes a Lua state may allocate.
    pub memory: usize,
    /// Wall-clock time per hook call.
    pub wall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            instructions: 200_000_000,
            memory: 64 * 1024 * 1024,
            wall: Duration::from_secs(5),
        }
    }
}

/// The longest `CONVGEN_LUA_TIMEOUT` honoured; longer values are clamped.
pub const MAX_WALL: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest `CONVGEN_LUA_TIMEOUT` honoured; shorter values are clamped.
pub const MIN_WALL: Duration = Duration::from_millis(1);

impl Limits {
    /// Defaults, overridden by `CONVGEN_LUA_INSTRUCTIONS`, `CONVGEN_LUA_MEMORY_MB`
    /// and `CONVGEN_LUA_TIMEOUT` (seconds) when they hold valid numbers.
    pub fn from_env() -> Self {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// [`Limits::from_env`] over any source of variables. Values that are
    /// not numbers, or below 1 (the timeout: not above 0), are ignored;
    /// values too large for their use are clamped (the timeout to 24 hours,
    /// at least 1 ms). Never panics, whatever the text.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut limits = Self::default();
        let num = |k: &str| {
            var(k)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|n| !n.is_nan())
        };
        if let Some(n) = num("CONVGEN_LUA_INSTRUCTIONS").filter(|n| *n >= 1.0) {
            // `as` saturates: infinity and 1e300 become u64::MAX.
            limits.instructions = n as u64;
        }
        if let Some(n) = num("CONVGEN_LUA_MEMORY_MB").filter(|n| *n >= 1.0) {
            limits.memory = (n * 1024.0 * 1024.0) as usize;
        }
        if let Some(n) = num("CONVGEN_LUA_TIMEOUT").filter(|n| *n > 0.0) {
            limits.wall = Duration::try_from_secs_f64(n)
                .unwrap_or(MAX_WALL)
                .clamp(MIN_WALL, MAX_WALL);
        }
        limits
    }
}

/// The instruction budget as the count hook keeps it.
fn budget(limits: Limits) -> i64 {
    i64::try_from(limits.instructions).unwrap_or(i64::MAX)
}

/// Where `print` and `log.*` output goes.
pub trait LogSink: Send + Sync {
    /// One line from a script: level ("info" | "warn"), where it came from, the text.
    fn log(&self, level: &str, origin: &str, message: &str);
}

/// Per-call bookkeeping shared between the host and the instruction hook.
struct Guard {
    left: Cell<i64>,
    deadline: Cell<Option<Instant>>,
    killed: RefCell<Option<String>>,
}

/// What the watchdog sees of a state: when its current call must end, and what it is.
struct Watch {
    /// Milliseconds since the watchdog epoch; 0 when idle.
    deadline_ms: AtomicU64,
    label: Mutex<String>,
}

fn watch_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn watches() -> &'static Mutex<Vec<Weak<Watch>>> {
    static WATCHES: OnceLock<Mutex<Vec<Weak<Watch>>>> = OnceLock::new();
    WATCHES.get_or_init(|| {
        std::thread::Builder::new()
            .name("convgen-lua-watchdog".into())
            .spawn(watchdog)
            .ok();
        Mutex::new(Vec::new())
    })
}

/// Grace past the wall limit before the watchdog concludes a call is stuck in C.
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);

fn watchdog() {
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = watch_epoch().elapsed().as_millis() as u64;
        let mut list = watches().lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|w| w.strong_count() > 0);
        for w in list.iter().filter_map(Weak::upgrade) {
            let deadline = w.deadline_ms.load(Ordering::SeqCst);
            if deadline != 0 && now > deadline.saturating_add(WATCHDOG_GRACE.as_millis() as u64) {
                let label = w.label.lock().map(|l| l.clone()).unwrap_or_default();
                eprintln!(
                    "error: {label} is still running past its time limit inside a library call (a string pattern that backtracks?); convgen stopped the run: nothing unfinished was registered, resume or rerun after fixing the script"
                );
                std::process::exit(crate::error::EXIT_ERROR);
            }
        }
    }
}

/// A sandboxed Lua state and its limits.
pub struct Sandbox {
    lua: Lua,
    guard: Rc<Guard>,
    watch: Arc<Watch>,
    limits: Limits,
    /// The script's display path, for messages.
    pub script: String,
    /// What is running now ("hook `x` for conv-id"), for log lines.
    origin: Rc<RefCell<String>>,
}

/// Host-side work in progress: see [`Sandbox::host_side`].
pub struct HostSide {
    lua: Lua,
    memory: usize,
}

impl Drop for HostSide {
    fn drop(&mut self) {
        let _ = self.lua.set_memory_limit(self.memory);
    }
}

/// A failure inside the sandbox, already formatted for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LuaFailure(pub String);

/// The first line of an mlua error, which already reads `path:line: message`.
pub fn describe(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => describe(cause),
        mlua::Error::WithContext { cause, .. } => describe(cause),
        mlua::Error::SyntaxError { message, .. } => first_line(message),
        mlua::Error::RuntimeError(m) => first_line(m),
        mlua::Error::MemoryError(_) => {
            "not enough memory: the script went over its memory limit".into()
        }
        other => first_line(&other.to_string()),
    }
}

/// The longest error message kept from a script: 1 KiB (an `error()` with
/// a 20 MB string must not become a 20 MB line on the terminal).
pub const MAX_MESSAGE: usize = 1 << 10;

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.len() <= MAX_MESSAGE {
        return line.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &line[..end], line.len() - end)
}

const PRELUDE: &str = r#"
local raw_pcall, raw_xpcall, raw_resume, killed = pcall, xpcall, coroutine.resume, ...
local raw_close = coroutine.close
local pack, unpack = table.pack, table.unpack
local function check(r)
  local k = killed()
  if k then error(k, 0) end
  return unpack(r, 1, r.n)
end
pcall = function(...) return check(pack(raw_pcall(...))) end
xpcall = function(...) return check(pack(raw_xpcall(...))) end
coroutine.resume = function(...) return check(pack(raw_resume(...))) end
-- `close` runs a coroutine's pending `__close` handlers and returns their
-- error as a value: a stop raised inside one must not end there.
coroutine.close = function(...) return check(pack(raw_close(...))) end
-- No finalizers: a `__gc` could run script code at any allocation, even while
-- the host builds tables with the memory limit lifted. Lua only honours a
-- `__gc` present when the metatable is set, so this check is complete.
local raw_setmetatable, rawget, type = setmetatable, rawget, type
setmetatable = function(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc finalizers are not allowed in convgen scripts", 2)
  end
  return raw_setmetatable(t, mt)
end
"#;

impl Sandbox {
    /// A fresh state with only the allowed libraries, under `limits`.
    pub fn new(script: &str, limits: Limits) -> Result<Self, LuaFailure> {
        let fail =
            |e: mlua::Error| LuaFailure(format!("{script}: cannot set up the Lua sandbox: {e}"));
        let lua = Lua::new_with(
            StdLib::TABLE
                | StdLib::STRING
                | StdLib::MATH
                | StdLib::UTF8
                | StdLib::COROUTINE
                | StdLib::OS,
            LuaOptions::default(),
        )
        .map_err(fail)?;
        let globals = lua.globals();
        // `os` keeps only its clock functions; nothing that reaches files,
        // processes or the environment.
        let os: Table = globals.get("os").map_err(fail)?;
        let safe_os = lua.create_table().map_err(fail)?;
        for name in ["time", "date", "clock"] {
            safe_os
                .set(name, os.get::<Value>(name).map_err(fail)?)
                .map_err(fail)?;
        }
        globals.set("os", safe_os).map_err(fail)?;
        for name in ["dofile", "loadfile", "load", "require", "collectgarbage"] {
            globals.set(name, Value::Nil).map_err(fail)?;
        }
        let string: Table = globals.get("string").map_err(fail)?;
        string.set("dump", Value::Nil).map_err(fail)?;

        let origin = Rc::new(RefCell::new(String::from("top level")));
        let guard = Rc::new(Guard {
            left: Cell::new(budget(limits)),
            deadline: Cell::new(None),
            killed: RefCell::new(None),
        });
        let hook_guard = guard.clone();
        let budget = limits.instructions;
        lua.set_global_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| {
                if let Some(k) = hook_guard.killed.borrow().as_ref() {
                    return Err(mlua::Error::RuntimeError(k.clone()));
                }
                let left = hook_guard.left.get() - HOOK_EVERY as i64;
                hook_guard.left.set(left);
                let reason = if left <= 0 {
                    Some(format!(
                        "stopped after {budget} instructions (an endless loop?); raise CONVGEN_LUA_INSTRUCTIONS if the work is genuine"
                    ))
                } else if hook_guard.deadline.get().is_some_and(|d| Instant::now() > d) {
                    Some("stopped: the call ran past its time limit (an endless loop?); raise CONVGEN_LUA_TIMEOUT if the work is genuine".to_string())
                } else {
                    None
                };
                match reason {
                    Some(r) => {
                        *hook_guard.killed.borrow_mut() = Some(r.clone());
                        Err(mlua::Error::RuntimeError(r))
                    }
                    None => Ok(VmState::Continue),
                }
            },
        )
        .map_err(fail)?;
        let killed_guard = guard.clone();
        let killed = lua
            .create_function(move |_, ()| Ok(killed_guard.killed.borrow().clone()))
            .map_err(fail)?;
        lua.load(PRELUDE)
            .set_name("=convgen prelude")
            .call::<()>(killed)
            .map_err(fail)?;
        lua.set_memory_limit(limits.memory).map_err(fail)?;

        let watch = Arc::new(Watch {
            deadline_ms: AtomicU64::new(0),
            label: Mutex::new(String::new()),
        });
        watches()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(&watch));
        Ok(Self {
            lua,
            guard,
            watch,
            limits,
            script: script.to_string(),
            origin,
        })
    }

    /// The Lua state.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// What is running now, as [`Sandbox::run`] labels it (for log lines).
    pub fn origin(&self) -> Rc<RefCell<String>> {
        self.origin.clone()
    }

    /// Lifts the memory limit until the guard drops, for the host's own table
    /// building between script calls.
    ///
    /// Under a memory limit mlua runs every table and string operation inside
    /// a protected call, in case the allocation fails. The host builds bounded
    /// data (one conversation), so the limit is not needed there, and no
    /// script code can run meanwhile: scripts cannot set `__gc` finalizers
    /// (see the prelude). The limit is back before any script code runs again.
    #[must_use = "the limit is back when the guard drops"]
    pub fn host_side(&self) -> HostSide {
        let _ = self.lua.set_memory_limit(0);
        HostSide {
            lua: self.lua.clone(),
            memory: self.limits.memory,
        }
    }

    fn arm(&self, label: std::fmt::Arguments) {
        use std::fmt::Write as _;
        self.guard.left.set(budget(self.limits));
        let now = Instant::now();
        self.guard
            .deadline
            .set(Some(now.checked_add(self.limits.wall).unwrap_or(now)));
        *self.guard.killed.borrow_mut() = None;
        let deadline = watch_epoch().elapsed().saturating_add(self.limits.wall);
        // Reuse the buffers: this runs on every hook call.
        let mut origin = self.origin.borrow_mut();
        origin.clear();
        let _ = origin.write_fmt(label);
        if let Ok(mut l) = self.watch.label.lock() {
            l.clear();
            l.push_str(&origin);
        }
        self.watch.deadline_ms.store(
            u64::try_from(deadline.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            Ordering::SeqCst,
        );
    }

    fn disarm(&self) {
        self.watch.deadline_ms.store(0, Ordering::SeqCst);
        self.guard.deadline.set(None);
    }

    /// Runs the script's source (chunk name = its path) and returns its value.
    pub fn load(&self, source: &[u8]) -> Result<Value, LuaFailure> {
        self.arm(format_args!("{} (loading)", self.script));
        let result = self
            .lua
            .load(source)
            .set_name(format!("@{}", self.script))
            .call::<Value>(());
        self.disarm();
        result.map_err(|e| LuaFailure(self.message(&e)))
    }

    /// Runs `run` armed with the limits; `label` names the call in
    /// messages, log lines and the watchdog's report.
    pub fn run<R>(
        &self,
        label: std::fmt::Arguments,
        run: impl FnOnce(&Lua) -> mlua::Result<R>,
    ) -> Result<R, LuaFailure> {
        self.arm(label);
        let result = run(&self.lua);
        self.disarm();
        result.map_err(|e| LuaFailure(self.message(&e)))
    }

    fn message(&self, e: &mlua::Error) -> String {
        // A kill raised inside a pcall'd function resurfaces as a plain error:
        // the guard knows the real reason.
        if let Some(k) = self.guard.killed.borrow().as_ref() {
            return k.clone();
        }
        describe(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> Sandbox {
        let limits = Limits {
            instructions: 5_000_000,
            memory: 16 * 1024 * 1024,
            wall: Duration::from_secs(2),
        };
        Sandbox::new("scripts/t.lua", limits).unwrap()
    }

    fn run(sb: &Sandbox, code: &str) -> Result<Value, LuaFailure> {
        sb.load(code.as_bytes())
    }

    #[test]
    fn dangerous_globals_are_gone() {
        let sb = sandbox();
        for expr in [
            "io",
            "package",
            "debug",
            "require",
            "load",
            "loadfile",
            "dofile",
            "collectgarbage",
            "string.dump",
            "os.execute",
            "os.getenv",
            "os.remove",
            "os.exit",
        ] {
            let v = run(&sb, &format!("return {expr}")).unwrap();
            assert!(matches!(v, Value::Nil), "{expr} should be nil");
        }
        for expr in [
            "os.time()",
            "os.clock()",
            "os.date('%Y')",
            "utf8.char(241)",
            "table.concat({1,2})",
        ] {
            let v = run(&sb, &format!("return {expr}")).unwrap();
            assert!(!matches!(v, Value::Nil), "{expr} should work");
        }
    }

    #[test]
    fn errors_carry_the_script_path_and_line() {
        let sb = sandbox();
        let e = run(&sb, "local x = 1\nerror('boom')").unwrap_err();
        assert_eq!(e.0, "scripts/t.lua:2: boom");
        let e = run(&sb, "local = 1").unwrap_err();
        assert!(e.0.starts_with("scripts/t.lua:1:"), "{}", e.0);
    }

    #[test]
    fn endless_loops_are_stopped_even_under_pcall_and_in_coroutines() {
        for code in [
            "while true do end",
            "while true do pcall(function() while true do end end) end",
            "local co = coroutine.create(function() while true do end end) while true do coroutine.resume(co) end",
            "local f = coroutine.wrap(function() while true do end end) while true do pcall(f) end",
            "while true do xpcall(function() while true do end end, function(e) return e end) end",
        ] {
            let sb = sandbox();
            let started = Instant::now();
            let e = run(&sb, code).unwrap_err();
            assert!(e.0.contains("stopped"), "{code}: {}", e.0);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{code} took too long"
            );
            // The state stays usable for the next call.
            assert!(run(&sb, "return 1").is_ok());
        }
    }

    #[test]
    fn a_stop_inside_a_close_handler_is_not_swallowed_by_coroutine_close() {
        // Unwrapped, `close` returned the stop as a value and the script went
        // on (into a long C call the watchdog had to end): it must not.
        let sb = sandbox();
        let e = run(
            &sb,
            "local co = coroutine.create(function() local x <close> = setmetatable({}, { __close = function() while true do end end }) coroutine.yield() end)\n\
             coroutine.resume(co)\n\
             local ok, err = coroutine.close(co)\n\
             went_on = true\n\
             return ok",
        )
        .unwrap_err();
        assert!(e.0.contains("stopped"), "{}", e.0);
        let went_on: Value = sb.lua().globals().get("went_on").unwrap();
        assert!(went_on.is_nil(), "the script ran on after the stop");
    }

    #[test]
    fn finalizers_are_refused_and_other_metatables_work() {
        let sb = sandbox();
        let e = run(&sb, "setmetatable({}, { __gc = function() end })").unwrap_err();
        assert!(e.0.starts_with("scripts/t.lua:1:"), "{}", e.0);
        assert!(e.0.contains("__gc finalizers are not allowed"), "{}", e.0);
        let v = run(
            &sb,
            "local t = setmetatable({}, { __index = function(_, k) return k .. '!' end }) return t.hola",
        )
        .unwrap();
        assert!(matches!(v, Value::String(s) if s.to_string_lossy() == "hola!"));
    }

    #[test]
    fn the_memory_limit_is_back_after_host_side_work() {
        let sb = sandbox();
        {
            let _host = sb.host_side();
            // Bounded host work may go past the limit…
            let big = "x".repeat(20 * 1024 * 1024);
            sb.lua().create_string(&big).unwrap();
        }
        // …but script code never runs without it.
        let e = run(&sb, "return ('x'):rep(32 * 1024 * 1024)").unwrap_err();
        assert!(e.0.contains("memory"), "{}", e.0);
    }

    #[test]
    fn memory_bombs_are_stopped() {
        let sb = sandbox();
        let e = run(
            &sb,
            "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end",
        )
        .unwrap_err();
        assert!(e.0.contains("memory"), "{}", e.0);
        let e = run(&sb, "return ('x'):rep(1e9)").unwrap_err();
        assert!(e.0.contains("memory"), "{}", e.0);
        assert!(run(&sb, "return 1").is_ok());
    }

    #[test]
    fn limits_from_the_environment_never_panic() {
        let limits = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Limits::from_vars(move |k| {
                pairs
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v.clone())
            })
        };
        let d = Limits::default();
        assert_eq!(limits(&[]), d);
        for v in [
            "1e300", "1e19", "inf", "1e-300", "-1", "0", "NaN", "abc", "",
        ] {
            let l = limits(&[
                ("CONVGEN_LUA_TIMEOUT", v),
                ("CONVGEN_LUA_INSTRUCTIONS", v),
                ("CONVGEN_LUA_MEMORY_MB", v),
            ]);
            assert!(l.wall >= MIN_WALL && l.wall <= MAX_WALL, "{v}: {l:?}");
        }
        let huge = limits(&[
            ("CONVGEN_LUA_TIMEOUT", "1e300"),
            ("CONVGEN_LUA_INSTRUCTIONS", "1e19"),
            ("CONVGEN_LUA_MEMORY_MB", "1e300"),
        ]);
        assert_eq!(huge.wall, MAX_WALL);
        assert_eq!(huge.instructions, 10_000_000_000_000_000_000);
        assert_eq!(huge.memory, usize::MAX);
        let tiny = limits(&[("CONVGEN_LUA_TIMEOUT", "1e-300")]);
        assert_eq!(tiny.wall, MIN_WALL);
        let set = limits(&[
            ("CONVGEN_LUA_TIMEOUT", " 2.5 "),
            ("CONVGEN_LUA_INSTRUCTIONS", "1000"),
            ("CONVGEN_LUA_MEMORY_MB", "8"),
        ]);
        assert_eq!(set.wall, Duration::from_millis(2500));
        assert_eq!(set.instructions, 1000);
        assert_eq!(set.memory, 8 * 1024 * 1024);
        let ignored = limits(&[
            ("CONVGEN_LUA_TIMEOUT", "0"),
            ("CONVGEN_LUA_INSTRUCTIONS", "0.5"),
            ("CONVGEN_LUA_MEMORY_MB", "x"),
        ]);
        assert_eq!(ignored, d);
        // A budget past i64 still counts down (it is not read as negative),
        // and a day-long timeout arms without overflow.
        let sb = Sandbox::new("scripts/t.lua", huge).unwrap();
        assert!(
            sb.load(b"local n = 0 for i = 1, 100000 do n = n + i end return n")
                .is_ok()
        );
    }
}
