//! Rate limiters of the shapes real providers use, as test doubles.
//!
//! Each shape is a pure state machine: [`Shape::admit`] takes the time since
//! the limiter started and what the request costs, and answers either the
//! headers of a 200 or a [`Refusal`] (a 429 with its headers and body). Unit
//! tests drive them with a fake clock; [`serve`] puts one behind the
//! loopback [`TestServer`](crate::llm_server::TestServer).
//!
//! Shapes:
//! - [`TokenBucket`]: `rate` tokens per `per`, holding at most `burst`
//!   (burst 1 = no burst), starting full; OpenAI-style refusals carrying
//!   `retry-after-ms` (or no wait header at all);
//! - [`FixedWindow`]: `limit` requests per `window`, windows aligned to the
//!   limiter's start (Azure-style), refusals carrying `retry-after` in whole
//!   seconds (ceil by default, floor on request, as some servers do);
//! - [`TokensPerMinute`]: a sliding 60 s window over the tokens charged at
//!   admission (estimated prompt tokens + `max_tokens`), with OpenAI's
//!   `x-ratelimit-*-tokens` headers on every reply;
//! - [`Unlimited`].
//!
//! Bucket and window arithmetic is in integer nanoseconds, so waits are exact.
//!
//! The module is shared by the integration tests and the benches (through
//! `#[path]`); both include `llm_server` at their crate root.
#![allow(dead_code)]

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::llm_server::{Recorded, Reply, TestServer, error_body};

/// Response headers, names lowercase.
pub type Headers = Vec<(String, String)>;

/// A request the limiter turned away: answered 429 with these headers and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The exact time until this request would be admitted (whatever the
    /// headers say); `None` when it never would (larger than the quota).
    pub wait: Option<Duration>,
    pub headers: Headers,
    pub body: String,
}

/// A rate limiter of one shape.
pub trait Shape: Send + 'static {
    /// Decides one request arriving `now` after the limiter started, costing
    /// `tokens` (what [`request_tokens`] says of its body). `now` never goes
    /// backwards between calls. `Ok` holds the headers of the 200.
    fn admit(&mut self, now: Duration, tokens: u64) -> Result<Headers, Refusal>;

    /// A short description for reports, e.g. "token bucket 20/s burst 20, retry-after-ms".
    fn describe(&self) -> String;

    /// The earliest time after the start at which a fresh limiter of this
    /// shape can have admitted `n` requests of `tokens` each (a client that
    /// sends each request the moment it is allowed); `None` if never.
    fn last_admission(&self, n: u64, tokens: u64) -> Option<Duration>;
}

impl Shape for Box<dyn Shape> {
    fn admit(&mut self, now: Duration, tokens: u64) -> Result<Headers, Refusal> {
        (**self).admit(now, tokens)
    }

    fn describe(&self) -> String {
        (**self).describe()
    }

    fn last_admission(&self, n: u64, tokens: u64) -> Option<Duration> {
        (**self).last_admission(n, tokens)
    }
}

/// How a refusal tells the client to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitHeader {
    /// No wait header at all.
    None,
    /// `retry-after-ms`: the exact wait in milliseconds, rounded up, at least 1.
    Millis,
    /// `retry-after`: whole seconds, rounded as given (floor may say 0).
    Seconds(Rounding),
    /// Both `retry-after-ms` and `retry-after` (OpenAI's token limits).
    Both(Rounding),
}

/// How a wait becomes whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    Ceil,
    Floor,
}

/// Whose wording a 429 body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `{"error":{"message":"Rate limit reached for requests …","type":"requests","code":"rate_limit_exceeded"}}`
    OpenAi,
    /// `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation …"}}`
    Azure,
}

fn h(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// Milliseconds, rounded up, at least 1.
pub fn ceil_ms(d: Duration) -> u64 {
    (d.as_nanos().div_ceil(1_000_000) as u64).max(1)
}

/// Whole seconds, rounded as asked.
pub fn whole_seconds(d: Duration, rounding: Rounding) -> u64 {
    match rounding {
        Rounding::Ceil => d.as_nanos().div_ceil(1_000_000_000) as u64,
        Rounding::Floor => d.as_secs(),
    }
}

/// `d` rounded up to a whole millisecond (how OpenAI reports its resets).
fn up_to_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_nanos().div_ceil(1_000_000) as u64)
}

/// The wait headers `how` asks for, for a wait of `wait`.
pub fn wait_headers(wait: Duration, how: WaitHeader) -> Headers {
    match how {
        WaitHeader::None => Vec::new(),
        WaitHeader::Millis => vec![h("retry-after-ms", ceil_ms(wait))],
        WaitHeader::Seconds(r) => vec![h("retry-after", whole_seconds(wait, r))],
        WaitHeader::Both(r) => vec![
            h("retry-after-ms", ceil_ms(wait)),
            h("retry-after", whole_seconds(wait, r)),
        ],
    }
}

