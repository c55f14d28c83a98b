//! Pacing requests to what a rate-limited endpoint allows.
//!
//! A provider's quota is the physical limit of a generation job, so the
//! client has to sit at it without storming. One [`Governor`] per endpoint
//! decides when the next request may start. It learns the allowed rate from
//! what the server does:
//!
//! - a 429 lowers the start rate to what the server was accepting (measured
//!   over the last seconds), once per round trip, and closes the endpoint for
//!   the wait the server asked for (`retry-after-ms`, `retry-after`), or for a
//!   short jittered backoff when it asked for none;
//! - `x-ratelimit-remaining-requests|tokens` with their `x-ratelimit-reset-*`
//!   hold starts back before the server has to refuse anything;
//! - while requests queue behind the pace and none is refused, the rate grows
//!   again (doubling every half second until the first refusal after a
//!   decrease, then 5% a second), so the run finds the quota and stays at it;
//! - `rpm` and `tpm`, when the operator knows them, cap the rate up front;
//!   `tpm` counts what providers count at admission: the prompt's estimated
//!   tokens plus `max_tokens`, over a sliding minute.
//!
//! Starts are paced one interval apart, so requests that were turned away do
//! not come back as a herd when a wait ends. A [`Gate`] holds the governors of
//! every endpoint of a run behind one lock: waiting requests are served in the
//! order they first asked (a request turned away keeps its place), each by
//! whichever endpoint can start it soonest. Waiting is bounded by time, not by
//! a count: an endpoint that has refused everything for `max_wait` is taken
//! out (or, when it is the last one, the run is told to stop).
//!
//! [`Governor`] is pure: every method takes the current instant, so the
//! learning is unit-tested without a clock or a server.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::EndpointStats;

/// What the operator says an endpoint's quota is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute, counted as prompt estimate + `max_tokens`.
    pub tpm: Option<u64>,
}

/// The rate-limit headers of one reply (OpenAI and Azure send them on every reply).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateHeaders {
    pub remaining_requests: Option<u64>,
    pub reset_requests: Option<Duration>,
    pub remaining_tokens: Option<u64>,
    pub reset_tokens: Option<Duration>,
}

impl RateHeaders {
    /// Reads the headers through `get` (case-insensitive lookup by the caller).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| {
            get(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(|n| n as u64)
        };
        Self {
            remaining_requests: number("x-ratelimit-remaining-requests"),
            reset_requests: get("x-ratelimit-reset-requests").and_then(|v| parse_reset(&v)),
            remaining_tokens: number("x-ratelimit-remaining-tokens"),
            reset_tokens: get("x-ratelimit-reset-tokens").and_then(|v| parse_reset(&v)),
        }
    }
}

/// The longest wait a server's header is taken at: a year. Anything longer
/// (`retry-after: 1e20`) means the same for a run, which `--max-wait` stops,
/// and would overflow a `Duration` or an `Instant`.
pub const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// A number of seconds from a header as a wait: `None` when it is negative or
/// not a number, at most [`LONGEST_WAIT`].
pub fn wait_secs(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).map_or(LONGEST_WAIT, |d| d.min(LONGEST_WAIT)))
}

/// Reads an `x-ratelimit-reset-*` value: OpenAI's Go durations (`6m0s`,
/// `1.5s`, `20ms`, `1h2m3s`) or a bare number of seconds.
///
/// Written by hand because the Go form (fractions, no spaces, `ms` beside
/// `m`) is not what the general duration crates parse.
pub fn parse_reset(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return wait_secs(secs);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    if text.is_empty() {
        return None;
    }
    wait_secs(total)
}

/// Completions counted to measure the rate the server accepts.
const RATE_WINDOW: Duration = Duration::from_secs(2);
/// The slowest pace the governor falls to: one request every 20 s.
const MIN_RATE: f64 = 0.05;
/// The fastest pace it learns (beyond this, nothing is limited in practice).
const MAX_RATE: f64 = 10_000.0;
/// How far a refusal lowers the rate below what the server was accepting.
const DECREASE: f64 = 0.95;
/// Growth after the first refusal: 5% of the rate per second.
const GROWTH_PER_S: f64 = 0.05;
/// Growth before it: the rate doubles every this long.
const DOUBLING: Duration = Duration::from_millis(500);
/// Backoff after a 429 that asked for no wait: this, doubling per refusal round.
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The window of `tpm`.
const MINUTE: Duration = Duration::from_secs(60);

/// A budget a server announced: `left` more until `until`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    left: i64,
    until: Instant,
}

/// Requests and tokens started so far on an endpoint, counted after a start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    requests: u64,
    tokens: u64,
}

