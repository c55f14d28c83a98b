//! `ctx.rng` and `math.random`: the conversation's seeded generator.
//!
//! The generator lives in the state's app data. The host lends each
//! conversation's [`ConvRng`] to the state for the length of a hook call
//! ([`lend`]), so every draw is tied to (run seed, conversation index) and
//! never to a worker or to scheduling. `ctx.rng` is a small userdata handle
//! whose methods draw from whatever generator is lent.

use mlua::{AnyUserData, Lua, Table, UserData, UserDataMethods, Value, Variadic};

use crate::rng::ConvRng;

/// The `ctx.rng` handle.
pub struct LuaRng;

impl UserData for LuaRng {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_function("int", int);
        methods.add_function("float", float);
        methods.add_function("choice", choice);
        methods.add_function("weighted", weighted);
    }
}

/// Installs the generator slot, `math.random` and `math.randomseed`;
/// returns the `ctx.rng` handle.
pub fn register(lua: &Lua) -> mlua::Result<AnyUserData> {
    lua.set_app_data(ConvRng::new(0));
    let math: Table = lua.globals().raw_get("math")?;
    math.raw_set("random", lua.create_function(math_random)?)?;
    math.raw_set("randomseed", lua.create_function(math_randomseed)?)?;
    lua.create_userdata(LuaRng)
}

/// The conversation's generator, lent to a state until dropped.
pub struct Lent<'a> {
    lua: &'a Lua,
    rng: &'a mut ConvRng,
}

/// Lends `rng` to `lua`'s `ctx.rng` and `math.random` until the guard drops.
pub fn lend<'a>(lua: &'a Lua, rng: &'a mut ConvRng) -> Lent<'a> {
    swap(lua, rng);
    Lent { lua, rng }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        swap(self.lua, self.rng);
    }
}

fn swap(lua: &Lua, rng: &mut ConvRng) {
    if let Ok(Some(mut slot)) = lua.try_app_data_mut::<ConvRng>() {
        std::mem::swap(&mut *slot, rng);
    }
}

/// Runs `f` on the lent generator (never while Lua code runs: no reentry).
fn with_rng<R>(lua: &Lua, f: impl FnOnce(&mut ConvRng) -> R) -> mlua::Result<R> {
    match lua.try_app_data_mut::<ConvRng>() {
        Ok(Some(mut rng)) => Ok(f(&mut rng)),
        _ => Err(mlua::Error::RuntimeError(
            "the random generator is not available here".into(),
        )),
    }
}

/// Checks the method was called on the handle: `ctx.rng:int(…)`, not `ctx.rng.int(…)`.
fn this(v: &Value, method: &str) -> mlua::Result<()> {
    match v {
        Value::UserData(ud) if ud.is::<LuaRng>() => Ok(()),
        other => Err(mlua::Error::RuntimeError(format!(
            "bad argument #1 to '{method}' (convgen.rng expected, got {}); call it with a colon: ctx.rng:{method}(…)",
            super::plain::type_name(other)
        ))),
    }
}

/// Argument `n` as an integer, as `luaL_checkinteger` reads it.
fn integer(lua: &Lua, v: Value, n: usize, function: &str) -> mlua::Result<i64> {
    let why = match &v {
        Value::Number(_) | Value::String(_) => "number has no integer representation",
        _ => "",
    };
    let kind = super::plain::type_name(&v);
    match lua.coerce_integer(v)? {
        Some(i) => Ok(i),
        None if !why.is_empty() => Err(mlua::Error::RuntimeError(format!(
            "bad argument #{n} to '{function}' ({why})"
        ))),
        None => Err(mlua::Error::RuntimeError(format!(
            "bad argument #{n} to '{function}' (number expected, got {kind})"
        ))),
    }
}

/// An integer drawn from [a, b].
fn draw_int(lua: &Lua, a: i64, b: i64, call: &str) -> mlua::Result<i64> {
    with_rng(lua, |r| r.int(a, b))?.ok_or_else(|| {
        mlua::Error::RuntimeError(format!(
            "{call}({a}, {b}): the first bound must not exceed the second"
        ))
    })
}

/// `rng:int(a, b)`.
fn int(lua: &Lua, (rng, a, b): (Value, Value, Value)) -> mlua::Result<i64> {
    this(&rng, "int")?;
    let a = integer(lua, a, 2, "int")?;
    let b = integer(lua, b, 3, "int")?;
    draw_int(lua, a, b, "rng:int")
}

