//! The named pools of a language's bank: the material facts are drawn from,
//! the phrases of a call, the phrases of other exchanges.

use serde::Deserialize;

use super::bank::{
    AskVerify, ByDayPart, ByDomain, ByResolved, ByTone, ByTopic, ByVerify, Item, Qa, Tagged,
    TaggedQa,
};
use super::day_parts::DayParts;

/// What facts are drawn from when the variables do not give them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactPools {
    /// Agents' first names.
    pub agents: Vec<String>,
    /// Callers' first names, by gender (the honorific follows it).
    pub female: Vec<String>,
    pub male: Vec<String>,
    pub surnames: Vec<String>,
    /// January to December.
    pub months: Vec<String>,
    /// Monday to Sunday, as the phrases of `since` and `callback` write them:
    /// a weekday named there becomes the real one of a day near the call.
    pub weekdays: Vec<String>,
    /// Since when the problem lasts ("since Monday").
    pub since: Vec<String>,
    /// How long a case takes ("within 48 hours").
    pub sla: Vec<String>,
    /// How money comes back ("as a credit on your next bill").
    pub refund: Vec<String>,
    pub streets: Vec<String>,
    /// Years a customer has been with the company, in words.
    pub years: Vec<String>,
    /// When a call back happens ("tomorrow morning").
    pub callback: Vec<String>,
    pub hours: Vec<String>,
    /// Documents asked for.
    pub docs: Vec<String>,
    /// Kinds of bank card.
    pub cards: Vec<String>,
    pub items: Vec<Item>,
    pub companies: ByDomain<Vec<String>>,
    pub products: ByDomain<Vec<String>>,
    /// What a disputed charge turns out to be.
    pub fees: ByDomain<Vec<String>>,
    pub plans: ByDomain<Vec<String>>,
    /// The department handling each topic.
    pub dept: ByTopic<String>,
    /// The topic named as a matter ("the fault").
    pub issue: ByTopic<String>,
    /// When the morning, the afternoon and the evening begin ("HH:MM").
    pub day_parts: DayParts,
    /// The greeting and the wish of each part of the day.
    pub hello: ByDayPart,
    pub wish: ByDayPart,
}

/// The phrases of a call between an agent and a client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallPools {
    /// The client's first words when the client speaks first.
    pub ring: Vec<String>,
    pub greet: Vec<String>,
    pub greet_short: Vec<String>,
    pub ask_verify: Vec<AskVerify>,
    pub verified: Vec<String>,
    pub checking: Vec<String>,
    pub filler_qa: Vec<TaggedQa>,
    /// Fillers of long calls, with fresh `{dyn_*}` facts each time.
    pub dynamic_qa: Vec<Qa>,
    pub hold: Vec<String>,
    pub back_from_hold: Vec<String>,
    pub noted: Vec<String>,
    pub lead: Vec<String>,
    pub lead_verified: Vec<String>,
    pub escalate: Vec<String>,
    pub escalate_tech: Vec<String>,
    pub pending: Vec<String>,
    pub callback: Vec<String>,
    pub thats_all: Vec<String>,
    pub recap: Vec<String>,
    pub anything_else: Vec<String>,
    pub nothing_else: Vec<String>,
    pub farewell: Vec<String>,
    pub farewell_solo: Vec<String>,
    pub bye: Vec<String>,
    pub bye_short: Vec<String>,
    /// The client gives the script's other variables: `{extras}`.
    pub extras: Vec<String>,
    /// What the client asks back, and the agent's answer.
    pub client_q: Vec<Qa>,
    pub opener: ByTone<Vec<String>>,
    pub tail: ByTone<Vec<String>>,
    pub empathy: ByTone<Vec<String>>,
    pub give_prefix: ByTone<Vec<String>>,
    pub give_verify: ByVerify<Vec<String>>,
    pub hold_ok: ByTone<Vec<String>>,
    pub react: ByTone<Vec<String>>,
    pub problem: ByTopic<Vec<Tagged>>,
    pub amount_clause: ByTopic<Vec<String>>,
    pub topic_qa: ByTopic<Vec<TaggedQa>>,
    pub explain: ByTopic<Vec<Tagged>>,
    pub resolve: ByTopic<Vec<Tagged>>,
    pub accept: ByTone<ByResolved>,
}

/// The phrases of exchanges between other roles (an interview, a meeting).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericPools {
    pub open: Vec<String>,
    pub first_qa: Vec<Qa>,
    pub qa: Vec<Qa>,
    pub dynamic_qa: Vec<Qa>,
    pub back_q: Vec<Qa>,
    pub ack: Vec<String>,
    pub comment: Vec<String>,
    pub monologue: Vec<String>,
    pub wrap: Vec<String>,
    pub close_leader: Vec<String>,
    pub close_other: Vec<String>,
    /// Someone gives the script's other variables: `{extras}`.
    pub extras: Vec<String>,
}