/// When one endpoint may start its next request, learned from its replies.
#[derive(Debug)]
pub struct Governor {
    quota: Quota,
    /// Requests this endpoint may have in flight.
    concurrency: usize,
    in_flight: usize,
    /// The learned start rate (requests/s); `None` until the first refusal.
    rate: Option<f64>,
    /// Growing fast: no refusal since the rate was first learned.
    slow_start: bool,
    /// When the rate last grew.
    grown_at: Option<Instant>,
    /// Whether the pace held requests back when the last one started.
    contended: bool,
    last_start: Option<Instant>,
    first_start: Option<Instant>,
    /// Starts of the last second (for the first estimate).
    starts: VecDeque<Instant>,
    /// Completions of accepted requests in the last [`RATE_WINDOW`].
    completions: VecDeque<Instant>,
    /// A refusal of a request that started before this does not lower the rate again.
    decreased_at: Option<Instant>,
    /// Refusal rounds without a wait header since the last success.
    backoff_rounds: u32,
    /// No request starts before this (a wait the server asked for).
    blocked_until: Option<Instant>,
    /// Token charges of the last minute, for `tpm`.
    charges: VecDeque<(Instant, u64)>,
    charged: u64,
    requests_budget: Option<Budget>,
    tokens_budget: Option<Budget>,
    /// What has started so far.
    marks: Mark,
    /// The first refusal since the last accepted request.
    refusing_since: Option<Instant>,
    /// The wait the last refusal asked for, if it said.
    asked: Option<Duration>,
    /// Transport failures since the last accepted request.
    pub consecutive_failures: u32,
    pub stats: EndpointStats,
    /// Counter for the backoff jitter.
    jitter: u64,
}

impl Governor {
    /// A governor for `concurrency` workers, capped by `quota`.
    pub fn new(name: &str, quota: Quota, concurrency: usize) -> Self {
        Self {
            quota,
            concurrency: concurrency.max(1),
            in_flight: 0,
            rate: None,
            slow_start: false,
            grown_at: None,
            contended: false,
            last_start: None,
            first_start: None,
            starts: VecDeque::new(),
            completions: VecDeque::new(),
            decreased_at: None,
            backoff_rounds: 0,
            blocked_until: None,
            charges: VecDeque::new(),
            charged: 0,
            requests_budget: None,
            tokens_budget: None,
            marks: Mark::default(),
            refusing_since: None,
            asked: None,
            consecutive_failures: 0,
            stats: EndpointStats {
                name: name.to_string(),
                ..EndpointStats::default()
            },
            jitter: 0,
        }
    }

    /// The start rate in force: the learned one capped by `rpm`.
    pub fn pace(&self) -> Option<f64> {
        let cap = self.quota.rpm.map(|rpm| rpm as f64 / 60.0);
        match (self.rate, cap) {
            (Some(r), Some(c)) => Some(r.min(c)),
            (r, c) => r.or(c),
        }
    }

    /// Requests accepted per second over the last seconds.
    pub fn accepted_rate(&self, now: Instant) -> f64 {
        let recent = self
            .completions
            .iter()
            .filter(|t| now.saturating_duration_since(**t) <= RATE_WINDOW)
            .count();
        let span = self
            .first_start
            .map_or(RATE_WINDOW, |f| now.saturating_duration_since(f))
            .clamp(Duration::from_secs(1), RATE_WINDOW);
        recent as f64 / span.as_secs_f64()
    }

    /// When a request costing `cost` tokens could start, or `None` while all
    /// of this endpoint's slots are in flight.
    pub fn ready_at(&mut self, now: Instant, cost: u64) -> Option<Instant> {
        if self.in_flight >= self.concurrency {
            return None;
        }
        self.prune(now);
        let mut t = now;
        if let Some(b) = self.blocked_until {
            t = t.max(b);
        }
        if let (Some(rate), Some(last)) = (self.pace(), self.last_start) {
            t = t.max(last + Duration::from_secs_f64(1.0 / rate));
        }
        if let Some(tpm) = self.quota.tpm {
            t = t.max(self.tokens_free_at(now, cost, tpm));
        }
        for (budget, need) in [(self.requests_budget, 1), (self.tokens_budget, cost as i64)] {
            if let Some(b) = budget
                && b.left < need
            {
                t = t.max(b.until);
            }
        }
        Some(t)
    }

    /// When the last minute's charges leave room for `cost` under `tpm`.
    fn tokens_free_at(&self, now: Instant, cost: u64, tpm: u64) -> Instant {
        let mut charged = self.charged;
        if charged + cost <= tpm {
            return now;
        }
        for (at, c) in &self.charges {
            charged -= c;
            // A request bigger than the whole quota goes when the window is empty.
            if charged + cost <= tpm || charged == 0 {
                return *at + MINUTE;
            }
        }
        now
    }