/// A duration the way Go's `time.Duration.String` writes it, which is what
/// OpenAI's `x-ratelimit-reset-*` headers use: "1m30.5s", "59.412s", "6m0s",
/// "20ms", "1.5µs", "0s".
pub fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    // The integer part and up to `digits` fraction digits, trailing zeros dropped.
    fn fixed(value: u128, unit: u128, digits: usize) -> String {
        let whole = value / unit;
        let frac = value % unit;
        if frac == 0 {
            return whole.to_string();
        }
        let frac = format!("{frac:0digits$}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{}µs", fixed(ns, 1_000, 3));
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", fixed(ns, 1_000_000, 6));
    }
    let secs_ns = ns % 60_000_000_000;
    let minutes = ns / 60_000_000_000;
    let seconds = format!("{}s", fixed(secs_ns, 1_000_000_000, 9));
    match (minutes / 60, minutes % 60) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (hours, m) => format!("{hours}h{m}m{seconds}"),
    }
}

/// The tokens a provider charges a request at admission: its prompt estimate
/// ([`prompt_tokens`]) plus `max_tokens` (or `max_completion_tokens`), or
/// plus 1000 when the body sets neither.
pub fn request_tokens(body: &Value) -> u64 {
    let max = body
        .get("max_tokens")
        .or_else(|| body.get("max_completion_tokens"))
        .and_then(Value::as_u64)
        .unwrap_or(1000);
    prompt_tokens(body) + max
}

/// A server-side prompt estimate, deliberately unlike a client's chars/4:
/// the UTF-8 bytes of every `messages[].content` (a string, or the `text`
/// of its parts), divided by 4 and rounded up, plus 4 per message.
pub fn prompt_tokens(body: &Value) -> u64 {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return 0;
    };
    let bytes: usize = messages
        .iter()
        .map(|m| match m.get("content") {
            Some(Value::String(s)) => s.len(),
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .map(str::len)
                .sum(),
            _ => 0,
        })
        .sum();
    (bytes as u64).div_ceil(4) + 4 * messages.len() as u64
}

const RATE_LIMITS_URL: &str =
    "Visit https://platform.openai.com/account/rate-limits to learn more.";

/// An OpenAI request-limit 429 body; says when to retry only if `wait` is given.
fn openai_requests_body(limit_rpm: u64, wait: Option<Duration>) -> String {
    let mut message = format!(
        "Rate limit reached for requests in organization org-test on requests per min (RPM): Limit {limit_rpm}, Used {limit_rpm}, Requested 1."
    );
    if let Some(wait) = wait {
        message.push_str(&format!(
            " Please try again in {}.",
            go_duration(up_to_ms(wait))
        ));
    }
    message.push(' ');
    message.push_str(RATE_LIMITS_URL);
    error_body(&message, "rate_limit_exceeded")
}

/// Azure OpenAI's 429 body, telling the client to retry after `seconds`.
pub fn azure_body(seconds: u64) -> String {
    json!({
        "error": {
            "code": "429",
            "message": format!(
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after {seconds} second{}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.",
                if seconds == 1 { "" } else { "s" }
            ),
        }
    })
    .to_string()
}

fn describe_wait(how: WaitHeader) -> &'static str {
    match how {
        WaitHeader::None => "no wait header",
        WaitHeader::Millis => "retry-after-ms",
        WaitHeader::Seconds(Rounding::Ceil) => "retry-after whole seconds (ceil)",
        WaitHeader::Seconds(Rounding::Floor) => "retry-after whole seconds (floor)",
        WaitHeader::Both(_) => "retry-after-ms + retry-after",
    }
}

/// Admits everything, with no rate-limit headers.
#[derive(Debug, Clone, Default)]
pub struct Unlimited;

impl Shape for Unlimited {
    fn admit(&mut self, _now: Duration, _tokens: u64) -> Result<Headers, Refusal> {
        Ok(Vec::new())
    }

    fn describe(&self) -> String {
        "unlimited".to_string()
    }

    fn last_admission(&self, _n: u64, _tokens: u64) -> Option<Duration> {
        Some(Duration::ZERO)
    }
}

/// A token bucket: `rate` tokens per `per`, at most `burst`, starting full;
/// a request takes one token.
///
/// A 200 carries `x-ratelimit-remaining-requests` = whole tokens left. A 429
/// carries the wait until the next token as `wait` says (default
/// `retry-after-ms`) and OpenAI's request-limit body.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    per: Duration,
    burst: u64,
    /// What a refusal says about the wait.
    pub wait: WaitHeader,
    pub style: ErrorStyle,
    /// Tokens in units of 1/`per.as_nanos()` token: `rate` units come back per nanosecond.
    level: u128,
    last: Duration,
}