/// `rng:float()`.
fn float(lua: &Lua, rng: Value) -> mlua::Result<f64> {
    this(&rng, "float")?;
    with_rng(lua, ConvRng::float)
}

fn list_arg(v: Value, method: &str) -> mlua::Result<Table> {
    match v {
        Value::Table(t) => Ok(t),
        other => Err(mlua::Error::RuntimeError(format!(
            "bad argument #2 to '{method}' (table expected, got {})",
            super::plain::type_name(&other)
        ))),
    }
}

/// `rng:choice(list)`: one of `list[1]`…`list[#list]` (the length as Lua
/// gives it, read raw).
fn choice(lua: &Lua, (rng, list): (Value, Value)) -> mlua::Result<Value> {
    this(&rng, "choice")?;
    let list = list_arg(list, "choice")?;
    let n = list.raw_len() as u64;
    if n == 0 {
        return Err(mlua::Error::RuntimeError(
            "rng:choice(list): the list is empty".into(),
        ));
    }
    let i = with_rng(lua, |r| r.below(n))? + 1;
    list.raw_get(i)
}

/// `rng:weighted(list, key)`: an item of `list` (up to its first nil, as
/// with ipairs), drawn in proportion to its `key` field (read raw; absent
/// weighs 0).
fn weighted(lua: &Lua, (rng, list, key): (Value, Value, Value)) -> mlua::Result<Value> {
    this(&rng, "weighted")?;
    let list = list_arg(list, "weighted")?;
    let key = match key {
        Value::String(s) => s,
        other => {
            return Err(mlua::Error::RuntimeError(format!(
                "bad argument #3 to 'weighted' (string expected, got {})",
                super::plain::type_name(&other)
            )));
        }
    };
    let name = key.to_string_lossy();
    let mut weights = Vec::new();
    for item in list.sequence_values::<Value>() {
        let w = match item? {
            Value::Table(t) => match t.raw_get::<Value>(&key)? {
                Value::Integer(i) => i as f64,
                Value::Number(n) => n,
                Value::Nil => 0.0,
                other => {
                    return Err(mlua::Error::RuntimeError(format!(
                        "rng:weighted(list, \"{name}\"): an item's `{name}` is a {}, not a number",
                        super::plain::type_name(&other)
                    )));
                }
            },
            other => {
                return Err(mlua::Error::RuntimeError(format!(
                    "rng:weighted(list, \"{name}\"): items must be tables, found a {}",
                    super::plain::type_name(&other)
                )));
            }
        };
        weights.push(w);
    }
    match with_rng(lua, |r| r.weighted_index(&weights))? {
        Some(i) => list.raw_get(i + 1),
        None => Err(mlua::Error::RuntimeError(format!(
            "rng:weighted(list, \"{name}\"): no item has a positive `{name}`"
        ))),
    }
}

/// `math.random([m [, n]])` with Lua's semantics, on the conversation's generator.
fn math_random(lua: &Lua, args: Variadic<Value>) -> mlua::Result<Value> {
    let mut args = args.into_iter();
    match (args.next(), args.next(), args.next()) {
        (None, _, _) => with_rng(lua, ConvRng::float).map(Value::Number),
        (Some(m), None, _) => {
            let m = integer(lua, m, 1, "random")?;
            draw_int(lua, 1, m, "rng:int").map(Value::Integer)
        }
        (Some(m), Some(n), None) => {
            let m = integer(lua, m, 1, "random")?;
            let n = integer(lua, n, 2, "random")?;
            draw_int(lua, m, n, "rng:int").map(Value::Integer)
        }
        _ => Err(mlua::Error::RuntimeError(
            "math.random takes at most two arguments".into(),
        )),
    }
}

