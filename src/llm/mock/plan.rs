//! The call plan: which parts (greeting, problem, verification, ...) each
//! turn of a call is made of, fitted into exactly the turns asked for.

// ---------------------------------------------------------------------------

/// What one turn of a call is made of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Part {
    Ring,
    Greet,
    GreetShort,
    Problem,
    AskVerify,
    GiveVerify,
    Investigate,
    Detail,
    Filler,
    FillerAns,
    Explain,
    React,
    Lead,
    Resolve,
    Accept,
    ThatsAll,
    AnythingElse,
    NothingElse,
    Farewell,
    FarewellSolo,
    Bye,
    ByeShort,
}

/// The phases of a call, fitted into exactly `n` turns.
pub fn call_plan(n: usize, agent_first: bool) -> Vec<Vec<Part>> {
    use Part::*;
    if agent_first {
        return agent_plan(n);
    }
    match n {
        0 => Vec::new(),
        1 => vec![vec![Problem]],
        2 => vec![vec![Problem], vec![GreetShort, Lead, Resolve, FarewellSolo]],
        _ => {
            let mut plan = Vec::with_capacity(n);
            plan.push(vec![Ring]);
            plan.extend(agent_plan(n - 1));
            plan
        }
    }
}

/// A call whose first turn is the agent's: greeting and problem, verification,
/// investigation (and, in long calls, extra middle turns), explanation,
/// resolution, closing. Short calls drop the middle phases and merge the ends.
fn agent_plan(n: usize) -> Vec<Vec<Part>> {
    use Part::*;
    match n {
        0 => return Vec::new(),
        1 => return vec![vec![Greet]],
        2 => return vec![vec![Greet], vec![Problem]],
        _ => {}
    }
    // middle turns (even) and end-block length
    let (middle, end) = if n <= 5 {
        (0, n - 2)
    } else if n <= 7 {
        (2, n - 4)
    } else if n <= 12 {
        (4, n - 6)
    } else {
        let end = if n.is_multiple_of(2) { 6 } else { 5 };
        (n - 2 - end, end)
    };
    let pairs = middle / 2;
    let mut plan: Vec<Vec<Part>> = Vec::with_capacity(n);
    plan.push(vec![Greet]);
    plan.push(vec![Problem]);
    if pairs >= 1 {
        plan.push(vec![AskVerify]);
        plan.push(vec![GiveVerify]);
    }
    if pairs >= 3 {
        plan.push(vec![Investigate]);
        plan.push(vec![Detail]);
        for _ in 0..pairs - 3 {
            plan.push(vec![Filler]);
            plan.push(vec![FillerAns]);
        }
    }
    let explained = pairs >= 2;
    if explained {
        plan.push(vec![Explain]);
        plan.push(vec![React]);
    }
    let resolve = if explained {
        vec![Resolve]
    } else {
        vec![Lead, Resolve]
    };
    match end {
        1 => {
            let mut t = resolve;
            t.push(FarewellSolo);
            plan.push(t);
        }
        2 => {
            let mut t = resolve;
            t.push(AnythingElse);
            plan.push(t);
            plan.push(vec![Accept, NothingElse, ByeShort]);
        }
        3 => {
            plan.push(resolve);
            plan.push(vec![Accept, ThatsAll]);
            plan.push(vec![Farewell]);
        }
        _ => {
            plan.push(resolve);
            plan.push(vec![Accept]);
            plan.push(vec![AnythingElse]);
            match end {
                4 => plan.push(vec![NothingElse, ByeShort]),
                5 => {
                    plan.push(vec![NothingElse]);
                    plan.push(vec![Farewell]);
                }
                _ => {
                    plan.push(vec![NothingElse]);
                    plan.push(vec![Farewell]);
                    plan.push(vec![Bye]);
                }
            }
        }
    }
    plan
}