impl TokenBucket {
    /// `rate_per_s` requests a second, `burst` at most at once (1 = no burst).
    pub fn new(rate_per_s: u64, burst: u64) -> Self {
        Self::per(rate_per_s, Duration::from_secs(1), burst)
    }

    /// `rate` requests per `per` (e.g. 3 per 2 s).
    pub fn per(rate: u64, per: Duration, burst: u64) -> Self {
        assert!(
            rate > 0 && !per.is_zero() && burst > 0,
            "a bucket needs a rate and a burst"
        );
        Self {
            rate,
            per,
            burst,
            wait: WaitHeader::Millis,
            style: ErrorStyle::OpenAi,
            level: burst as u128 * per.as_nanos(),
            last: Duration::ZERO,
        }
    }

    /// The same bucket answering with `wait` headers.
    pub fn with_wait(mut self, wait: WaitHeader) -> Self {
        self.wait = wait;
        self
    }

    pub fn rate_per_s(&self) -> f64 {
        self.rate as f64 / self.per.as_secs_f64()
    }

    pub fn burst(&self) -> u64 {
        self.burst
    }

    fn unit(&self) -> u128 {
        self.per.as_nanos()
    }

    fn refill(&mut self, now: Duration) {
        if now > self.last {
            let cap = self.burst as u128 * self.unit();
            self.level = (self.level + (now - self.last).as_nanos() * self.rate as u128).min(cap);
            self.last = now;
        }
    }

    /// Whole tokens in the bucket at `now` (without taking any).
    pub fn tokens(&mut self, now: Duration) -> u64 {
        self.refill(now);
        (self.level / self.unit()) as u64
    }
}

impl Shape for TokenBucket {
    fn admit(&mut self, now: Duration, _tokens: u64) -> Result<Headers, Refusal> {
        self.refill(now);
        let unit = self.unit();
        if self.level >= unit {
            self.level -= unit;
            return Ok(vec![h("x-ratelimit-remaining-requests", self.level / unit)]);
        }
        let wait = Duration::from_nanos((unit - self.level).div_ceil(self.rate as u128) as u64);
        let told = (self.wait != WaitHeader::None).then_some(wait);
        let rpm = (self.rate_per_s() * 60.0).round() as u64;
        let body = match self.style {
            ErrorStyle::OpenAi => openai_requests_body(rpm, told),
            ErrorStyle::Azure => azure_body(whole_seconds(wait, Rounding::Ceil)),
        };
        let mut headers = wait_headers(wait, self.wait);
        headers.push(h("x-ratelimit-remaining-requests", 0));
        Err(Refusal {
            wait: Some(wait),
            headers,
            body,
        })
    }

    fn describe(&self) -> String {
        let rate = self.rate_per_s();
        let burst = if self.burst == 1 {
            "no burst".to_string()
        } else {
            format!("burst {}", self.burst)
        };
        format!(
            "token bucket {rate}/s {burst}, {}",
            describe_wait(self.wait)
        )
    }

    /// The first `burst` at once, then one every `per / rate`.
    fn last_admission(&self, n: u64, _tokens: u64) -> Option<Duration> {
        let after_burst = n.saturating_sub(self.burst) as u128;
        Some(Duration::from_nanos(
            (after_burst * self.unit()).div_ceil(self.rate as u128) as u64,
        ))
    }
}

/// `limit` requests per `window`, windows aligned to the limiter's start.
///
/// A 200 carries `x-ratelimit-remaining-requests` = `limit` minus those
/// admitted in this window. A 429 carries `retry-after` in whole seconds
/// until the window ends (rounded as `rounding` says; ceil by default) and,
/// in the Azure style (the default), Azure's body naming those seconds.
#[derive(Debug, Clone)]
pub struct FixedWindow {
    limit: u64,
    window: Duration,
    pub rounding: Rounding,
    pub style: ErrorStyle,
    current: u128,
    used: u64,
}