/// `math.randomseed(x)`: restarts the lent generator from `x`, deterministically.
fn math_randomseed(lua: &Lua, seed: Value) -> mlua::Result<()> {
    let seed = match seed {
        Value::Nil => 0,
        v => integer(lua, v, 1, "randomseed")?,
    };
    with_rng(lua, |r| *r = ConvRng::new(seed as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlua::{Function, MultiValue};

    /// Runs `code` as a function of `rng` (the ctx handle) with conversation seed 7.
    fn call(lua: &Lua, rng: &AnyUserData, code: &str) -> Result<Vec<Value>, String> {
        let f: Function = lua
            .load(format!("return function(rng) {code} end"))
            .eval()
            .unwrap();
        let mut conv = ConvRng::new(7);
        let _lent = lend(lua, &mut conv);
        f.call::<MultiValue>(rng)
            .map(|v| v.into_iter().collect())
            .map_err(|e| e.to_string())
    }

    fn state() -> (Lua, AnyUserData) {
        let lua = Lua::new();
        let rng = register(&lua).unwrap();
        (lua, rng)
    }

    #[test]
    fn rng_methods_and_math_random_draw_from_the_conversation_generator() {
        let (lua, rng) = state();
        let v = call(
            &lua,
            &rng,
            "return rng:int(1, 6), rng:float(), math.random(10), rng:choice({'a','b','c'}), \
             rng:weighted({{id='x', w=0}, {id='y', w=2}}, 'w').id, math.random(), rng:int(2.0, '3')",
        )
        .unwrap();
        let mut r = ConvRng::new(7);
        let expect_int = r.int(1, 6).unwrap();
        let expect_float = r.float();
        let expect_random = r.int(1, 10).unwrap();
        let expect_choice = ["a", "b", "c"][r.below(3) as usize];
        let _ = r.weighted_index(&[0.0, 2.0]);
        let expect_last = r.float();
        let expect_coerced = r.int(2, 3).unwrap();
        assert_eq!(v[0].as_i64(), Some(expect_int));
        assert_eq!(v[1].as_f64(), Some(expect_float));
        assert_eq!(v[2].as_i64(), Some(expect_random));
        assert_eq!(v[3].to_string().unwrap(), expect_choice);
        assert_eq!(v[4].to_string().unwrap(), "y");
        assert_eq!(v[5].as_f64(), Some(expect_last));
        assert_eq!(v[6].as_i64(), Some(expect_coerced));
    }

    #[test]
    fn the_generator_is_lent_for_a_call_and_given_back() {
        let (lua, rng) = state();
        let f: Function = lua
            .load("return function(rng) math.randomseed(5) return rng:int(1, 1000000) end")
            .eval()
            .unwrap();
        let mut mine = ConvRng::new(1);
        let got: i64 = {
            let _lent = lend(&lua, &mut mine);
            f.call(&rng).unwrap()
        };
        // The reseed happened to the lent generator, which came back.
        assert_eq!(got, ConvRng::new(5).int(1, 1_000_000).unwrap());
        let mut expected = ConvRng::new(5);
        expected.int(1, 1_000_000);
        assert_eq!(mine.int(1, 1_000_000), expected.int(1, 1_000_000));
    }

    #[test]
    fn rng_misuse_is_a_clear_error() {
        let (lua, rng) = state();
        for (code, needle) in [
            (
                "return rng:int(5, 1)",
                "rng:int(5, 1): the first bound must not exceed",
            ),
            (
                "return rng:int(1.5, 2)",
                "number has no integer representation",
            ),
            (
                "return rng:int('x', 2)",
                "number has no integer representation",
            ),
            ("return rng:int({}, 2)", "number expected, got table"),
            (
                "return rng:choice({})",
                "rng:choice(list): the list is empty",
            ),
            ("return rng:choice('x')", "table expected"),
            (
                "return rng:weighted({1}, 'w')",
                "items must be tables, found a number",
            ),
            (
                "return rng:weighted({{w='x'}}, 'w')",
                "an item's `w` is a string",
            ),
            (
                "return rng:weighted({{w=0}}, 'w')",
                "no item has a positive `w`",
            ),
            ("return rng:weighted({{w=1}})", "string expected, got nil"),
            ("return rng.int({}, 1, 2)", "convgen.rng expected"),
            ("return rng.choice({'a'})", "call it with a colon"),
            ("return setmetatable(rng, {})", "table expected"),
            ("return math.random(1, 2, 3)", "at most two arguments"),
            ("return math.random(3, 1)", "rng:int(3, 1): the first bound"),
        ] {
            let e = call(&lua, &rng, code).unwrap_err();
            assert!(e.contains(needle), "{code}: {e}");
        }
        // The handle's metatable is locked.
        let locked = call(&lua, &rng, "return getmetatable(rng)").unwrap();
        assert!(!matches!(locked[0], Value::Table(_)), "{:?}", locked[0]);
    }
}
