//! The writer: picks phrases without repeating them within a conversation
//! and fills their placeholders with the conversation's facts.

use chrono::Datelike;

use super::bank::{ANY, Bank, DOMAINS, Tagged, TaggedQa, domain_bit};
use super::calendar::filler_day;
use super::classify::Domain;
use super::facts::Facts;
use super::specifics::Kind;
use crate::rng::ConvRng;

/// Whether an entry tagged `tag` fits one of the sub-types `sub` in `domain`
/// (an entry naming no domain fits them all).
pub fn fits_tag(tag: u8, sub: u8, domain: Domain) -> bool {
    let domain_ok = tag & DOMAINS == 0 || tag & domain_bit(domain) != 0;
    tag & sub & ANY != 0 && domain_ok
}
/// The first sub-type of a topic.
const S0: u8 = 1;

pub struct Writer<'r> {
    pub rng: &'r mut ConvRng,
    /// The language's bank.
    pub b: &'static Bank,
    pub f: Facts,
    /// Per pool (keyed by its address): which entries were already used.
    used: Vec<(usize, u64)>,
    buf: String,
    /// A template named an unknown placeholder or was malformed.
    pub bad: bool,
    dyn_k: u64,
    dyn_offset: u64,
    /// The sub-type of the client's problem (one bit), so that explanations and
    /// solutions match it.
    pub sub: u8,
    /// The conversation's business domain (phrases name the domains they fit).
    pub domain: Domain,
    /// The sub-type the scenario text points at, if any.
    pub hint: u8,
    /// The kind of the scenario's specific phrase (`{spec}`), if it has one.
    pub spec: Option<Kind>,
}

impl<'r> Writer<'r> {
    pub fn new(rng: &'r mut ConvRng, b: &'static Bank, f: Facts) -> Self {
        let dyn_offset = rng.below(336);
        Self {
            rng,
            b,
            f,
            used: Vec::with_capacity(48),
            buf: String::with_capacity(256),
            bad: false,
            dyn_k: 0,
            dyn_offset,
            sub: S0,
            domain: Domain::Telecom,
            hint: 0,
            spec: None,
        }
    }

