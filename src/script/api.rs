//! What convgen adds to a script's globals: the seeded `rng` handle,
//! `math.random` bound to it, and `print` / `log.*` routed to the run log.
//!
//! The generator itself lives in the state's app data; the host swaps the
//! conversation's generator in for the length of each hook call, so every
//! draw is tied to (run seed, conversation index) and never to a worker.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{AnyUserData, Lua, MultiValue, Table, UserData, UserDataMethods, Value, Variadic};

use super::sandbox::LogSink;
use crate::rng::ConvRng;

/// The `ctx.rng` handle; its methods draw from the current conversation's generator.
pub struct LuaRng;

fn with_rng<R>(lua: &Lua, f: impl FnOnce(&mut ConvRng) -> R) -> mlua::Result<R> {
    let mut rng = lua.app_data_mut::<ConvRng>().ok_or_else(|| {
        mlua::Error::RuntimeError("the random generator is not available here".into())
    })?;
    Ok(f(&mut rng))
}

fn rng_int(lua: &Lua, (a, b): (i64, i64)) -> mlua::Result<i64> {
    with_rng(lua, |r| r.int(a, b))?.ok_or_else(|| {
        mlua::Error::RuntimeError(format!(
            "rng:int({a}, {b}): the first bound must not exceed the second"
        ))
    })
}

fn rng_choice(lua: &Lua, list: Table) -> mlua::Result<Value> {
    let n = list.raw_len();
    if n == 0 {
        return Err(mlua::Error::RuntimeError(
            "rng:choice(list): the list is empty".into(),
        ));
    }
    let i = with_rng(lua, |r| r.below(n as u64))? as usize + 1;
    list.raw_get(i)
}

fn rng_weighted(lua: &Lua, (list, key): (Table, String)) -> mlua::Result<Value> {
    let mut items = Vec::new();
    let mut weights = Vec::new();
    for item in list.sequence_values::<Value>() {
        let item = item?;
        let w = match &item {
            Value::Table(t) => match t.get::<Value>(key.as_str())? {
                Value::Integer(i) => i as f64,
                Value::Number(n) => n,
                Value::Nil => 0.0,
                other => {
                    return Err(mlua::Error::RuntimeError(format!(
                        "rng:weighted(list, \"{key}\"): an item's `{key}` is a {}, not a number",
                        other.type_name()
                    )));
                }
            },
            other => {
                return Err(mlua::Error::RuntimeError(format!(
                    "rng:weighted(list, \"{key}\"): items must be tables, found a {}",
                    other.type_name()
                )));
            }
        };
        items.push(item);
        weights.push(w);
    }
    match with_rng(lua, |r| r.weighted_index(&weights))? {
        Some(i) => Ok(items.swap_remove(i)),
        None => Err(mlua::Error::RuntimeError(format!(
            "rng:weighted(list, \"{key}\"): no item has a positive `{key}`"
        ))),
    }
}

impl UserData for LuaRng {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("int", |lua, _, args: (i64, i64)| rng_int(lua, args));
        methods.add_method("float", |lua, _, ()| with_rng(lua, |r| r.float()));
        methods.add_method("choice", |lua, _, list: Table| rng_choice(lua, list));
        methods.add_method("weighted", |lua, _, args: (Table, String)| {
            rng_weighted(lua, args)
        });
    }
}

/// `math.random([m [, n]])` with Lua's semantics, on the conversation's generator.
fn math_random(lua: &Lua, args: Variadic<i64>) -> mlua::Result<Value> {
    match args.as_slice() {
        [] => with_rng(lua, |r| Value::Number(r.float())),
        [m] => rng_int(lua, (1, *m)).map(Value::Integer),
        [m, n] => rng_int(lua, (*m, *n)).map(Value::Integer),
        _ => Err(mlua::Error::RuntimeError(
            "math.random takes at most two arguments".into(),
        )),
    }
}

/// `math.randomseed(x)`: restarts the current generator from `x`, deterministically.
fn math_randomseed(lua: &Lua, seed: Option<i64>) -> mlua::Result<()> {
    with_rng(lua, |r| *r = ConvRng::new(seed.unwrap_or(0) as u64))
}

fn render(lua: &Lua, values: MultiValue) -> mlua::Result<String> {
    let tostring: mlua::Function = lua.globals().get("tostring")?;
    let mut parts = Vec::with_capacity(values.len());
    for v in values {
        parts.push(tostring.call::<String>(v)?);
    }
    Ok(parts.join("\t"))
}

/// Installs `rng`-backed `math.random`, `print` and `log` in a state.
pub fn register(
    lua: &Lua,
    script: &str,
    log: Arc<dyn LogSink>,
    origin: Rc<RefCell<String>>,
) -> mlua::Result<()> {
    let globals = lua.globals();
    let math: Table = globals.get("math")?;
    math.set("random", lua.create_function(math_random)?)?;
    math.set("randomseed", lua.create_function(math_randomseed)?)?;

    let make_logger = |level: &'static str| {
        let log = log.clone();
        let origin = origin.clone();
        let script = script.to_string();
        lua.create_function(move |lua, values: MultiValue| {
            let text = render(lua, values)?;
            log.log(level, &format!("{script} ({})", origin.borrow()), &text);
            Ok(())
        })
    };
    globals.set("print", make_logger("info")?)?;
    let log_table = lua.create_table()?;
    log_table.set("info", make_logger("info")?)?;
    log_table.set("warn", make_logger("warn")?)?;
    globals.set("log", log_table)?;
    super::text::register(lua)
}

/// A new `rng` handle for ctx tables.
pub fn rng_handle(lua: &Lua) -> mlua::Result<AnyUserData> {
    lua.create_userdata(LuaRng)
}