    fn prune(&mut self, now: Instant) {
        while let Some((at, c)) = self.charges.front().copied() {
            if now.saturating_duration_since(at) < MINUTE {
                break;
            }
            self.charges.pop_front();
            self.charged -= c;
        }
        while self
            .completions
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > RATE_WINDOW)
        {
            self.completions.pop_front();
        }
        while self
            .starts
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > Duration::from_secs(1))
        {
            self.starts.pop_front();
        }
        for budget in [&mut self.requests_budget, &mut self.tokens_budget] {
            if budget.is_some_and(|b| now >= b.until) {
                *budget = None;
            }
        }
    }

    /// A request costing `cost` tokens starts now; `contended` when others
    /// are still waiting behind it.
    pub fn start(&mut self, now: Instant, cost: u64, contended: bool) -> Mark {
        self.marks.requests += 1;
        self.marks.tokens += cost;
        self.in_flight += 1;
        self.stats.requests += 1;
        // The pace holds the run back when requests queue and each starts
        // about when the pace allows.
        let held = match (self.pace(), self.last_start) {
            (Some(rate), Some(last)) => now < last + Duration::from_secs_f64(1.5 / rate),
            _ => false,
        };
        self.contended = contended && held;
        self.last_start = Some(now);
        self.first_start.get_or_insert(now);
        self.starts.push_back(now);
        if self.quota.tpm.is_some() {
            self.charges.push_back((now, cost));
            self.charged += cost;
        }
        if let Some(b) = &mut self.requests_budget {
            b.left -= 1;
        }
        if let Some(b) = &mut self.tokens_budget {
            b.left -= cost as i64;
        }
        self.marks
    }

    fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The server accepted the request started at `mark` (whatever the
    /// content of its answer).
    pub fn accepted(&mut self, now: Instant, headers: &RateHeaders, mark: Mark) {
        self.finish();
        self.refusing_since = None;
        self.asked = None;
        self.backoff_rounds = 0;
        self.consecutive_failures = 0;
        self.completions.push_back(now);
        self.read_budgets(now, headers, mark);
        self.grow(now);
    }

    fn grow(&mut self, now: Instant) {
        let since = self.grown_at.replace(now);
        let (Some(rate), Some(since)) = (self.rate, since) else {
            return;
        };
        if !self.contended {
            return;
        }
        let dt = now
            .saturating_duration_since(since)
            .min(Duration::from_secs(1));
        let dt = dt.as_secs_f64();
        let grown = if self.slow_start {
            rate * 2f64.powf(dt / DOUBLING.as_secs_f64())
        } else {
            rate * (1.0 + GROWTH_PER_S * dt)
        };
        self.rate = Some(grown.min(MAX_RATE));
    }

    /// Takes the budgets a reply announced. The server counted them when it
    /// admitted the request that started at `mark`: what started since is
    /// taken off. A remaining count without its reset time says nothing
    /// about when more comes (Azure's windows), so it is not used.
    fn read_budgets(&mut self, now: Instant, h: &RateHeaders, mark: Mark) {
        if let (Some(left), Some(reset)) = (h.remaining_requests, h.reset_requests) {
            self.requests_budget = Some(Budget {
                left: left as i64 - (self.marks.requests - mark.requests) as i64,
                until: now + reset,
            });
        }
        if let (Some(left), Some(reset)) = (h.remaining_tokens, h.reset_tokens) {
            self.tokens_budget = Some(Budget {
                left: left as i64 - (self.marks.tokens - mark.tokens) as i64,
                until: now + reset,
            });
        }
    }

    /// The server refused a request that started at `started` with a 429,
    /// asking to wait `wait` (when it said).
    pub fn throttled(
        &mut self,
        (started, mark): (Instant, Mark),
        now: Instant,
        wait: Option<Duration>,
        headers: &RateHeaders,
    ) {
        self.finish();
        self.stats.throttled += 1;
        self.refusing_since.get_or_insert(now);
        self.asked = wait;
        self.read_budgets(now, headers, mark);
        let new_round = self.decreased_at.is_none_or(|d| started >= d);
        if new_round {
            self.decrease(now, wait);
        }
        let wait = match wait {
            Some(w) => w,
            None if new_round => {
                self.backoff_rounds += 1;
                self.backoff()
            }
            None => Duration::ZERO,
        };
        self.block(now, wait);
    }

    fn decrease(&mut self, now: Instant, wait: Option<Duration>) {
        self.decreased_at = Some(now);
        let measured = self.accepted_rate(now);
        self.rate = Some(match self.rate {
            None => {
                // First estimate: what the server accepted, what its wait
                // implies (one request per wait), or half of what was tried.
                self.slow_start = true;
                let hinted = wait
                    .filter(|w| *w > Duration::ZERO && *w <= Duration::from_secs(1))
                    .map_or(0.0, |w| 1.0 / w.as_secs_f64());
                let tried = self.starts.len() as f64 / 2.0;
                measured.max(hinted).max(tried).max(MIN_RATE)
            }
            Some(rate) => {
                // What the server accepted over a full window is the best
                // guess of its rate; a short history (or one spent waiting)
                // says little, so one round lowers the rate by half at most.
                self.slow_start = false;
                let full = self
                    .first_start
                    .is_some_and(|f| now.saturating_duration_since(f) >= RATE_WINDOW);
                let waited = self
                    .blocked_until
                    .is_some_and(|b| now.saturating_duration_since(b) < RATE_WINDOW);
                let base = match (full, waited) {
                    (true, false) => rate.min(measured),
                    (true, true) => rate.min(measured).max(rate / 2.0),
                    (false, _) => rate,
                };
                (base * DECREASE).max(MIN_RATE)
            }
        });
        self.grown_at = Some(now);
    }

    fn backoff(&mut self) -> Duration {
        let base = BASE_BACKOFF.as_secs_f64() * 2f64.powi(self.backoff_rounds.min(10) as i32 - 1);
        let base = base.min(MAX_BACKOFF.as_secs_f64());
        // Deterministic jitter (0.5–1×): enough to keep processes apart.
        self.jitter = self
            .jitter
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (self.jitter >> 33) as f64 / (1u64 << 31) as f64;
        Duration::from_secs_f64(base * (0.5 + unit / 2.0))
    }

    /// Closes the endpoint to new starts for `wait` from `now`.
    pub fn block(&mut self, now: Instant, wait: Duration) {
        let until = now + wait;
        let from = self.blocked_until.map_or(now, |b| b.max(now));
        if until > from {
            self.stats.waited_s += (until - from).as_secs_f64();
            self.blocked_until = Some(until);
        }
    }

    /// A transport failure (5xx, timeout, dropped connection); `wait` when
    /// the server asked for one: the others slow down too.
    pub fn failed(&mut self, now: Instant, wait: Option<Duration>) {
        self.finish();
        self.stats.retries += 1;
        self.consecutive_failures += 1;
        if let Some(w) = wait {
            self.block(now, w);
        }
    }

    /// A request that came back with neither acceptance nor refusal of the
    /// rate (a 4xx about the request itself).
    pub fn released(&mut self) {
        self.finish();
    }

    /// Why this endpoint cannot go on, when it has refused everything for
    /// longer than `max_wait` (or asked for a wait that ends past it).
    pub fn out_of_time(&self, now: Instant, max_wait: Duration) -> Option<String> {
        let since = self.refusing_since?;
        let refused = now.saturating_duration_since(since);
        if refused > max_wait {
            return Some(format!(
                "{} refused every request for {} (HTTP 429), longer than --max-wait {}",
                self.stats.name,
                crate::settings::format_wait(Duration::from_secs(refused.as_secs())),
                crate::settings::format_wait(max_wait)
            ));
        }
        // A single wait asked beyond max-wait is known to be too long at once.
        let asked = self.asked.filter(|w| *w > max_wait)?;
        Some(format!(
            "{} asked to wait {} (HTTP 429), longer than --max-wait {}",
            self.stats.name,
            crate::settings::format_wait(Duration::from_secs(asked.as_secs().max(1))),
            crate::settings::format_wait(max_wait)
        ))
    }
}