impl FixedWindow {
    pub fn new(limit: u64, window: Duration) -> Self {
        assert!(
            limit > 0 && !window.is_zero(),
            "a window needs a limit and a length"
        );
        Self {
            limit,
            window,
            rounding: Rounding::Ceil,
            style: ErrorStyle::Azure,
            current: 0,
            used: 0,
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn window(&self) -> Duration {
        self.window
    }
}

impl Shape for FixedWindow {
    fn admit(&mut self, now: Duration, _tokens: u64) -> Result<Headers, Refusal> {
        let len = self.window.as_nanos();
        let index = now.as_nanos() / len;
        if index != self.current {
            self.current = index;
            self.used = 0;
        }
        if self.used < self.limit {
            self.used += 1;
            return Ok(vec![h(
                "x-ratelimit-remaining-requests",
                self.limit - self.used,
            )]);
        }
        let wait = Duration::from_nanos(((index + 1) * len - now.as_nanos()) as u64);
        let seconds = whole_seconds(wait, self.rounding);
        let body = match self.style {
            ErrorStyle::Azure => azure_body(seconds),
            ErrorStyle::OpenAi => {
                let per_minute = (self.limit as f64 * 60.0 / self.window.as_secs_f64()).round();
                openai_requests_body(per_minute as u64, Some(wait))
            }
        };
        Err(Refusal {
            wait: Some(wait),
            headers: vec![
                h("retry-after", seconds),
                h("x-ratelimit-remaining-requests", 0),
            ],
            body,
        })
    }

    fn describe(&self) -> String {
        format!(
            "fixed window {} requests / {}, {}",
            self.limit,
            go_duration(self.window),
            describe_wait(WaitHeader::Seconds(self.rounding))
        )
    }

    /// `limit` at the start of each window.
    fn last_admission(&self, n: u64, _tokens: u64) -> Option<Duration> {
        let windows = n.div_ceil(self.limit).saturating_sub(1);
        Some(self.window * windows as u32)
    }
}

/// A sliding window of 60 s over the tokens charged at admission.
///
/// Every reply carries `x-ratelimit-limit-tokens` (the quota),
/// `x-ratelimit-remaining-tokens` (the quota minus what the window holds,
/// after this request's charge on a 200) and `x-ratelimit-reset-tokens` (Go
/// duration, rounded up to the millisecond: the time until the window is
/// empty again, i.e. until the newest charge expires, so "1m0s" on a 200).
/// A 429 also carries `retry-after-ms` (exact time until enough charges
/// expire for this request) and `retry-after` (the same in seconds, ceil),
/// and OpenAI's tokens-per-minute body (`"type":"tokens"`). A request larger
/// than the whole quota is refused with no wait header (it never fits).
#[derive(Debug, Clone)]
pub struct TokensPerMinute {
    tpm: u64,
    window: Duration,
    pub wait: WaitHeader,
    /// (admitted at, tokens), oldest first.
    charges: VecDeque<(Duration, u64)>,
    used: u64,
}

impl TokensPerMinute {
    pub fn new(tpm: u64) -> Self {
        assert!(tpm > 0, "a token limit needs tokens");
        Self {
            tpm,
            window: Duration::from_secs(60),
            wait: WaitHeader::Both(Rounding::Ceil),
            charges: VecDeque::new(),
            used: 0,
        }
    }

    pub fn tpm(&self) -> u64 {
        self.tpm
    }

    /// Tokens the window holds at `now`.
    pub fn used(&mut self, now: Duration) -> u64 {
        self.expire(now);
        self.used
    }

    fn expire(&mut self, now: Duration) {
        while let Some(&(at, tokens)) = self.charges.front() {
            if at + self.window > now {
                break;
            }
            self.charges.pop_front();
            self.used -= tokens;
        }
    }

    fn headers(&self, now: Duration) -> Headers {
        let reset = self.charges.back().map_or(Duration::ZERO, |&(at, _)| {
            (at + self.window).saturating_sub(now)
        });
        vec![
            h("x-ratelimit-limit-tokens", self.tpm),
            h(
                "x-ratelimit-remaining-tokens",
                self.tpm.saturating_sub(self.used),
            ),
            h("x-ratelimit-reset-tokens", go_duration(up_to_ms(reset))),
        ]
    }

    fn body(&self, message: String) -> String {
        json!({
            "error": {"message": message, "type": "tokens", "param": null, "code": "rate_limit_exceeded"}
        })
        .to_string()
    }
}

impl Shape for TokensPerMinute {
    fn admit(&mut self, now: Duration, tokens: u64) -> Result<Headers, Refusal> {
        self.expire(now);
        if tokens > self.tpm {
            let message = format!(
                "Request too large for requests in organization org-test on tokens per min (TPM): Limit {}, Requested {tokens}. The input or output tokens must be reduced in order to run successfully. {RATE_LIMITS_URL}",
                self.tpm
            );
            return Err(Refusal {
                wait: None,
                headers: self.headers(now),
                body: self.body(message),
            });
        }
        if self.used + tokens <= self.tpm {
            self.charges.push_back((now, tokens));
            self.used += tokens;
            return Ok(self.headers(now));
        }
        let need = self.used + tokens - self.tpm;
        let mut freed = 0;
        let mut wait = Duration::ZERO;
        for &(at, charged) in &self.charges {
            freed += charged;
            if freed >= need {
                wait = (at + self.window).saturating_sub(now);
                break;
            }
        }
        let message = format!(
            "Rate limit reached for requests in organization org-test on tokens per min (TPM): Limit {}, Used {}, Requested {tokens}. Please try again in {}. {RATE_LIMITS_URL}",
            self.tpm,
            self.used,
            go_duration(up_to_ms(wait))
        );
        let mut headers = wait_headers(wait, self.wait);
        headers.extend(self.headers(now));
        Err(Refusal {
            wait: Some(wait),
            headers,
            body: self.body(message),
        })
    }

    fn describe(&self) -> String {
        format!(
            "tokens per minute {} (sliding 60 s), {}",
            self.tpm,
            describe_wait(self.wait)
        )
    }

    /// floor(tpm / tokens) requests per minute, each batch when the previous expires.
    fn last_admission(&self, n: u64, tokens: u64) -> Option<Duration> {
        let per_window = self.tpm.checked_div(tokens.max(1))?;
        if per_window == 0 {
            return None;
        }
        let windows = n.div_ceil(per_window).saturating_sub(1);
        Some(self.window * windows as u32)
    }
}

/// What a limited server saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Every request.
    pub requests: u64,
    /// Answered 200 (after the latency).
    pub accepted: u64,
    /// Answered 429.
    pub throttled: u64,
    /// When the last request of any kind arrived, since the limiter started.
    pub last_request: Option<Duration>,
    /// When the first and the last accepted request arrived, since the limiter started.
    pub first_accepted: Option<Duration>,
    pub last_accepted: Option<Duration>,
    /// Tokens charged to accepted requests ([`request_tokens`]).
    pub tokens_accepted: u64,
    /// Distinct `seed` values of accepted request bodies (the client sends
    /// one per conversation): how many conversations were served.
    pub seeds: BTreeSet<u64>,
}

impl Counts {
    /// Accepted requests per second between the first and the last accepted one.
    pub fn accepted_rate(&self) -> Option<f64> {
        let span = self.last_accepted?.checked_sub(self.first_accepted?)?;
        (self.accepted > 1 && !span.is_zero())
            .then(|| (self.accepted - 1) as f64 / span.as_secs_f64())
    }
}

/// Counters shared with a [`serve`]d handler.
#[derive(Debug)]
pub struct Stats {
    start: Instant,
    counts: Mutex<Counts>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Stats {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// The limiter's time zero (the server's start).
    pub fn start(&self) -> Instant {
        self.start
    }

    pub fn snapshot(&self) -> Counts {
        lock(&self.counts).clone()
    }
}

/// Starts a loopback server limited by `shape`.
///
/// The limiter's clock starts when the server starts (so aligned windows
/// start there), and time is read under the limiter's lock, so it never goes
/// backwards. An admitted request is answered `Reply::Delay(latency, 200 with
/// body and the shape's headers)`; a refused one gets its 429 at once, as
/// real servers answer them.
pub fn serve(shape: impl Shape, latency: Duration, body: String) -> (TestServer, Arc<Stats>) {
    let start = Instant::now();
    let stats = Arc::new(Stats::new(start));
    let shape = Mutex::new(shape);
    let for_handler = Arc::clone(&stats);
    let server = TestServer::start(move |req: &Recorded, _n| {
        let parsed: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
        let tokens = request_tokens(&parsed);
        let (now, decision) = {
            let mut shape = lock(&shape);
            let now = start.elapsed();
            (now, shape.admit(now, tokens))
        };
        let mut counts = lock(&for_handler.counts);
        counts.requests += 1;
        counts.last_request = Some(now);
        match decision {
            Ok(headers) => {
                counts.accepted += 1;
                counts.tokens_accepted += tokens;
                counts.first_accepted.get_or_insert(now);
                counts.last_accepted = Some(now);
                if let Some(seed) = parsed.get("seed").and_then(Value::as_u64) {
                    counts.seeds.insert(seed);
                }
                let reply = headers
                    .iter()
                    .fold(Reply::ok(body.clone()), |r, (n, v)| r.with_header(n, v));
                Reply::Delay(latency, Box::new(reply))
            }
            Err(refusal) => {
                counts.throttled += 1;
                refusal
                    .headers
                    .iter()
                    .fold(Reply::status(429, &refusal.body), |r, (n, v)| {
                        r.with_header(n, v)
                    })
            }
        }
    });
    (server, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn refusal(r: Result<Headers, Refusal>) -> Refusal {
        r.expect_err("expected a refusal")
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(ms(90_500)), "1m30.5s");
        assert_eq!(go_duration(ms(59_412)), "59.412s");
        assert_eq!(go_duration(ms(20)), "20ms");
        assert_eq!(go_duration(Duration::from_secs(360)), "6m0s");
        assert_eq!(go_duration(Duration::from_secs(60)), "1m0s");
        assert_eq!(go_duration(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(go_duration(Duration::from_nanos(1500)), "1.5µs");
        assert_eq!(go_duration(Duration::from_nanos(7)), "7ns");
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(
            go_duration(Duration::from_nanos(1_000_000_001)),
            "1.000000001s"
        );
    }

    #[test]
    fn bucket_admits_burst_then_rate() {
        let mut b = TokenBucket::new(20, 20);
        for i in 0..20 {
            let ok = b.admit(Duration::ZERO, 0).expect("burst");
            assert_eq!(
                header(&ok, "x-ratelimit-remaining-requests"),
                Some((19 - i).to_string().as_str())
            );
        }
        let r = refusal(b.admit(Duration::ZERO, 0));
        assert_eq!(r.wait, Some(ms(50)));
        assert_eq!(header(&r.headers, "retry-after-ms"), Some("50"));
        assert_eq!(header(&r.headers, "retry-after"), None);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert_eq!(body["error"]["type"], "requests");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Rate limit reached for requests"),
            "{message}"
        );
        assert!(message.contains("Please try again in 50ms."), "{message}");

        // 10 ms later, 40 ms to go.
        let r = refusal(b.admit(ms(10), 0));
        assert_eq!(r.wait, Some(ms(40)));
        // Exactly one token every 50 ms, never earlier.
        let mut admitted = 0;
        let mut t = ms(10);
        while t <= Duration::from_secs(2) {
            if b.admit(t, 0).is_ok() {
                admitted += 1;
                assert_eq!(t.as_nanos() % 50_000_000, 0, "admitted at {t:?}");
            }
            t += ms(1);
        }
        assert_eq!(admitted, 40);
        assert!(b.admit(t - ms(1), 0).is_err());
    }

    #[test]
    fn bucket_refills_to_burst_only_and_rounds_waits_up() {
        let mut b = TokenBucket::new(3, 2);
        assert!(b.admit(Duration::ZERO, 0).is_ok());
        assert!(b.admit(Duration::ZERO, 0).is_ok());
        // 1/3 s = 333,333,334 ns rounded up to the nanosecond; 334 ms in the header.
        let r = refusal(b.admit(Duration::ZERO, 0));
        assert_eq!(r.wait, Some(Duration::from_nanos(333_333_334)));
        assert_eq!(header(&r.headers, "retry-after-ms"), Some("334"));
        // Just before: still refused, with a 1 ns wait shown as 1 ms.
        let r = refusal(b.admit(Duration::from_nanos(333_333_333), 0));
        assert_eq!(r.wait, Some(Duration::from_nanos(1)));
        assert_eq!(header(&r.headers, "retry-after-ms"), Some("1"));
        assert!(b.admit(Duration::from_nanos(333_333_334), 0).is_ok());
        // A long idle time refills to the burst, not beyond.
        assert_eq!(b.tokens(Duration::from_secs(100)), 2);
        assert!(b.admit(Duration::from_secs(100), 0).is_ok());
        assert!(b.admit(Duration::from_secs(100), 0).is_ok());
        assert!(b.admit(Duration::from_secs(100), 0).is_err());
    }

    #[test]
    fn bucket_without_burst_and_without_wait_header() {
        let mut b = TokenBucket::new(10, 1).with_wait(WaitHeader::None);
        assert!(b.admit(Duration::ZERO, 0).is_ok());
        let r = refusal(b.admit(ms(30), 0));
        assert_eq!(r.wait, Some(ms(70)));
        assert_eq!(header(&r.headers, "retry-after-ms"), None);
        assert_eq!(header(&r.headers, "retry-after"), None);
        assert!(!r.body.contains("try again in"), "{}", r.body);
        assert!(b.admit(ms(100), 0).is_ok());
        assert!(b.admit(ms(199), 0).is_err());
        assert!(b.admit(ms(200), 0).is_ok());
        assert_eq!(b.describe(), "token bucket 10/s no burst, no wait header");
    }

    #[test]
    fn bucket_ideal_matches_a_greedy_client() {
        for (rate, burst, n) in [(20, 20, 200), (10, 1, 200), (3, 2, 17), (20, 20, 5)] {
            let shape = TokenBucket::new(rate, burst);
            let mut b = shape.clone();
            let mut t = Duration::ZERO;
            for _ in 0..n {
                while let Err(r) = b.admit(t, 0) {
                    t += r.wait.unwrap();
                }
            }
            assert_eq!(
                shape.last_admission(n, 0),
                Some(t),
                "{rate}/s burst {burst}"
            );
        }
        assert_eq!(
            TokenBucket::new(20, 20).last_admission(200, 0),
            Some(Duration::from_secs(9))
        );
    }

    #[test]
    fn fixed_window_admits_limit_per_window_and_answers_ceil_seconds() {
        let mut w = FixedWindow::new(60, Duration::from_secs(10));
        for i in 0..60 {
            let ok = w.admit(ms(2_500 + i), 0).expect("within the limit");
            assert_eq!(
                header(&ok, "x-ratelimit-remaining-requests"),
                Some((59 - i).to_string().as_str())
            );
        }
        let r = refusal(w.admit(ms(2_600), 0));
        assert_eq!(r.wait, Some(ms(7_400)));
        assert_eq!(header(&r.headers, "retry-after"), Some("8"));
        assert_eq!(header(&r.headers, "retry-after-ms"), None);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "429");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 8 seconds."),
            "{message}"
        );
        // Near the boundary: ceil says 1.
        let r = refusal(w.admit(ms(9_999), 0));
        assert_eq!(header(&r.headers, "retry-after"), Some("1"));
        // The next window starts at 10 s exactly, aligned to the start.
        for _ in 0..60 {
            assert!(w.admit(Duration::from_secs(10), 0).is_ok());
        }
        assert!(w.admit(ms(19_999), 0).is_err());
        assert!(w.admit(Duration::from_secs(20), 0).is_ok());
    }

