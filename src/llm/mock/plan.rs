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
    if agent_first {
        return agent_plan(n);
    }
    match n {
        0 => Vec::new(),
        1 => vec![vec![Part::Problem]],
        2 => vec![
            vec![Part::Problem],
            vec![
                Part::GreetShort,
                Part::Lead,
                Part::Resolve,
                Part::FarewellSolo,
            ],
        ],
        _ => {
            let mut plan = Vec::with_capacity(n);
            plan.push(vec![Part::Ring]);
            plan.extend(agent_plan(n - 1));
            plan
        }
    }
}

/// A call whose first turn is the agent's: greeting and problem, verification,
/// investigation (and, in long calls, extra middle turns), explanation,
/// resolution, closing. Short calls drop the middle phases and merge the ends.
fn agent_plan(n: usize) -> Vec<Vec<Part>> {
    match n {
        0 => return Vec::new(),
        1 => return vec![vec![Part::Greet]],
        2 => return vec![vec![Part::Greet], vec![Part::Problem]],
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
    plan.push(vec![Part::Greet]);
    plan.push(vec![Part::Problem]);
    if pairs >= 1 {
        plan.push(vec![Part::AskVerify]);
        plan.push(vec![Part::GiveVerify]);
    }
    if pairs >= 3 {
        plan.push(vec![Part::Investigate]);
        plan.push(vec![Part::Detail]);
        for _ in 0..pairs - 3 {
            plan.push(vec![Part::Filler]);
            plan.push(vec![Part::FillerAns]);
        }
    }
    let explained = pairs >= 2;
    if explained {
        plan.push(vec![Part::Explain]);
        plan.push(vec![Part::React]);
    }
    let resolve = if explained {
        vec![Part::Resolve]
    } else {
        vec![Part::Lead, Part::Resolve]
    };
    match end {
        1 => {
            let mut t = resolve;
            t.push(Part::FarewellSolo);
            plan.push(t);
        }
        2 => {
            let mut t = resolve;
            t.push(Part::AnythingElse);
            plan.push(t);
            plan.push(vec![Part::Accept, Part::NothingElse, Part::ByeShort]);
        }
        3 => {
            plan.push(resolve);
            plan.push(vec![Part::Accept, Part::ThatsAll]);
            plan.push(vec![Part::Farewell]);
        }
        _ => {
            plan.push(resolve);
            plan.push(vec![Part::Accept]);
            plan.push(vec![Part::AnythingElse]);
            match end {
                4 => plan.push(vec![Part::NothingElse, Part::ByeShort]),
                5 => {
                    plan.push(vec![Part::NothingElse]);
                    plan.push(vec![Part::Farewell]);
                }
                _ => {
                    plan.push(vec![Part::NothingElse]);
                    plan.push(vec![Part::Farewell]);
                    plan.push(vec![Part::Bye]);
                }
            }
        }
    }
    plan
}