/// Why a request got no slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateError {
    /// The run is stopping (Ctrl-C).
    Cancelled,
    /// No endpoint can go on: the run must stop, resumable.
    Exhausted(String),
    /// The endpoint a request was pinned to was taken out.
    Gone(String),
}

/// A started request on endpoint `endpoint`; hand it back through the gate's
/// `accepted`/`throttled`/`failed`/`released`.
#[derive(Debug)]
pub struct Permit {
    pub endpoint: usize,
    started: Instant,
    mark: Mark,
}

struct Slot {
    governor: Governor,
    weight: f64,
    /// Why the endpoint was taken out, once it was.
    out: Option<String>,
}

/// A request waiting for a slot: the endpoint it is pinned to, if any, and
/// the earliest time it may go.
#[derive(Clone, Copy)]
struct Waiter {
    pin: Option<usize>,
    not_before: Instant,
}

struct GateState {
    slots: Vec<Slot>,
    waiting: BTreeMap<u64, Waiter>,
    /// Set once no endpoint can go on.
    halted: Option<String>,
    notices: Vec<String>,
}

/// The governors of a run's endpoints behind one lock, serving waiting
/// requests in the order they first asked.
pub struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
    max_wait: Duration,
}

/// How often a waiting request looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

impl Gate {
    /// A gate over `(governor, weight)` per endpoint.
    pub fn new(endpoints: Vec<(Governor, f64)>, max_wait: Duration) -> Self {
        let slots = endpoints
            .into_iter()
            .map(|(governor, weight)| Slot {
                governor,
                weight: if weight > 0.0 { weight } else { 1.0 },
                out: None,
            })
            .collect();
        Self {
            state: Mutex::new(GateState {
                slots,
                waiting: BTreeMap::new(),
                halted: None,
                notices: Vec::new(),
            }),
            changed: Condvar::new(),
            max_wait,
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot for request `ticket` (lower tickets go first),
    /// costing `cost` tokens, on endpoint `pin` or any, not before `not_before`.
    pub fn acquire(
        &self,
        ticket: u64,
        pin: Option<usize>,
        cost: u64,
        not_before: Instant,
        stop: &AtomicBool,
    ) -> Result<Permit, GateError> {
        let mut st = self.lock();
        st.waiting.insert(ticket, Waiter { pin, not_before });
        let result = loop {
            if stop.load(Ordering::SeqCst) {
                break Err(GateError::Cancelled);
            }
            let now = Instant::now();
            if let Err(e) = self.expire(&mut st, now) {
                break Err(e);
            }
            if let Some(p) = pin
                && let Some(why) = &st.slots[p].out
            {
                break Err(GateError::Gone(why.clone()));
            }
            match best_slot(&mut st, pin, cost, not_before, now) {
                Some((at, i)) if at <= now => {
                    if earlier_waiter_wants(&st, ticket, i, now) {
                        st = self.wait(st, POLL);
                        continue;
                    }
                    let contended = st.waiting.len() > 1;
                    let mark = st.slots[i].governor.start(now, cost, contended);
                    break Ok(Permit {
                        endpoint: i,
                        started: now,
                        mark,
                    });
                }
                Some((at, _)) => {
                    let nap = at.saturating_duration_since(now).min(POLL);
                    st = self.wait(st, nap);
                }
                None => st = self.wait(st, POLL),
            }
        };
        st.waiting.remove(&ticket);
        drop(st);
        self.changed.notify_all();
        result
    }

    fn wait<'a>(&self, st: MutexGuard<'a, GateState>, nap: Duration) -> MutexGuard<'a, GateState> {
        self.changed
            .wait_timeout(st, nap.max(Duration::from_micros(200)))
            .map_or_else(|p| p.into_inner().0, |(g, _)| g)
    }

