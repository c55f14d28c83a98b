//! The stems that tell what a conversation is about. Each language's bank
//! has its own (`[keywords]`); the mock reads a scenario with the stems of
//! every bank together, so a prompt in one language with a scenario
//! written in another is still understood.

use serde::Deserialize;

use super::var_names::VarNames;

type Words = Vec<String>;

/// Stems per topic (general has none: it is what is left).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicWords {
    pub billing: Words,
    pub technical: Words,
    pub cancel: Words,
    pub plan: Words,
    pub order: Words,
    pub account: Words,
    pub card: Words,
    pub transfer: Words,
    pub claim: Words,
}

/// Stems per business domain (insurance stems match at a word's start).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DomainWords {
    pub telecom: Words,
    pub bank: Words,
    pub shop: Words,
    pub insurance: Words,
}

/// Stems of a topic's three sub-types (see `fits` in the pools).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubWords {
    pub s0: Words,
    pub s1: Words,
    pub s2: Words,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubtypeWords {
    pub billing: SubWords,
    pub order: SubWords,
    pub account: SubWords,
    pub plan: SubWords,
    pub card: SubWords,
    pub transfer: SubWords,
    pub claim: SubWords,
}

/// Stems of tones, checked in this order: angry, urgent, confused, calm.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToneWords {
    pub angry: Words,
    pub urgent: Words,
    pub confused: Words,
    pub calm: Words,
}

/// Stems of outcomes, checked in this order: pending, escalated, callback,
/// resolved.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomeWords {
    pub pending: Words,
    pub escalated: Words,
    pub callback: Words,
    pub resolved: Words,
}

/// A bank's stems.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Keywords {
    /// Role names of the agent and of the client ("agente", "cliente").
    pub agent_roles: Words,
    pub client_roles: Words,
    /// Phrases after which a system prompt names the company ("empresa").
    pub company_triggers: Words,
    /// Capitalised words that are not a company name ("Usted").
    pub company_stop: Words,
    /// A product with one of these is a bank card.
    pub cards: Words,
    pub topic: TopicWords,
    pub domain: DomainWords,
    pub subtype: SubtypeWords,
    /// Any wording of a tone or outcome attribute.
    pub tone: ToneWords,
    pub outcome: OutcomeWords,
    /// Only clear words, read in free scenario text.
    pub tone_in_text: ToneWords,
    pub outcome_in_text: OutcomeWords,
    /// The names a script gives each fact's variable.
    pub variables: VarNames,
}

fn add(to: &mut Words, from: &[String]) {
    to.extend(from.iter().cloned());
}

fn add_sub(to: &mut SubWords, from: &SubWords) {
    add(&mut to.s0, &from.s0);
    add(&mut to.s1, &from.s1);
    add(&mut to.s2, &from.s2);
}

fn add_tone(to: &mut ToneWords, from: &ToneWords) {
    add(&mut to.angry, &from.angry);
    add(&mut to.urgent, &from.urgent);
    add(&mut to.confused, &from.confused);
    add(&mut to.calm, &from.calm);
}

fn add_outcome(to: &mut OutcomeWords, from: &OutcomeWords) {
    add(&mut to.pending, &from.pending);
    add(&mut to.escalated, &from.escalated);
    add(&mut to.callback, &from.callback);
    add(&mut to.resolved, &from.resolved);
}

impl Keywords {
    /// Adds another bank's stems after these.
    pub fn extend(&mut self, k: &Keywords) {
        add(&mut self.agent_roles, &k.agent_roles);
        add(&mut self.client_roles, &k.client_roles);
        add(&mut self.company_triggers, &k.company_triggers);
        add(&mut self.company_stop, &k.company_stop);
        add(&mut self.cards, &k.cards);
        let (t, f) = (&mut self.topic, &k.topic);
        for (to, from) in [
            (&mut t.billing, &f.billing),
            (&mut t.technical, &f.technical),
            (&mut t.cancel, &f.cancel),
            (&mut t.plan, &f.plan),
            (&mut t.order, &f.order),
            (&mut t.account, &f.account),
            (&mut t.card, &f.card),
            (&mut t.transfer, &f.transfer),
            (&mut t.claim, &f.claim),
        ] {
            add(to, from);
        }
        add(&mut self.domain.telecom, &k.domain.telecom);
        add(&mut self.domain.bank, &k.domain.bank);
        add(&mut self.domain.shop, &k.domain.shop);
        add(&mut self.domain.insurance, &k.domain.insurance);
        let (s, f) = (&mut self.subtype, &k.subtype);
        add_sub(&mut s.billing, &f.billing);
        add_sub(&mut s.order, &f.order);
        add_sub(&mut s.account, &f.account);
        add_sub(&mut s.plan, &f.plan);
        add_sub(&mut s.card, &f.card);
        add_sub(&mut s.transfer, &f.transfer);
        add_sub(&mut s.claim, &f.claim);
        add_tone(&mut self.tone, &k.tone);
        add_outcome(&mut self.outcome, &k.outcome);
        add_tone(&mut self.tone_in_text, &k.tone_in_text);
        add_outcome(&mut self.outcome_in_text, &k.outcome_in_text);
        self.variables.extend(&k.variables);
    }
}
