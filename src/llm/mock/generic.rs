//! Exchanges between roles that are not an agent and a client: the first
//! role leads (opens, asks, wraps up); the others answer and comment.

use super::writer::Writer;

// Generic exchanges (roles that are not an agent and a client)

/// The first role leads (opens, asks, wraps up); the others answer and comment.
pub fn write_generic(w: &mut Writer, n: usize, roles: usize) -> Vec<String> {
    let roles = roles.max(1);
    let mut out = Vec::with_capacity(n);
    let mut pending: Option<&'static str> = None;
    let mut leader_owes: Option<&'static str> = None;
    for i in 0..n {
        let leader = i % roles == 0;
        let last = i + 1 == n;
        if i == 0 {
            w.say(&w.b.generic.open[..]);
            if n > 1
                && roles > 1
                && let Some(e) = w.pick(&w.b.generic.first_qa[..])
            {
                w.text(&e.q);
                pending = Some(&e.a);
            }
        } else if last {
            if let Some(a) = leader_owes.take().filter(|_| leader) {
                w.text(a);
            }
            let pool = if leader {
                &w.b.generic.close_leader[..]
            } else {
                &w.b.generic.close_other[..]
            };
            w.say(pool);
        } else if leader {
            if let Some(a) = leader_owes.take() {
                w.text(a);
            }
            // The leader's last turn before someone else's final one: wrap up.
            if i + roles >= n {
                w.say(&w.b.generic.wrap[..]);
            } else {
                w.say_maybe(0.4, &w.b.generic.ack[..]);
                if roles == 1 {
                    w.say(&w.b.generic.monologue[..]);
                } else {
                    generic_question(w, &mut pending);
                }
            }
        } else {
            match pending.take() {
                Some(a) => w.text(a),
                None => w.say(&w.b.generic.comment[..]),
            }
            // Before the leader's next (non-final) turn, ask something back.
            let next_is_leader = (i + 1) % roles == 0;
            let leader_continues = i + 1 + roles < n;
            let back_q = &w.b.generic.back_q[..];
            if next_is_leader
                && leader_continues
                && w.remaining(back_q) > 0
                && w.rng.chance(0.25)
                && let Some(e) = w.pick(back_q)
            {
                w.text(&e.q);
                leader_owes = Some(&e.a);
            }
        }
        out.push(w.finish());
    }
    out
}

fn generic_question(w: &mut Writer, pending: &mut Option<&'static str>) {
    let pool = &w.b.generic.qa[..];
    let pool = if w.remaining(pool) > 0 {
        pool
    } else {
        w.next_dynamic();
        &w.b.generic.dynamic_qa[..]
    };
    if let Some(e) = w.pick(pool) {
        w.text(&e.q);
        *pending = Some(&e.a);
    }
}

// Phrase pools — Spanish (Spain). Always "usted". `{key}` is a fact,
// `[a|b]` one alternative. Index orders: tone = calm, angry, urgent, confused;