    #[test]
    fn fixed_window_can_floor_like_some_servers() {
        let mut w = FixedWindow::new(1, Duration::from_secs(10));
        w.rounding = Rounding::Floor;
        assert!(w.admit(Duration::ZERO, 0).is_ok());
        let r = refusal(w.admit(ms(9_400), 0));
        assert_eq!(header(&r.headers, "retry-after"), Some("0"));
        assert!(
            r.body.contains("Please retry after 0 seconds."),
            "{}",
            r.body
        );
        assert!(w.admit(ms(10_000), 0).is_ok());
        let r = refusal(w.admit(ms(12_500), 0));
        assert_eq!(r.wait, Some(ms(7_500)));
        assert_eq!(header(&r.headers, "retry-after"), Some("7"));
        let mut w = FixedWindow::new(1, Duration::from_secs(10));
        assert!(w.admit(Duration::ZERO, 0).is_ok());
        let r = refusal(w.admit(ms(1_000), 0));
        assert_eq!(header(&r.headers, "retry-after"), Some("9"));
        assert!(
            r.body.contains("Please retry after 9 seconds."),
            "{}",
            r.body
        );
    }

    #[test]
    fn fixed_window_ideal() {
        let w = FixedWindow::new(60, Duration::from_secs(10));
        assert_eq!(w.last_admission(200, 0), Some(Duration::from_secs(30)));
        assert_eq!(w.last_admission(60, 0), Some(Duration::ZERO));
        assert_eq!(w.last_admission(61, 0), Some(Duration::from_secs(10)));
    }