    /// Takes out endpoints that ran out of time; an error once none is left.
    fn expire(&self, st: &mut GateState, now: Instant) -> Result<(), GateError> {
        if let Some(why) = &st.halted {
            return Err(GateError::Exhausted(why.clone()));
        }
        for i in 0..st.slots.len() {
            if st.slots[i].out.is_some() {
                continue;
            }
            if let Some(why) = st.slots[i].governor.out_of_time(now, self.max_wait) {
                take_out(st, i, why);
            }
        }
        match &st.halted {
            Some(why) => Err(GateError::Exhausted(why.clone())),
            None => Ok(()),
        }
    }

    /// Hands back a request the server accepted.
    pub fn accepted(&self, permit: Permit, headers: &RateHeaders) {
        self.with(permit.endpoint, |g| {
            g.accepted(Instant::now(), headers, permit.mark)
        });
    }

    /// Hands back a request refused with a 429.
    pub fn throttled(&self, permit: Permit, wait: Option<Duration>, headers: &RateHeaders) {
        let mut st = self.lock();
        let g = &mut st.slots[permit.endpoint].governor;
        g.throttled((permit.started, permit.mark), Instant::now(), wait, headers);
        if g.stats.throttled == 1 {
            let line = format!(
                "{}: rate limited (HTTP 429); pacing requests to what it accepts",
                g.stats.name
            );
            st.notices.push(line);
        }
        drop(st);
        self.changed.notify_all();
    }

    /// Hands back a request that failed in transport (to be retried).
    pub fn failed(&self, permit: Permit, wait: Option<Duration>) {
        self.with(permit.endpoint, |g| g.failed(Instant::now(), wait));
    }

    /// Hands back a request that neither used nor refused the quota.
    pub fn released(&self, permit: Permit) {
        self.with(permit.endpoint, Governor::released);
    }

    fn with(&self, endpoint: usize, f: impl FnOnce(&mut Governor)) {
        let mut st = self.lock();
        if let Some(slot) = st.slots.get_mut(endpoint) {
            f(&mut slot.governor);
        }
        drop(st);
        self.changed.notify_all();
    }

    /// Takes endpoint `i` out for `why`; false when it is the last one (the
    /// caller then stops the run with its own error).
    pub fn take_out_if_others(&self, i: usize, why: &str) -> bool {
        let mut st = self.lock();
        let others = st
            .slots
            .iter()
            .enumerate()
            .any(|(j, s)| j != i && s.out.is_none());
        if others && st.slots[i].out.is_none() {
            take_out(&mut st, i, why.to_string());
        }
        drop(st);
        self.changed.notify_all();
        others
    }

    /// Consecutive transport failures of endpoint `i`.
    pub fn failures(&self, i: usize) -> u32 {
        self.lock().slots[i].governor.consecutive_failures
    }

    /// Whether endpoint `i` is still serving.
    pub fn is_live(&self, i: usize) -> bool {
        self.lock().slots[i].out.is_none()
    }

    /// Per-endpoint counters.
    pub fn stats(&self) -> Vec<EndpointStats> {
        self.lock()
            .slots
            .iter()
            .map(|s| s.governor.stats.clone())
            .collect()
    }

    /// One line on the pacing for a progress display.
    pub fn status(&self) -> String {
        let st = self.lock();
        let now = Instant::now();
        let live = st.slots.iter().filter(|s| s.out.is_none()).count();
        let mut parts = Vec::new();
        for s in st.slots.iter().filter(|s| s.out.is_none()) {
            let g = &s.governor;
            let limit = match g.pace() {
                Some(r) => format!("limit {}/s", round_rate(r)),
                None => "no limit".to_string(),
            };
            let prefix = if live > 1 {
                format!("{}: ", g.stats.name)
            } else {
                String::new()
            };
            parts.push(format!(
                "{prefix}{}/s accepted, {limit}, {} × 429",
                round_rate(g.accepted_rate(now)),
                g.stats.throttled
            ));
        }
        parts.join(" · ")
    }

    /// Messages for the operator since the last call (endpoints taken out…).
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().notices)
    }
}

fn round_rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

fn take_out(st: &mut GateState, i: usize, why: String) {
    let others = st
        .slots
        .iter()
        .enumerate()
        .any(|(j, s)| j != i && s.out.is_none());
    if others {
        st.notices.push(format!(
            "endpoint {} taken out: {why}; the others carry on",
            st.slots[i].governor.stats.name
        ));
        st.slots[i].out = Some(why);
    } else {
        st.halted = Some(why);
    }
}

