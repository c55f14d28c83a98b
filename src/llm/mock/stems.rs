//! The stems a scenario is read with, found in one pass over a text: one
//! Aho-Corasick automaton per bank over every domain, topic and sub-type
//! stem, built once. A conversation's texts (its prompt is thousands of
//! characters, and filled with its own variables) are scanned once each
//! instead of once per stem.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::classify::{Domain, Topic};
use super::keywords::Keywords;

/// A list of stems that is scored: a domain's, a topic's, or a sub-type's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Domain(Domain),
    Topic(Topic),
    /// A topic's sub-type (0, 1 or 2).
    Sub(Topic, usize),
}

/// The topics with sub-types, in the order of their counters.
const SUB_TOPICS: [Topic; 7] = [
    Topic::Billing,
    Topic::Order,
    Topic::Account,
    Topic::Plan,
    Topic::Card,
    Topic::Transfer,
    Topic::Claim,
];

const DOMAINS: usize = Domain::ALL.len();
const TOPICS: usize = 10;
const LISTS: usize = DOMAINS + TOPICS + 3 * SUB_TOPICS.len();

impl List {
    fn index(self) -> usize {
        match self {
            List::Domain(d) => d as usize,
            List::Topic(t) => DOMAINS + t as usize,
            List::Sub(t, i) => {
                let at = SUB_TOPICS.iter().position(|s| *s == t).unwrap_or(0);
                DOMAINS + TOPICS + 3 * at + i.min(2)
            }
        }
    }
}

/// How many distinct stems of each list a text holds.
#[derive(Clone, Debug)]
pub struct Counts([u16; LISTS]);

impl Counts {
    fn zero() -> Self {
        Counts([0; LISTS])
    }

    pub fn get(&self, list: List) -> usize {
        usize::from(self.0[list.index()])
    }
}

/// Distinct stems, and the lists each belongs to.
#[derive(Default)]
struct Builder<'k> {
    stems: Vec<&'k str>,
    members: Vec<Vec<(usize, bool)>>,
}

impl<'k> Builder<'k> {
    fn add(&mut self, list: List, words: &'k [String], word_start: bool) {
        for w in words.iter().filter(|w| !w.is_empty()) {
            let id = match self.stems.iter().position(|s| *s == w.as_str()) {
                Some(id) => id,
                None => {
                    self.stems.push(w.as_str());
                    self.members.push(Vec::new());
                    self.stems.len() - 1
                }
            };
            let entry = (list.index(), word_start);
            if !self.members[id].contains(&entry) {
                self.members[id].push(entry);
            }
        }
    }
}

/// The automaton, and for each of its patterns the lists it belongs to
/// (and whether it must begin a word there: the insurance stems).
#[derive(Debug)]
pub struct StemIndex {
    ac: AhoCorasick,
    members: Vec<Vec<(usize, bool)>>,
}

impl StemIndex {
    /// The index of every scored list of `k`.
    pub fn build(k: &Keywords) -> Result<Self, String> {
        let mut b = Builder::default();
        let mut add = |list, words, word_start| b.add(list, words, word_start);
        let d = &k.domain;
        add(List::Domain(Domain::Telecom), &d.telecom, false);
        add(List::Domain(Domain::Bank), &d.bank, false);
        add(List::Domain(Domain::Shop), &d.shop, false);
        // "claim" and «seguro» hide inside other words ("reclaim", «inseguro»).
        add(List::Domain(Domain::Insurance), &d.insurance, true);
        let t = &k.topic;
        for (topic, words) in [
            (Topic::Billing, &t.billing),
            (Topic::Technical, &t.technical),
            (Topic::Cancel, &t.cancel),
            (Topic::Plan, &t.plan),
            (Topic::Order, &t.order),
            (Topic::Account, &t.account),
            (Topic::Card, &t.card),
            (Topic::Transfer, &t.transfer),
            (Topic::Claim, &t.claim),
        ] {
            add(List::Topic(topic), words, false);
        }
        let s = &k.subtype;
        for (topic, sub) in [
            (Topic::Billing, &s.billing),
            (Topic::Order, &s.order),
            (Topic::Account, &s.account),
            (Topic::Plan, &s.plan),
            (Topic::Card, &s.card),
            (Topic::Transfer, &s.transfer),
            (Topic::Claim, &s.claim),
        ] {
            for (i, words) in [&sub.s0, &sub.s1, &sub.s2].into_iter().enumerate() {
                add(List::Sub(topic, i), words, false);
            }
        }
        // A DFA: more memory once (a few MiB over every bank), the fastest
        // search for every conversation.
        let ac = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(&b.stems)
            .map_err(|e| format!("keywords: {e}"))?;
        Ok(StemIndex {
            ac,
            members: b.members,
        })
    }

    /// How many distinct stems of each list `text` holds (already lower-cased).
    pub fn count(&self, text: &str) -> Counts {
        let mut seen = vec![0u8; self.members.len()];
        for m in self.ac.find_overlapping_iter(text) {
            let id = m.pattern().as_usize();
            let word_start = text[..m.start()]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            seen[id] |= if word_start { 0b11 } else { 0b01 };
        }
        let mut counts = Counts::zero();
        for (id, flags) in seen.into_iter().enumerate() {
            for &(list, word_start) in &self.members[id] {
                let found = if word_start { flags & 0b10 } else { flags };
                if found != 0 {
                    counts.0[list] = counts.0[list].saturating_add(1);
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::{List, StemIndex};
    use crate::llm::mock::classify::{Domain, Topic, count_hits, count_word_hits};
    use crate::llm::mock::load;

    /// The index counts what a search of every stem finds, on the banks'
    /// own stems and texts in each language.
    #[test]
    fn the_index_counts_what_a_search_per_stem_finds() {
        let texts = [
            "el cliente reclama un cargo duplicado en su factura de fibra; no está seguro",
            "o segurado bateu o carro e quer abrir um sinistro da apólice; fatura do cartão",
            "we reclaim nothing: the policyholder's claim after a storm, and a refund on the order",
            "le client voit un prélèvement inconnu sur sa carte ; l'assuré déclare un sinistre",
        ];
        for code in ["es", "en", "pt", "fr"] {
            let k = &load::for_language(code).0.read;
            let index = StemIndex::build(k).unwrap();
            for text in texts {
                let counts = index.count(text);
                let d = &k.domain;
                for (domain, words) in [
                    (Domain::Telecom, &d.telecom),
                    (Domain::Bank, &d.bank),
                    (Domain::Shop, &d.shop),
                ] {
                    assert_eq!(counts.get(List::Domain(domain)), count_hits(text, words));
                }
                let insurance = count_word_hits(text, &d.insurance);
                assert_eq!(counts.get(List::Domain(Domain::Insurance)), insurance);
                let t = &k.topic;
                assert_eq!(
                    counts.get(List::Topic(Topic::Billing)),
                    count_hits(text, &t.billing)
                );
                assert_eq!(
                    counts.get(List::Topic(Topic::Claim)),
                    count_hits(text, &t.claim)
                );
                let s = &k.subtype.claim;
                assert_eq!(
                    counts.get(List::Sub(Topic::Claim, 0)),
                    count_hits(text, &s.s0)
                );
                assert_eq!(
                    counts.get(List::Sub(Topic::Claim, 2)),
                    count_hits(text, &s.s2)
                );
            }
        }
    }
}