    #[test]
    fn prompt_estimate_is_bytes_over_four_plus_four_per_message() {
        let body = json!({
            "messages": [
                {"role": "system", "content": "abcde"},      // 5 bytes
                {"role": "user", "content": "ñ"},            // 2 bytes
                {"role": "user", "content": [{"type": "text", "text": "xyz"}]},
            ],
            "seed": 3,
        });
        // 10 bytes -> 3, + 12.
        assert_eq!(prompt_tokens(&body), 15);
        assert_eq!(request_tokens(&body), 1015);
        let mut with_max = body.clone();
        with_max["max_tokens"] = json!(200);
        assert_eq!(request_tokens(&with_max), 215);
        assert_eq!(request_tokens(&Value::Null), 1000);
    }

    #[test]
    fn tokens_per_minute_admits_until_used_and_expires_after_60_s() {
        let mut t = TokensPerMinute::new(1000);
        let ok = t.admit(Duration::ZERO, 400).unwrap();
        assert_eq!(header(&ok, "x-ratelimit-limit-tokens"), Some("1000"));
        assert_eq!(header(&ok, "x-ratelimit-remaining-tokens"), Some("600"));
        assert_eq!(header(&ok, "x-ratelimit-reset-tokens"), Some("1m0s"));
        let ok = t.admit(ms(10_000), 500).unwrap();
        assert_eq!(header(&ok, "x-ratelimit-remaining-tokens"), Some("100"));

        // 300 more needs the first charge (400) gone: at 60 s.
        let r = refusal(t.admit(ms(20_587), 300));
        assert_eq!(r.wait, Some(Duration::from_millis(60_000) - ms(20_587)));
        assert_eq!(header(&r.headers, "retry-after-ms"), Some("39413"));
        assert_eq!(header(&r.headers, "retry-after"), Some("40"));
        assert_eq!(
            header(&r.headers, "x-ratelimit-remaining-tokens"),
            Some("100")
        );
        // Until the newest charge (10 s) expires: 70 s - 20.587 s.
        assert_eq!(
            header(&r.headers, "x-ratelimit-reset-tokens"),
            Some("49.413s")
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert_eq!(body["error"]["type"], "tokens");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("tokens per min (TPM): Limit 1000, Used 900, Requested 300. Please try again in 39.413s."),
            "{message}"
        );

        // A small one still fits.
        assert!(t.admit(ms(30_000), 100).is_ok());
        assert!(t.admit(ms(30_000), 1).is_err());
        // Exactly 60 s after the first charge it has expired, not a nanosecond before.
        assert!(
            t.admit(Duration::from_secs(60) - Duration::from_nanos(1), 300)
                .is_err()
        );
        assert_eq!(t.used(Duration::from_secs(60)), 600);
        let ok = t.admit(Duration::from_secs(60), 300).unwrap();
        assert_eq!(header(&ok, "x-ratelimit-remaining-tokens"), Some("100"));
        // Wait for 900 more: the charges at 10 s (500) and 30 s (100) and 60 s (300) must go.
        let r = refusal(t.admit(Duration::from_secs(61), 1000));
        assert_eq!(r.wait, Some(Duration::from_secs(120 - 61)));
        // Too large for the quota: refused with no wait header.
        let r = refusal(t.admit(Duration::from_secs(61), 1001));
        assert_eq!(r.wait, None);
        assert_eq!(header(&r.headers, "retry-after-ms"), None);
        assert!(r.body.contains("Request too large"), "{}", r.body);
        // Empty window: reset 0s, everything remaining.
        let mut t = TokensPerMinute::new(1000);
        assert!(t.admit(Duration::ZERO, 1000).is_ok());
        let r = refusal(t.admit(ms(59_999), 1));
        assert_eq!(header(&r.headers, "retry-after-ms"), Some("1"));
        assert_eq!(header(&r.headers, "x-ratelimit-reset-tokens"), Some("1ms"));
        assert_eq!(
            header(&r.headers, "x-ratelimit-remaining-tokens"),
            Some("0")
        );
    }

