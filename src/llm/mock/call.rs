//! Call-center conversations: the plan's parts written turn by turn, with
//! what each side owes the other carried from turn to turn.

use super::bank::{ANY, VerifyKind};
use super::classify::{Domain, Outcome, Tone, Topic};
use super::extras::Spot;
use super::plan::{Part, call_plan};
use super::specifics::Kind;
use super::writer::{Writer, fits_tag};
/// What is owed at the start of the agent's next turn.
#[derive(Default)]
struct CallState {
    verify_kind: Option<VerifyKind>,
    /// The answer the client owes to the agent's last question.
    client_answer: Option<&'static str>,
    /// The answer the agent owes to the client's last question.
    agent_answer: Option<&'static str>,
    verified: bool,
    back_from_hold: bool,
    on_hold: bool,
    holds: usize,
    last_was_hold: bool,
    client_questions: usize,
}

/// The turns, and where the client gives data (after identifying, else
/// after stating the problem).
pub fn write_call(w: &mut Writer, n: usize, agent_first: bool) -> (Vec<String>, Option<Spot>) {
    let plan = call_plan(n, agent_first);
    let tone = w.f.tone;
    let topic = w.f.topic as usize;
    let ti = tone as usize;
    let mut st = CallState::default();
    let mut out = Vec::with_capacity(plan.len());
    let mut spot = None;
    for (i, parts) in plan.iter().enumerate() {
        let agent_turn = (i % 2 == 0) == agent_first;
        if agent_turn {
            if st.back_from_hold {
                st.back_from_hold = false;
                w.say(&w.b.call.back_from_hold[..]);
            }
            if st.verified {
                st.verified = false;
                w.say(&w.b.call.verified[..]);
            }
            if let Some(answer) = st.agent_answer.take() {
                w.text(answer);
            }
        }
        let just_verified = agent_turn && i > 0 && plan[i - 1].contains(&Part::GiveVerify);
        for part in parts {
            match part {
                Part::Ring => w.say(&w.b.call.ring[..]),
                Part::Greet => w.say(&w.b.call.greet[..]),
                Part::GreetShort => w.say(&w.b.call.greet_short[..]),
                Part::Problem => {
                    w.say(&w.b.call.opener.get(tone)[..]);
                    let (hint, domain) = (w.hint, w.domain);
                    let pool = &w.b.call.problem.get(w.f.topic)[..];
                    let mut said_amount = false;
                    // the hinted sub-type when this domain has a phrase for it
                    let hinted = pool.iter().any(|e| fits_tag(e.fits.0, hint, domain));
                    let hint = if hinted { hint } else { ANY };
                    if let Some(e) = w.pick_where(pool, |e| fits_tag(e.fits.0, hint, domain)) {
                        let tag = e.fits.0;
                        w.sub = tag & tag.wrapping_neg();
                        said_amount = e.text.contains("{amount}");
                        w.text(&e.text);
                    }
                    // The scenario's own words: the trip, the SIM card.
                    match w.spec {
                        Some(Kind::Noun) => w.say(&w.b.specifics.noun[..]),
                        Some(Kind::Adverbial) => w.say(&w.b.specifics.adverbial[..]),
                        None => {}
                    }
                    let money_talk = !(domain == Domain::Bank && w.f.topic == Topic::Cancel);
                    if !said_amount && money_talk {
                        // Said whenever the variables give an amount; otherwise now and
                        // then, where money naturally comes up.
                        let p = if w.f.amount_given {
                            1.0
                        } else {
                            [0.0, 0.3, 0.3, 0.3, 0.3, 0.15, 0.0, 0.4, 0.0, 0.35][topic]
                        };
                        w.say_maybe(p, &w.b.call.amount_clause.get(w.f.topic)[..]);
                    }
                    let p = [0.4, 0.85, 0.85, 0.6][ti];
                    w.say_maybe(p, &w.b.call.tail.get(tone)[..]);
                    if !agent_turn && spot.is_none() {
                        spot = Some(Spot {
                            turn: i,
                            at: w.written(),
                        });
                    }
                }
                Part::AskVerify => {
                    w.say(&w.b.call.empathy.get(tone)[..]);
                    if let Some(ask) = w.pick(&w.b.call.ask_verify[..]) {
                        st.verify_kind = Some(ask.kind);
                        w.text(&ask.text);
                    }
                }
                Part::GiveVerify => {
                    if matches!(tone, Tone::Angry | Tone::Confused) {
                        w.say_maybe(0.45, &w.b.call.give_prefix.get(tone)[..]);
                    }
                    let kind = st.verify_kind.unwrap_or(VerifyKind::Dni);
                    w.say(&w.b.call.give_verify.get(kind)[..]);
                    st.verified = true;
                    spot = Some(Spot {
                        turn: i,
                        at: w.written(),
                    });
                }
                Part::Investigate => {
                    w.say_maybe(0.4, &w.b.call.checking[..]);
                    let (sub, domain) = (w.sub, w.domain);
                    let pool = &w.b.call.topic_qa.get(w.f.topic)[..];
                    if let Some(e) = w.pick_where(pool, |e| fits_tag(e.fits.0, sub, domain)) {
                        w.text(&e.q);
                        st.client_answer = Some(&e.a);
                    }
                }
                Part::Filler => {
                    st.on_hold = false;
                    let topic_pool = &w.b.call.topic_qa.get(w.f.topic)[..];
                    let generic_pool = &w.b.call.filler_qa[..];
                    let hold_ok = st.holds < 2 && !st.last_was_hold;
                    if hold_ok && w.rng.chance(0.2) {
                        st.holds += 1;
                        st.on_hold = true;
                        w.say(&w.b.call.hold[..]);
                    } else {
                        let use_topic = w.remaining_fitting(topic_pool) > 0
                            && (w.remaining_fitting(generic_pool) == 0 || w.rng.chance(0.4));
                        let (sub, domain) = (w.sub, w.domain);
                        let qa = if use_topic {
                            w.pick_where(topic_pool, |e| fits_tag(e.fits.0, sub, domain))
                                .map(|e| (e.q.as_str(), e.a.as_str()))
                        } else if w.remaining_fitting(generic_pool) > 0 {
                            w.pick_where(generic_pool, |e| fits_tag(e.fits.0, ANY, domain))
                                .map(|e| (e.q.as_str(), e.a.as_str()))
                        } else {
                            w.next_dynamic();
                            w.pick(&w.b.call.dynamic_qa[..])
                                .map(|e| (e.q.as_str(), e.a.as_str()))
                        };
                        if let Some((q, a)) = qa {
                            w.text(q);
                            st.client_answer = Some(a);
                        }
                    }
                    st.last_was_hold = st.on_hold;
                }
                Part::Detail | Part::FillerAns => {
                    if st.on_hold && *part == Part::FillerAns {
                        st.on_hold = false;
                        st.back_from_hold = true;
                        w.say(&w.b.call.hold_ok.get(tone)[..]);
                    } else if let Some(a) = st.client_answer.take() {
                        w.text(a);
                    } else {
                        w.say(&w.b.call.noted[..]);
                    }
                }
                Part::Explain => {
                    w.say_maybe(0.3, &w.b.call.checking[..]);
                    let p = [0.0, 0.85, 0.7, 0.7][ti];
                    w.say_maybe(p, &w.b.call.empathy.get(tone)[..]);
                    w.say_fitting(&w.b.call.explain.get(w.f.topic)[..]);
                }
                Part::React => w.say(&w.b.call.react.get(tone)[..]),
                Part::Lead if just_verified => w.say(&w.b.call.lead_verified[..]),
                Part::Lead => w.say(&w.b.call.lead[..]),
                Part::Resolve => {
                    if tone == Tone::Angry {
                        w.say_maybe(0.35, &w.b.call.empathy.get(tone)[..]);
                    }
                    match w.f.outcome {
                        Outcome::Resolved => w.say_fitting(&w.b.call.resolve.get(w.f.topic)[..]),
                        Outcome::Escalated
                            if w.f.topic == Topic::Technical
                                && matches!(w.domain, Domain::Telecom | Domain::Shop)
                                && w.rng.chance(0.6) =>
                        {
                            w.say(&w.b.call.escalate_tech[..])
                        }
                        Outcome::Escalated => w.say(&w.b.call.escalate[..]),
                        Outcome::Pending => w.say(&w.b.call.pending[..]),
                        Outcome::Callback => w.say(&w.b.call.callback[..]),
                    }
                }
                Part::Accept => {
                    w.say(w.b.call.accept.get(tone).get(w.f.outcome));
                }
                Part::ThatsAll => w.say(&w.b.call.thats_all[..]),
                Part::AnythingElse => {
                    w.say_maybe(0.45, &w.b.call.recap[..]);
                    w.say(&w.b.call.anything_else[..]);
                }
                Part::NothingElse => w.say(&w.b.call.nothing_else[..]),
                Part::Farewell => w.say(&w.b.call.farewell[..]),
                Part::FarewellSolo => w.say(&w.b.call.farewell_solo[..]),
                Part::Bye => w.say(&w.b.call.bye[..]),
                Part::ByeShort => w.say(&w.b.call.bye_short[..]),
            }
        }
        // Now and then the client asks something the agent answers next turn.
        let asks_after = matches!(
            parts.last(),
            Some(Part::GiveVerify | Part::Detail | Part::FillerAns)
        );
        let next_ok = plan.get(i + 1).and_then(|t| t.first()).is_some_and(|p| {
            matches!(
                p,
                Part::Investigate | Part::Filler | Part::Explain | Part::Resolve | Part::Lead
            )
        });
        if !agent_turn
            && asks_after
            && next_ok
            && !st.back_from_hold
            && st.client_questions < 2
            && w.rng.chance(0.22)
            && let Some(e) = w.pick(&w.b.call.client_q[..])
        {
            w.text(&e.q);
            st.agent_answer = Some(&e.a);
            st.client_questions += 1;
        }
        out.push(w.finish());
    }
    (out, spot)
}
