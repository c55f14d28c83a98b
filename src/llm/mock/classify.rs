//! What a conversation is about, from the roles, the scenario and the
//! prompt: a call or not, the domain, the topic and its sub-type. The stems
//! are the banks' (see [`super::keywords`]).

use super::MockInput;
use super::bank::{ANY, Bank};
use super::keywords::Keywords;
use super::stems::{Counts, List};
use super::vars::clip;

/// Whether `role` names one of `words` ("rep" and "csr" are agents too).
fn role_is(role: &str, words: &[String], agent: bool) -> bool {
    let r = role.trim().to_lowercase();
    let short_agent = agent && matches!(r.as_str(), "rep" | "csr");
    short_agent || words.iter().any(|w| r.contains(w.as_str()))
}

/// `Some(agent_first)` when the roles are exactly an agent and a client.
pub fn call_roles(roles: &[String], k: &Keywords) -> Option<bool> {
    if roles.len() != 2 {
        return None;
    }
    let agent = |r: &str| role_is(r, &k.agent_roles, true);
    let client = |r: &str| role_is(r, &k.client_roles, false);
    let a0 = agent(&roles[0]) && !client(&roles[0]);
    let c0 = client(&roles[0]) && !agent(&roles[0]);
    let a1 = agent(&roles[1]) && !client(&roles[1]);
    let c1 = client(&roles[1]) && !agent(&roles[1]);
    if a0 && c1 {
        Some(true)
    } else if c0 && a1 {
        Some(false)
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Topic {
    Billing = 0,
    Technical = 1,
    Cancel = 2,
    Plan = 3,
    Order = 4,
    Account = 5,
    General = 6,
    /// Bank cards: declined, lost or stolen, unrecognised payments (bank domain only).
    Card = 7,
    /// Bank transfers: not received, sent to the wrong account (bank domain only).
    Transfer = 8,
    /// Insurance claims: a vehicle accident, a theft, damage to a home
    /// (insurance domain only).
    Claim = 9,
}

impl Topic {
    /// Every topic, in the order of its number.
    pub const ALL: [Topic; 10] = [
        Topic::Billing,
        Topic::Technical,
        Topic::Cancel,
        Topic::Plan,
        Topic::Order,
        Topic::Account,
        Topic::General,
        Topic::Card,
        Topic::Transfer,
        Topic::Claim,
    ];

    /// Whether a conversation in `domain` can be about this topic: cards and
    /// transfers are for banks only, claims for insurers only, and an
    /// insurer has no faults or orders (their phrases are about routers and
    /// parcels).
    pub fn reachable_in(self, domain: Domain) -> bool {
        match self {
            Topic::Card | Topic::Transfer => domain == Domain::Bank,
            Topic::Claim => domain == Domain::Insurance,
            Topic::Technical | Topic::Order => domain != Domain::Insurance,
            _ => true,
        }
    }

    /// Whether the topic's phrases are told apart by sub-type (`fits`).
    pub fn has_subtypes(self) -> bool {
        !matches!(self, Topic::Technical | Topic::Cancel | Topic::General)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Domain {
    Telecom = 0,
    Bank = 1,
    Shop = 2,
    Insurance = 3,
}

impl Domain {
    pub const ALL: [Domain; 4] = [
        Domain::Telecom,
        Domain::Bank,
        Domain::Shop,
        Domain::Insurance,
    ];

    /// The name a phrase's `fits` gives the domain.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Telecom => "telecom",
            Domain::Bank => "bank",
            Domain::Shop => "shop",
            Domain::Insurance => "insurance",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    Calm = 0,
    Angry = 1,
    Urgent = 2,
    Confused = 3,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Resolved,
    Escalated,
    Pending,
    Callback,
}

/// The stems found in the scenario (id and title weigh three times) and in
/// the prompt.
pub struct Haystack {
    head: Counts,
    body: Counts,
    prompt: Counts,
}

/// How many of `words` `hay` holds, one search per stem: what
/// [`super::stems::StemIndex`] counts in one pass (its tests' reference).
#[cfg(test)]
pub fn count_hits(hay: &str, words: &[String]) -> usize {
    words.iter().filter(|w| hay.contains(w.as_str())).count()
}

/// Like [`count_hits`], with each stem matched only at the start of a word
/// (so "claim" is not found in "reclaim", nor "store" in "restore").
#[cfg(test)]
pub fn count_word_hits(hay: &str, words: &[String]) -> usize {
    words.iter().filter(|w| at_word_start(hay, w)).count()
}

#[cfg(test)]
fn at_word_start(hay: &str, stem: &str) -> bool {
    if stem.is_empty() {
        return false;
    }
    hay.match_indices(stem).any(|(at, _)| {
        hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

impl Haystack {
    pub fn new(input: &MockInput, bank: &Bank) -> Self {
        let mut head = input.scenario_id.replace(['_', '-'], " ");
        head.push(' ');
        head.push_str(input.scenario_title);
        let stems = bank.stems();
        let prompt = format!("{} {}", input.title, clip(input.system, 3000));
        Self {
            head: stems.count(&head.to_lowercase()),
            body: stems.count(&clip(input.scenario_text, 2000).to_lowercase()),
            prompt: stems.count(&prompt.to_lowercase()),
        }
    }

    fn score(&self, list: List) -> usize {
        3 * self.head.get(list) + self.body.get(list)
    }

    pub fn topic(&self, domain: Domain) -> Topic {
        let mut best = (0, Topic::General);
        for topic in Topic::ALL {
            // cards and transfers have pools written for banks only, claims
            // for insurers only; general is what is left
            if topic == Topic::General || !topic.reachable_in(domain) {
                continue;
            }
            let score = self.score(List::Topic(topic));
            if score > best.0 {
                best = (score, topic);
            }
        }
        best.1
    }

    /// The sub-type of the topic that the scenario's words point at (all when none).
    pub fn subtype_hint(&self, topic: Topic) -> u8 {
        if !topic.has_subtypes() {
            return ANY;
        }
        let mut best = (0, ANY);
        for i in 0..3 {
            let score = self.score(List::Sub(topic, i));
            if score > best.0 {
                best = (score, 1 << i);
            }
        }
        best.1
    }

    pub fn domain(&self) -> Domain {
        let mut best = (0, Domain::Telecom);
        for domain in Domain::ALL {
            let list = List::Domain(domain);
            let score = 2 * self.head.get(list) + self.body.get(list) + self.prompt.get(list);
            if score > best.0 {
                best = (score, domain);
            }
        }
        best.1
    }
}