    fn mask_slot(&mut self, key: usize) -> usize {
        match self.used.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.used.push((key, 0));
                self.used.len() - 1
            }
        }
    }

    /// How many entries of a pool are still unused.
    pub fn remaining<T>(&mut self, pool: &'static [T]) -> usize {
        let len = pool.len().min(64);
        let slot = self.mask_slot(pool.as_ptr() as usize);
        len - (self.used[slot].1.count_ones() as usize).min(len)
    }

    /// An entry not used yet in this conversation (all again once exhausted).
    pub fn pick<T>(&mut self, pool: &'static [T]) -> Option<&'static T> {
        let len = pool.len().min(64);
        if len == 0 {
            return None;
        }
        let full = if len == 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        };
        let slot = self.mask_slot(pool.as_ptr() as usize);
        if self.used[slot].1 & full == full {
            self.used[slot].1 = 0;
        }
        let mask = self.used[slot].1;
        let free = len - (mask & full).count_ones() as usize;
        let mut target = self.rng.below(free as u64) as usize;
        for (i, item) in pool.iter().enumerate().take(len) {
            if mask & (1 << i) == 0 {
                if target == 0 {
                    self.used[slot].1 |= 1 << i;
                    return Some(item);
                }
                target -= 1;
            }
        }
        None
    }

    /// Like `pick`, among the entries `fits` accepts (any entry if none does).
    pub fn pick_where<T>(
        &mut self,
        pool: &'static [T],
        fits: impl Fn(&T) -> bool,
    ) -> Option<&'static T> {
        let len = pool.len().min(64);
        let slot = self.mask_slot(pool.as_ptr() as usize);
        let mut fitting = 0u64;
        for (i, item) in pool.iter().enumerate().take(len) {
            if fits(item) {
                fitting |= 1 << i;
            }
        }
        if fitting == 0 {
            return self.pick(pool);
        }
        if self.used[slot].1 & fitting == fitting {
            self.used[slot].1 &= !fitting;
        }
        let free = fitting & !self.used[slot].1;
        let mut target = self.rng.below(u64::from(free.count_ones())) as usize;
        for (i, item) in pool.iter().enumerate().take(len) {
            if free & (1 << i) != 0 {
                if target == 0 {
                    self.used[slot].1 |= 1 << i;
                    return Some(item);
                }
                target -= 1;
            }
        }
        None
    }

    /// Whether an entry tagged `tag` fits this conversation's problem and domain.
    fn fits(&self, tag: u8) -> bool {
        fits_tag(tag, self.sub, self.domain)
    }

    /// How many entries fitting the problem's sub-type are still unused.
    pub fn remaining_fitting(&mut self, pool: &'static [TaggedQa]) -> usize {
        let slot = self.mask_slot(pool.as_ptr() as usize);
        let used = self.used[slot].1;
        pool.iter()
            .enumerate()
            .take(64)
            .filter(|(i, e)| self.fits(e.fits.0) && used & (1 << i) == 0)
            .count()
    }

    /// Says a tagged phrase that fits the problem's sub-type (or, when none
    /// does, at least the domain).
    pub fn say_fitting(&mut self, pool: &'static [Tagged]) {
        let (sub, domain) = (self.sub, self.domain);
        let any_fits = pool.iter().any(|e| fits_tag(e.fits.0, sub, domain));
        let sub = if any_fits { sub } else { ANY };
        if let Some(e) = self.pick_where(pool, |e| fits_tag(e.fits.0, sub, domain)) {
            self.text(&e.text);
        }
    }

    /// Says one phrase of the pool.
    pub fn say(&mut self, pool: &'static [String]) {
        if let Some(tpl) = self.pick(pool) {
            self.text(tpl);
        }
    }

    /// Says one phrase of the pool with probability `p`.
    pub fn say_maybe(&mut self, p: f64, pool: &'static [String]) {
        if self.rng.chance(p) {
            self.say(pool);
        }
    }

    /// Appends a rendered template to the current turn, space-separated.
    pub fn text(&mut self, tpl: &str) {
        if !self.buf.is_empty() && !self.buf.ends_with(' ') {
            self.buf.push(' ');
        }
        self.render(tpl);
    }

    /// `{key}` is a fact; `[a|b|c]` is one alternative, drawn from the rng.
    fn render(&mut self, tpl: &str) {
        let mut rest = tpl;
        while let Some(pos) = rest.find(['{', '[']) {
            self.buf.push_str(&rest[..pos]);
            let open = rest.as_bytes()[pos];
            let close = if open == b'{' { '}' } else { ']' };
            let Some(end) = rest[pos..].find(close).map(|e| e + pos) else {
                self.bad = true;
                self.buf.push_str(&rest[pos + 1..]);
                return;
            };
            let inner = &rest[pos + 1..end];
            if open == b'{' {
                match self.f.get(inner) {
                    Some(v) => self.buf.push_str(v),
                    None => self.bad = true,
                }
            } else {
                let count = inner.split('|').count() as u64;
                let k = self.rng.below(count.max(1)) as usize;
                let choice = inner.split('|').nth(k).unwrap_or("");
                if choice.contains(['[', ']']) {
                    self.bad = true;
                }
                self.render(choice);
            }
            rest = &rest[end + 1..];
        }
        self.buf.push_str(rest);
    }

    /// How much of the current turn is written (a byte offset).
    pub fn written(&self) -> usize {
        self.buf.len()
    }

    /// Ends the current turn; never empty.
    pub fn finish(&mut self) -> String {
        let mut s = std::mem::take(&mut self.buf);
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
        if s.trim().is_empty() {
            s = self.b.locale.empty_turn.clone();
        }
        s
    }

    /// Fresh values for the dynamic fillers of long conversations (never repeated
    /// within the first 336 uses).
    pub fn next_dynamic(&mut self) {
        let j = (self.dyn_k * 17 + self.dyn_offset) % 336;
        self.dyn_k += 1;
        let (loc, months) = (&self.b.locale, &self.b.facts.months);
        let day = filler_day(self.f.today, self.dyn_k, self.dyn_offset);
        let d = loc.date(i64::from(day.day()), &months[day.month0() as usize]);
        let sym = &loc.money.filler_currency;
        let amount = loc.money(5.0 + (j as f64) * 0.37 + 0.15, sym);
        self.f.set("dyn_date", d);
        self.f.set("dyn_amount", amount);
        self.f.set("dyn_k", (self.dyn_k + 1).to_string());
    }
}

// ---------------------------------------------------------------------------