/// The endpoint that can start a request soonest (ties: the one that served
/// least for its weight).
fn best_slot(
    st: &mut GateState,
    pin: Option<usize>,
    cost: u64,
    not_before: Instant,
    now: Instant,
) -> Option<(Instant, usize)> {
    let mut best: Option<(Instant, f64, usize)> = None;
    for (i, slot) in st.slots.iter_mut().enumerate() {
        if slot.out.is_some() || pin.is_some_and(|p| p != i) {
            continue;
        }
        let Some(at) = slot.governor.ready_at(now, cost) else {
            continue;
        };
        let at = at.max(not_before).max(now);
        let load = slot.governor.stats.requests as f64 / slot.weight;
        if best.is_none_or(|(t, l, _)| at < t || (at == t && load < l)) {
            best = Some((at, load, i));
        }
    }
    best.map(|(t, _, i)| (t, i))
}

/// Whether a request that asked before `ticket` could take endpoint `i` now.
fn earlier_waiter_wants(st: &GateState, ticket: u64, i: usize, now: Instant) -> bool {
    st.waiting
        .range(..ticket)
        .any(|(_, w)| w.not_before <= now && w.pin.is_none_or(|p| p == i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn gov() -> Governor {
        Governor::new("test", Quota::default(), 32)
    }

    /// A 429 at `now` for a request started at `started`, asking `wait`.
    fn refuse(g: &mut Governor, started: Instant, now: Instant, wait: Option<Duration>) {
        g.throttled(
            (started, Mark::default()),
            now,
            wait,
            &RateHeaders::default(),
        );
    }

    /// An accepted reply at `now`, with no rate headers.
    fn accept(g: &mut Governor, now: Instant) {
        g.accepted(now, &RateHeaders::default(), Mark::default());
    }

    #[test]
    fn reset_headers_in_go_and_plain_forms() {
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("1.5s"), Some(ms(1500)));
        assert_eq!(parse_reset("20ms"), Some(ms(20)));
        assert_eq!(parse_reset("1h2m3s"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_reset("59.412s"), Some(ms(59_412)));
        assert_eq!(parse_reset("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_reset("0s"), Some(Duration::ZERO));
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("5x"), None);
        assert_eq!(parse_reset(""), None);
        assert_eq!(parse_reset("-3"), None);
    }

    #[test]
    fn unlimited_until_refused() {
        let mut g = gov();
        let t0 = Instant::now();
        for _ in 0..20 {
            assert_eq!(g.ready_at(t0, 100), Some(t0));
            g.start(t0, 100, true);
        }
        assert_eq!(g.pace(), None);
    }

    #[test]
    fn concurrency_caps_starts() {
        let mut g = Governor::new("t", Quota::default(), 2);
        let t0 = Instant::now();
        g.start(t0, 1, false);
        g.start(t0, 1, false);
        assert_eq!(g.ready_at(t0, 1), None);
        accept(&mut g, t0 + ms(10));
        assert!(g.ready_at(t0 + ms(10), 1).is_some());
    }

    #[test]
    fn a_refusal_sets_the_pace_from_the_wait_and_blocks() {
        let mut g = gov();
        let t0 = Instant::now();
        for _ in 0..16 {
            g.start(t0, 1, true);
        }
        // A bucket of 20/s answers: the next token in 50 ms.
        refuse(&mut g, t0, t0 + ms(1), Some(ms(50)));
        let pace = g.pace().unwrap();
        assert!((pace - 20.0).abs() < 1e-9, "{pace}");
        assert_eq!(g.ready_at(t0 + ms(1), 1), Some(t0 + ms(51)));
        // Starts after the wait are one interval apart: no herd.
        g.start(t0 + ms(51), 1, true);
        assert_eq!(g.ready_at(t0 + ms(52), 1), Some(t0 + ms(101)));
        // Another refusal of a request that started before the decrease
        // does not lower the rate again.
        refuse(&mut g, t0, t0 + ms(60), Some(ms(40)));
        assert_eq!(g.pace(), Some(pace));
        assert_eq!(g.stats.throttled, 2);
    }

    #[test]
    fn later_refusals_lower_the_rate_to_what_was_accepted() {
        let mut g = gov();
        let t0 = Instant::now();
        g.start(t0, 1, true);
        refuse(&mut g, t0, t0 + ms(1), Some(ms(10)));
        assert_eq!(g.pace(), Some(100.0));
        // Over the next two seconds the server accepts 10/s.
        for k in 0..20 {
            let t = t0 + ms(100 * k + 50);
            g.start(t, 1, true);
            accept(&mut g, t + ms(50));
        }
        let now = t0 + ms(2060);
        g.start(now, 1, true);
        refuse(&mut g, now, now + ms(1), Some(ms(100)));
        let pace = g.pace().unwrap();
        assert!((8.0..=10.0).contains(&pace), "{pace}");
    }

    #[test]
    fn the_rate_grows_only_while_requests_queue() {
        let mut g = gov();
        let t0 = Instant::now();
        g.start(t0, 1, true);
        refuse(&mut g, t0, t0 + ms(1), Some(ms(100)));
        assert_eq!(g.pace(), Some(10.0));
        // Nobody waiting: no growth.
        g.start(t0 + ms(200), 1, false);
        accept(&mut g, t0 + ms(700));
        assert_eq!(g.pace(), Some(10.0));
        // Others waiting, but not for the pace (a start long after the last).
        g.start(t0 + ms(750), 1, true);
        accept(&mut g, t0 + ms(760));
        assert_eq!(g.pace(), Some(10.0));
        // Held by the pace, in slow start: doubles every half second.
        g.start(t0 + ms(850), 1, true);
        accept(&mut g, t0 + ms(1260));
        let pace = g.pace().unwrap();
        assert!((pace - 20.0).abs() < 0.01, "{pace}");
    }

    #[test]
    fn no_wait_header_backs_off_once_per_round() {
        let mut g = gov();
        let t0 = Instant::now();
        for _ in 0..32 {
            g.start(t0, 1, true);
        }
        refuse(&mut g, t0, t0 + ms(1), None);
        let first = g.ready_at(t0 + ms(1), 1).unwrap() - (t0 + ms(1));
        assert!(first >= ms(125) && first <= ms(250), "{first:?}");
        // The other 31 refusals of the same round add no backoff.
        for _ in 0..31 {
            refuse(&mut g, t0, t0 + ms(2), None);
        }
        let after = g.ready_at(t0 + ms(2), 1).unwrap() - (t0 + ms(1));
        assert_eq!(after, first);
        // The half of what was tried is the first estimate.
        assert_eq!(g.pace(), Some(16.0));
    }

    #[test]
    fn rpm_caps_the_pace_from_the_start() {
        let mut g = Governor::new(
            "t",
            Quota {
                rpm: Some(120),
                tpm: None,
            },
            8,
        );
        let t0 = Instant::now();
        assert_eq!(g.pace(), Some(2.0));
        g.start(t0, 1, true);
        assert_eq!(g.ready_at(t0, 1), Some(t0 + ms(500)));
    }

    #[test]
    fn tpm_holds_a_minute_of_charges() {
        let mut g = Governor::new(
            "t",
            Quota {
                rpm: None,
                tpm: Some(1000),
            },
            8,
        );
        let t0 = Instant::now();
        g.start(t0, 400, true);
        g.start(t0 + ms(10), 400, true);
        assert_eq!(g.ready_at(t0 + ms(20), 200), Some(t0 + ms(20)));
        // 300 more does not fit until the first charge leaves the window.
        assert_eq!(g.ready_at(t0 + ms(20), 300), Some(t0 + MINUTE));
        // After a minute it has.
        assert_eq!(
            g.ready_at(t0 + MINUTE + ms(5), 300),
            Some(t0 + MINUTE + ms(5))
        );
        // A request larger than the quota goes once the window is empty.
        let mut g = Governor::new(
            "t",
            Quota {
                rpm: None,
                tpm: Some(100),
            },
            8,
        );
        g.start(t0, 50, true);
        assert_eq!(g.ready_at(t0, 500), Some(t0 + MINUTE));
    }

    #[test]
    fn header_budgets_hold_starts_until_reset() {
        let mut g = gov();
        let t0 = Instant::now();
        let mark = g.start(t0, 100, false);
        let h = RateHeaders {
            remaining_requests: Some(2),
            reset_requests: Some(ms(800)),
            remaining_tokens: Some(150),
            reset_tokens: Some(ms(3000)),
        };
        g.accepted(t0 + ms(200), &h, mark);
        let now = t0 + ms(200);
        assert_eq!(g.ready_at(now, 100), Some(now));
        g.start(now, 100, false);
        // 50 tokens left: a request of 100 waits for the token reset.
        assert_eq!(g.ready_at(now, 100), Some(now + ms(3000)));
        assert_eq!(g.ready_at(now, 40), Some(now));
        g.start(now, 40, false);
        // No request left: the request reset.
        assert_eq!(g.ready_at(now, 1), Some(now + ms(800)));
        // Budgets lapse at their reset.
        assert_eq!(g.ready_at(now + ms(3001), 100), Some(now + ms(3001)));
    }

    #[test]
    fn budgets_count_what_started_since_and_need_a_reset() {
        let mut g = gov();
        let t0 = Instant::now();
        let first = g.start(t0, 10, false);
        for _ in 0..3 {
            g.start(t0 + ms(5), 10, false);
        }
        // The server counted the first when it admitted it; three started since.
        let h = RateHeaders {
            remaining_requests: Some(4),
            reset_requests: Some(ms(500)),
            ..RateHeaders::default()
        };
        let now = t0 + ms(100);
        g.accepted(now, &h, first);
        assert_eq!(g.ready_at(now, 10), Some(now));
        g.start(now, 10, false);
        assert_eq!(g.ready_at(now, 10), Some(now + ms(500)));
        // Azure-style: a count without its reset time is not a budget.
        let mut g = gov();
        let mark = g.start(t0, 10, false);
        let h = RateHeaders {
            remaining_requests: Some(0),
            remaining_tokens: Some(0),
            ..RateHeaders::default()
        };
        g.accepted(t0 + ms(10), &h, mark);
        assert_eq!(g.ready_at(t0 + ms(10), 10), Some(t0 + ms(10)));
    }

    #[test]
    fn out_of_time_after_max_wait_of_refusals() {
        let mut g = gov();
        let t0 = Instant::now();
        g.start(t0, 1, false);
        refuse(&mut g, t0, t0, Some(ms(100)));
        assert!(
            g.out_of_time(t0 + ms(500), Duration::from_secs(1))
                .is_none()
        );
        let why = g
            .out_of_time(t0 + ms(1500), Duration::from_secs(1))
            .unwrap();
        assert!(why.contains("longer than --max-wait 1s"), "{why}");
        // A success resets the clock.
        g.start(t0 + ms(1500), 1, false);
        accept(&mut g, t0 + ms(1600));
        assert!(
            g.out_of_time(t0 + ms(5000), Duration::from_secs(1))
                .is_none()
        );
        // A wait asked beyond max-wait is known at once.
        g.start(t0 + ms(5000), 1, false);
        refuse(
            &mut g,
            t0 + ms(5000),
            t0 + ms(5000),
            Some(Duration::from_secs(3600)),
        );
        let why = g
            .out_of_time(t0 + ms(5001), Duration::from_secs(900))
            .unwrap();
        assert!(why.contains("asked to wait 1h"), "{why}");
    }

    #[test]
    fn waited_time_counts_each_moment_once() {
        let mut g = gov();
        let t0 = Instant::now();
        g.block(t0, ms(1000));
        g.block(t0 + ms(100), ms(500));
        g.block(t0 + ms(500), ms(1000));
        assert!(
            (g.stats.waited_s - 1.5).abs() < 1e-9,
            "{}",
            g.stats.waited_s
        );
    }

    #[test]
    fn the_gate_serves_in_ticket_order_and_picks_the_ready_endpoint() {
        let stop = AtomicBool::new(false);
        let mut slow = Governor::new("slow", Quota::default(), 4);
        slow.block(Instant::now(), Duration::from_secs(30));
        let fast = Governor::new("fast", Quota::default(), 4);
        let gate = Gate::new(vec![(slow, 1.0), (fast, 1.0)], Duration::from_secs(60));
        let p = gate.acquire(1, None, 1, Instant::now(), &stop).unwrap();
        assert_eq!(p.endpoint, 1, "the blocked endpoint is passed over");
        gate.accepted(p, &RateHeaders::default());
        // Pinned to the blocked one and told to stop: cancelled, not stuck.
        stop.store(true, Ordering::SeqCst);
        assert_eq!(
            gate.acquire(2, Some(0), 1, Instant::now(), &stop)
                .unwrap_err(),
            GateError::Cancelled
        );
        stop.store(false, Ordering::SeqCst);
        assert!(gate.take_out_if_others(0, "HTTP 401"));
        assert!(
            !gate.take_out_if_others(1, "HTTP 401"),
            "the last one stays"
        );
        assert!(
            matches!(gate.acquire(3, Some(0), 1, Instant::now(), &stop), Err(GateError::Gone(w)) if w == "HTTP 401")
        );
        assert_eq!(gate.take_notices().len(), 1);
        let stats = gate.stats();
        assert_eq!(stats[1].requests, 1);
    }

    #[test]
    fn the_gate_halts_when_the_last_endpoint_runs_out_of_time() {
        let stop = AtomicBool::new(false);
        let mut g = Governor::new("only", Quota::default(), 4);
        let t0 = Instant::now();
        g.start(t0, 1, false);
        refuse(&mut g, t0, t0, Some(Duration::from_secs(120)));
        let gate = Gate::new(vec![(g, 1.0)], Duration::from_secs(60));
        match gate.acquire(1, None, 1, Instant::now(), &stop) {
            Err(GateError::Exhausted(why)) => {
                assert!(why.contains("longer than --max-wait 1m"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// Header values a server might send: numbers of any size, Go durations,
    /// HTTP dates and junk.
    fn header_value() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            any::<f64>().prop_map(|f| f.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            any::<u64>().prop_map(|n| n.to_string()),
            "[0-9.eEhmsnuµ+-]{0,14}",
            "\\PC{0,20}",
            Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string()),
            Just("Fri, 31 Dec 9999 23:59:59 GMT".to_string()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn no_server_header_panics_the_governor(
            values in proptest::collection::vec(header_value(), 7),
            steps in proptest::collection::vec(0u8..4, 1..12),
        ) {
            let get = |i: usize| Some(values[i].clone());
            let headers = RateHeaders::read(|name| match name {
                "x-ratelimit-remaining-requests" => get(0),
                "x-ratelimit-reset-requests" => get(1),
                "x-ratelimit-remaining-tokens" => get(2),
                _ => get(3),
            });
            let wait = crate::llm::http::server_wait(&get(4), &get(5), &get(6));
            let _ = parse_reset(&values[1]);
            let mut g = Governor::new("p", Quota { rpm: Some(1), tpm: Some(1) }, 4);
            let mut now = Instant::now();
            for step in steps {
                let mark = g.start(now, 10, true);
                match step {
                    0 => g.throttled((now, mark), now, wait, &headers),
                    1 => g.accepted(now, &headers, mark),
                    2 => g.failed(now, wait),
                    _ => g.released(),
                }
                let _ = g.ready_at(now, 1000);
                let _ = g.out_of_time(now, Duration::from_secs(900));
                let _ = g.accepted_rate(now);
                now += Duration::from_millis(700);
            }
        }
    }
}