    #[test]
    fn tokens_per_minute_ideal() {
        let t = TokensPerMinute::new(100 * 1300 + 650);
        assert_eq!(t.last_admission(200, 1300), Some(Duration::from_secs(60)));
        assert_eq!(t.last_admission(100, 1300), Some(Duration::ZERO));
        assert_eq!(t.last_admission(201, 1300), Some(Duration::from_secs(120)));
        assert_eq!(TokensPerMinute::new(10).last_admission(5, 11), None);
    }

    #[test]
    fn unlimited_admits_everything() {
        let mut u = Unlimited;
        for i in 0..1000 {
            assert_eq!(u.admit(ms(i), 1_000_000), Ok(Vec::new()));
        }
    }

    /// One HTTP/1.1 request on a fresh connection: (status, headers, body).
    fn post(url: &str, body: &str) -> (u16, String, Duration) {
        use std::io::{Read, Write};
        let addr = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        write!(
            s,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out[9..12].parse().unwrap();
        (status, out, started.elapsed())
    }

    #[test]
    fn served_limiter_delays_admitted_replies_and_refuses_at_once() {
        let (server, stats) = serve(
            TokenBucket::new(1, 1),
            ms(150),
            crate::llm_server::completion("{}", "stop", 1, 1),
        );
        let body =
            json!({"messages": [{"role": "user", "content": "hola"}], "seed": 7}).to_string();
        let (status, reply, took) = post(&server.url(), &body);
        assert_eq!(status, 200, "{reply}");
        assert!(took >= ms(150), "{took:?}");
        assert!(
            reply.contains("x-ratelimit-remaining-requests: 0"),
            "{reply}"
        );
        let (status, reply, took) = post(&server.url(), &body);
        assert_eq!(status, 429, "{reply}");
        assert!(took < ms(150), "{took:?}");
        assert!(reply.contains("retry-after-ms: "), "{reply}");
        assert!(reply.contains("rate_limit_exceeded"), "{reply}");
        let counts = stats.snapshot();
        assert_eq!(
            (counts.requests, counts.accepted, counts.throttled),
            (2, 1, 1)
        );
        assert_eq!(counts.seeds, BTreeSet::from([7]));
        assert_eq!(counts.tokens_accepted, 1 + 4 + 1000);
        assert!(counts.first_accepted.is_some());
        assert_eq!(server.count(), 2);
    }
}
