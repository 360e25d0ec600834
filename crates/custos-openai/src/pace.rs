//! How fast the client sends: a fixed rate, or one learnt from the answers (adaptive pacing).
//!
//! The Admin API publishes no limits, so an adaptive [`Pacer`] finds them. It starts at
//! [`INITIAL_RATE`] and doubles the rate every [`GROWTH_PERIOD`] in which requests had to wait
//! for it and no answer was a 429 (slow start); the first 429 cuts the rate to [`DECREASE`]
//! times what was answered in the last second, and from then on it grows by a fiftieth of the
//! rate it was cut to per period (additive increase, multiplicative decrease, as TCP does).
//! A period doubles the rate in a quarter of a second rather than a second: at 400 requests/s
//! doubling once a second would spend five seconds climbing, more than the 15 % a scan of a few
//! thousand requests may lose to pacing.
//!
//! Limits can be global or per route (the ChatGPT Compliance API limits each route on its own),
//! so there are two levels: one rate for all requests, and a rate per route (`GET
//! /organization/projects/{project_id}/users`) that a route gets only once it is throttled
//! alone, [`ALONE_TO_LIMIT`] times. A 429 while another route was throttled within
//! [`ATTRIBUTION_WINDOW`] is the global limit's: the global rate is cut, and a route limited
//! for the first time within that window loses its limit again (the 429s that gave it were the
//! global limit's too). A 429 of a route alone cuts only that route's own rate (before it has
//! one, only its `Retry-After` holds it), so a throttled route does not slow the others. A route's
//! own limit lapses after [`ROUTE_LIMIT_LIFETIME`] without a 429: under a global limit two
//! routes throttled a few seconds apart would otherwise each keep a share learnt for a mix of
//! requests that has passed.
//!
//! `x-ratelimit-limit-requests`, `-remaining-` and `-reset-` set a route's rate directly when
//! an answer carries them: the bucket refills `limit - remaining` requests in `reset` (an
//! empty bucket is not a reason to wait for the whole reset: the next request is due at that
//! rate). `Retry-After` holds a route in the client (`client.rs`), not here.
//!
//! In-flight requests follow latency (Little's law): twice the rate times the smoothed latency,
//! rounded up, within `1..=max_concurrency`; twice, because the latency varies and a bound that
//! held requests back below the rate would hide the rate's signal.
//!
//! Nothing here reads a clock: every method takes `now`, so the tests drive time.

use http::HeaderMap;
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// How the client paces its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// [`crate::ClientConfig::requests_per_second`] is the rate, with a burst of one second's
    /// worth; `None` sends as fast as the concurrency bound allows.
    #[default]
    Fixed,
    /// The rate is learnt from the answers, never above
    /// [`crate::ClientConfig::requests_per_second`] when it is set.
    Adaptive,
}

/// The rate an adaptive pacer starts at: the fixed default custos had before it learnt rates.
pub const INITIAL_RATE: f64 = 20.0;
/// How often a rate that held requests back without a 429 grows.
pub const GROWTH_PERIOD: Duration = Duration::from_millis(250);
/// What a 429 leaves of the rate answered in the last second.
pub const DECREASE: f64 = 0.85;
/// Additive increase per period, as a fraction of the rate last cut to.
const INCREASE: f64 = 0.02;
/// The lowest rate a cut leaves.
const MIN_RATE: f64 = 1.0;
/// Two routes throttled within this long of each other meet a global limit.
pub const ATTRIBUTION_WINDOW: Duration = Duration::from_secs(1);
/// 429s of a route alone (within [`ROUTE_LIMIT_LIFETIME`]) that give it a limit of its own.
const ALONE_TO_LIMIT: u32 = 3;
/// How long a route keeps its own limit without a 429.
pub const ROUTE_LIMIT_LIFETIME: Duration = Duration::from_secs(10);
/// Over how long answered requests are counted for a cut.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// Weight of the newest answer in the smoothed latency.
const LATENCY_WEIGHT: f64 = 0.2;

/// The `x-ratelimit-*-requests` headers of an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DeclaredLimit {
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    pub(crate) reset: Duration,
}

impl DeclaredLimit {
    /// The three headers, when all are present and well formed. `reset` is Go-style (`1s`,
    /// `6m0s`, `20ms`, `1.5s`) as the API sends it, or plain seconds.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<DeclaredLimit> {
        let header = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
        Some(DeclaredLimit {
            limit: header("x-ratelimit-limit-requests")?.parse().ok()?,
            remaining: header("x-ratelimit-remaining-requests")?.parse().ok()?,
            reset: parse_reset(header("x-ratelimit-reset-requests")?)?,
        })
    }

    /// Requests per second the bucket refills at, when the headers say enough: a bucket less
    /// than a quarter used says little (the rounding of `remaining` and `reset` dominates).
    fn refill_rate(&self) -> Option<f64> {
        let used = self.limit.checked_sub(self.remaining)?;
        if used == 0 || used.saturating_mul(4) < self.limit || self.reset.is_zero() {
            return None;
        }
        Some(used as f64 / self.reset.as_secs_f64())
    }
}

/// `1s`, `6m0s`, `20ms`, `1h2m3.5s`, or a plain number of seconds.
fn parse_reset(text: &str) -> Option<Duration> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&at| at > 0)?;
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// How an attempt ended, for the pacer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    /// An answer other than a 429, with the limit it declares.
    Answered(Option<DeclaredLimit>),
    /// A 429.
    Throttled(Option<DeclaredLimit>),
    /// No answer (a transport failure) or none worth learning from.
    Nothing,
}

/// Instants of the answers of the last [`RATE_WINDOW`].
#[derive(Debug, Default)]
struct Answers {
    at: VecDeque<Instant>,
    first: Option<Instant>,
}

impl Answers {
    fn record(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.at.push_back(now);
        self.trim(now);
    }

    fn trim(&mut self, now: Instant) {
        while self
            .at
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) > RATE_WINDOW)
        {
            self.at.pop_front();
        }
    }

    /// Answers per second over the last `window` (at most [`RATE_WINDOW`]), or since the
    /// first answer when that is shorter.
    fn rate(&mut self, now: Instant, window: Duration) -> f64 {
        self.trim(now);
        let span = self
            .first
            .map_or(window, |first| now.saturating_duration_since(first))
            .clamp(GROWTH_PERIOD.min(window), window);
        let answered = self
            .at
            .iter()
            .rev()
            .take_while(|&&at| now.saturating_duration_since(at) <= span)
            .count();
        answered as f64 / span.as_secs_f64()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Doubling until the first 429.
    SlowStart,
    /// Growing by `step` per period.
    Avoidance { step: f64 },
    /// Set by the server's headers: neither grown nor cut.
    Declared,
}

/// One rate and the schedule of the requests sent under it (GCRA: each request moves the
/// theoretical arrival time on by one interval; one may go `burst` intervals early).
#[derive(Debug)]
struct Lane {
    /// Requests per second.
    rate: f64,
    /// Requests that may go at once after a quiet time.
    burst: f64,
    next: Option<Instant>,
    phase: Phase,
    adaptive: bool,
    period_start: Option<Instant>,
    /// A request waited for this lane in the current period: the rate, not the demand, was
    /// what held the requests back.
    waited: bool,
    throttled: bool,
    cut_at: Option<Instant>,
}

impl Lane {
    fn new(rate: f64, burst: f64, adaptive: bool) -> Lane {
        Lane {
            rate,
            burst,
            next: None,
            phase: Phase::SlowStart,
            adaptive,
            period_start: None,
            waited: false,
            throttled: false,
            cut_at: None,
        }
    }

    /// When the next request may go, reserving its slot.
    fn reserve(&mut self, now: Instant, ceiling: f64) -> Instant {
        self.tick(now, ceiling);
        let interval = Duration::from_secs_f64(1.0 / self.rate);
        let due = self.next.map_or(now, |next| next.max(now));
        let early = interval.mul_f64((self.burst - 1.0).max(0.0));
        let at = due.checked_sub(early).map_or(now, |at| at.max(now));
        self.next = Some(due + interval);
        if at > now {
            self.waited = true;
        }
        at
    }

    /// Ends the period when it is over, growing the rate when it held requests back cleanly.
    fn tick(&mut self, now: Instant, ceiling: f64) {
        let start = *self.period_start.get_or_insert(now);
        if now.saturating_duration_since(start) < GROWTH_PERIOD {
            return;
        }
        if self.adaptive && self.waited && !self.throttled {
            self.rate = match self.phase {
                Phase::SlowStart => self.rate * 2.0,
                Phase::Avoidance { step } => self.rate + step,
                Phase::Declared => self.rate,
            }
            .min(ceiling);
        }
        self.period_start = Some(now);
        self.waited = false;
        self.throttled = false;
    }

    /// Over how long the answers that measure what the server allowed are counted: in slow
    /// start only the last period, since the earlier ones were sent at lower rates.
    fn measure_window(&self) -> Duration {
        match self.phase {
            Phase::SlowStart => GROWTH_PERIOD,
            _ => RATE_WINDOW,
        }
    }

    /// Cuts the rate after a 429 of a request sent at `sent`, unless the rate was cut since
    /// (that answer tells of the old rate). `answered`: the rate answered lately, if any was
    /// (0: cut from the rate).
    fn cut(&mut self, sent: Instant, now: Instant, answered: f64) -> bool {
        self.throttled = true;
        if self.cut_at.is_some_and(|cut| sent < cut) || self.phase == Phase::Declared {
            return false;
        }
        let reached = if answered > 0.0 {
            self.rate.min(answered)
        } else {
            self.rate
        };
        self.rate = (reached * DECREASE).max(MIN_RATE);
        self.phase = Phase::Avoidance {
            step: self.rate * INCREASE,
        };
        self.cut_at = Some(now);
        true
    }

    /// The server's word: the rate its bucket refills at.
    fn declare(&mut self, rate: f64, ceiling: f64) {
        self.rate = rate.clamp(MIN_RATE, ceiling);
        self.phase = Phase::Declared;
    }
}

/// What the pacer knows of one route.
#[derive(Debug, Default)]
struct Route {
    /// The route's own limit, once it was throttled alone or declared one.
    lane: Option<Lane>,
    /// When it got its first own limit.
    limited_since: Option<Instant>,
    last_throttled: Option<Instant>,
    /// 429s of this route alone since `alone_since`, before it has a limit of its own.
    alone: u32,
    alone_since: Option<Instant>,
}

/// The pacing state of a client and its clones.
#[derive(Debug)]
pub(crate) struct Pacer {
    pacing: Pacing,
    ceiling: f64,
    max_in_flight: usize,
    /// All requests; unlimited (infinite) only when fixed without a rate.
    global: Option<Lane>,
    routes: HashMap<String, Route>,
    answered: Answers,
    in_flight: usize,
    /// Smoothed time from send to answer.
    latency: Option<Duration>,
}

impl Pacer {
    pub(crate) fn new(
        pacing: Pacing,
        requests_per_second: Option<NonZeroU32>,
        max_in_flight: usize,
    ) -> Pacer {
        let ceiling = requests_per_second.map_or(f64::INFINITY, |rps| f64::from(rps.get()));
        let global = match pacing {
            Pacing::Fixed => requests_per_second.map(|_| Lane::new(ceiling, ceiling, false)),
            Pacing::Adaptive => Some(Lane::new(INITIAL_RATE.min(ceiling), 1.0, true)),
        };
        Pacer {
            pacing,
            ceiling,
            max_in_flight: max_in_flight.max(1),
            global,
            routes: HashMap::new(),
            answered: Answers::default(),
            in_flight: 0,
            latency: None,
        }
    }

    /// When the next request of `route` may go as far as the route's own limit is concerned.
    /// Waiting for it holds no in-flight slot, so a throttled route holds back no other.
    pub(crate) fn reserve_route(&mut self, route: &str, now: Instant) -> Instant {
        let ceiling = self.ceiling;
        let Some(state) = self.routes.get_mut(route) else {
            return now;
        };
        let lapsed = state
            .last_throttled
            .is_none_or(|at| now.saturating_duration_since(at) > ROUTE_LIMIT_LIFETIME);
        if lapsed
            && state
                .lane
                .as_ref()
                .is_some_and(|lane| lane.phase != Phase::Declared)
        {
            state.lane = None;
            state.limited_since = None;
        }
        match &mut state.lane {
            Some(lane) => lane.reserve(now, ceiling),
            None => now,
        }
    }

    /// Takes an in-flight slot when fewer than [`Pacer::in_flight_target`] are taken.
    pub(crate) fn try_start(&mut self) -> bool {
        let free = self.in_flight < self.in_flight_target();
        if free {
            self.in_flight += 1;
        }
        free
    }

    /// Gives back an in-flight slot taken by [`Pacer::try_start`].
    pub(crate) fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// When a request holding a slot may be sent under the global rate.
    pub(crate) fn reserve_global(&mut self, now: Instant) -> Instant {
        let ceiling = self.ceiling;
        match &mut self.global {
            Some(lane) => lane.reserve(now, ceiling),
            None => now,
        }
    }

    /// Requests that may be in flight at once: all of them for a fixed rate; with adaptive
    /// pacing, enough to cover the latency at the current rate (twice over), once one is known.
    pub(crate) fn in_flight_target(&self) -> usize {
        let (Pacing::Adaptive, Some(latency), Some(lane)) =
            (self.pacing, self.latency, &self.global)
        else {
            return self.max_in_flight;
        };
        let needed = (2.0 * lane.rate * latency.as_secs_f64()).ceil();
        // A float to usize cast saturates; the clamp keeps it within the bound.
        (needed as usize).clamp(1, self.max_in_flight)
    }

    /// Learns from how the attempt of `route` sent at `sent` ended.
    pub(crate) fn observe(&mut self, route: &str, sent: Instant, now: Instant, outcome: Outcome) {
        if self.pacing == Pacing::Fixed {
            return;
        }
        let ceiling = self.ceiling;
        match outcome {
            Outcome::Nothing => {}
            Outcome::Answered(declared) => {
                let took = now.saturating_duration_since(sent);
                self.latency = Some(match self.latency {
                    Some(smoothed) => {
                        smoothed.mul_f64(1.0 - LATENCY_WEIGHT) + took.mul_f64(LATENCY_WEIGHT)
                    }
                    None => took,
                });
                self.answered.record(now);
                if let Some(declared) = declared {
                    let state = self.routes.entry(route.to_owned()).or_default();
                    declare(state, &declared, now, ceiling);
                }
            }
            Outcome::Throttled(declared) => self.throttled(route, sent, now, declared),
        }
    }

    fn throttled(
        &mut self,
        route: &str,
        sent: Instant,
        now: Instant,
        declared: Option<DeclaredLimit>,
    ) {
        let ceiling = self.ceiling;
        let recently = |at: Option<Instant>| recently_within(at, now, ATTRIBUTION_WINDOW);
        let others_throttled = self
            .routes
            .iter()
            .any(|(name, state)| name != route && recently(state.last_throttled));
        let global_window = self
            .global
            .as_ref()
            .map_or(RATE_WINDOW, Lane::measure_window);
        let all_answered = self.answered.rate(now, global_window);
        let state = self.routes.entry(route.to_owned()).or_default();
        state.last_throttled = Some(now);
        if let Some(declared) = declared {
            declare(state, &declared, now, ceiling);
        }
        if others_throttled {
            if let Some(global) = &mut self.global {
                global.cut(sent, now, all_answered);
            }
            for state in self.routes.values_mut() {
                if recently(state.limited_since) {
                    state.lane = None;
                    state.limited_since = None;
                }
            }
            return;
        }
        if state.lane.is_none() {
            // Throttled alone: the route's own limit once it happens again and again, since
            // under a global limit the next 429 soon falls on another route. Until then the
            // route's hold-off (`Retry-After`) is all that slows it.
            state.alone = if recently_within(state.alone_since, now, ROUTE_LIMIT_LIFETIME) {
                state.alone + 1
            } else {
                state.alone_since = Some(now);
                1
            };
            if state.alone < ALONE_TO_LIMIT {
                return;
            }
        }
        // From the global rate down, and by its own rate only: a route's answers are its share
        // of the traffic, and cutting to a share would starve a route that was throttled
        // alone only by chance under a global limit; a route limited on its own gets there
        // in a few cuts.
        let lane = state.lane.get_or_insert_with(|| {
            let global = self.global.as_ref().map_or(ceiling, |lane| lane.rate);
            Lane::new(global.min(ceiling), 1.0, true)
        });
        state.limited_since.get_or_insert(now);
        lane.cut(sent, now, 0.0);
    }

    /// The global rate now, when there is one.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.global.as_ref().map(|lane| lane.rate)
    }
}

/// Whether `at` is at most `window` before `now`.
fn recently_within(at: Option<Instant>, now: Instant, window: Duration) -> bool {
    at.is_some_and(|at| now.saturating_duration_since(at) <= window)
}

/// Gives `state` the limit its server declared, when the headers say enough.
fn declare(state: &mut Route, declared: &DeclaredLimit, now: Instant, ceiling: f64) {
    let Some(rate) = declared.refill_rate() else {
        return;
    };
    let lane = state.lane.get_or_insert_with(|| Lane::new(rate, 1.0, true));
    state.limited_since.get_or_insert(now);
    lane.declare(rate, ceiling);
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const USERS: &str = "GET /organization/users";
    const ROLES: &str = "GET /organization/users/{user_id}/roles";
    const LOGS: &str = "GET /organization/audit_logs";

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn adaptive(ceiling: Option<u32>) -> Pacer {
        Pacer::new(Pacing::Adaptive, ceiling.and_then(NonZeroU32::new), 64)
    }

    /// Sends `count` requests of `route` as fast as the pacer lets them go, each answered
    /// `latency` later by `answer`; returns when the last was sent.
    fn drive(
        pacer: &mut Pacer,
        route: &str,
        mut now: Instant,
        count: usize,
        latency: Duration,
        mut answer: impl FnMut(Instant) -> Outcome,
    ) -> Instant {
        for _ in 0..count {
            now = pacer.reserve_route(route, now).max(now);
            now = pacer.reserve_global(now).max(now);
            pacer.observe(route, now, now + latency, answer(now + latency));
        }
        now
    }

    #[test]
    fn a_fixed_rate_allows_a_burst_of_one_second_then_spaces_requests() {
        let mut pacer = Pacer::new(Pacing::Fixed, NonZeroU32::new(5), 8);
        let start = Instant::now();
        let sent: Vec<Instant> = (0..7).map(|_| pacer.reserve_global(start)).collect();
        assert!(sent[..5].iter().all(|&at| at == start));
        assert_eq!(sent[5] - start, ms(200));
        assert_eq!(sent[6] - start, ms(400));
        assert_eq!(pacer.in_flight_target(), 8);
        let mut unlimited = Pacer::new(Pacing::Fixed, None, 8);
        assert_eq!(unlimited.reserve_global(start), start);
        assert_eq!(unlimited.rate(), None);
    }

    #[test]
    fn slow_start_doubles_each_clean_period_up_to_the_ceiling() {
        let mut pacer = adaptive(Some(300));
        let start = Instant::now();
        assert_eq!(pacer.rate(), Some(INITIAL_RATE));
        let end = drive(&mut pacer, USERS, start, 200, ms(50), |_| {
            Outcome::Answered(None)
        });
        // 20, 40, 80, 160, then the ceiling: 200 requests in little more than a second.
        assert_eq!(pacer.rate(), Some(300.0));
        assert!(end - start < ms(1500), "{:?}", end - start);
    }

    #[test]
    fn a_rate_that_holds_nothing_back_does_not_grow() {
        let mut pacer = adaptive(None);
        let mut now = Instant::now();
        for _ in 0..20 {
            // One request a second: the rate of 20 never makes one wait.
            now += Duration::from_secs(1);
            now = drive(&mut pacer, USERS, now, 1, ms(50), |_| {
                Outcome::Answered(None)
            });
        }
        assert_eq!(pacer.rate(), Some(INITIAL_RATE));
    }

    /// A token bucket of `rate` with a burst of `rate`, as the simulator keeps.
    fn bucket(rate: f64) -> impl FnMut(Instant) -> Outcome {
        let mut tokens = rate;
        let mut last: Option<Instant> = None;
        move |now| {
            let since = last.map_or(Duration::ZERO, |last| now.saturating_duration_since(last));
            last = Some(now);
            tokens = (tokens + since.as_secs_f64() * rate).min(rate);
            if tokens >= 1.0 {
                tokens -= 1.0;
                Outcome::Answered(None)
            } else {
                Outcome::Throttled(None)
            }
        }
    }

    #[test]
    fn a_global_limit_is_found_within_a_few_percent_of_429s() {
        let mut pacer = adaptive(None);
        let start = Instant::now();
        let mut server = bucket(100.0);
        let mut throttled = 0;
        let routes = [USERS, ROLES];
        let mut now = start;
        for n in 0..6000 {
            let route = routes[n % 2];
            now = drive(&mut pacer, route, now, 1, ms(50), |at| {
                let outcome = server(at);
                if matches!(outcome, Outcome::Throttled(_)) {
                    throttled += 1;
                }
                outcome
            });
        }
        let seconds = (now - start).as_secs_f64();
        assert!(throttled * 100 <= 6000 * 3, "{throttled} 429s");
        // The bound is 59 s (6,000 requests, less the first second's burst, at 100/s).
        assert!(seconds <= 60.0 * 1.15, "{seconds} s");
        assert!(pacer.rate().is_some_and(|rate| rate >= 70.0));
    }

    #[test]
    fn a_route_throttled_alone_gets_its_own_rate_and_the_others_keep_theirs() {
        let mut pacer = adaptive(Some(100));
        let start = Instant::now();
        let mut roles = bucket(10.0);
        let mut now = start;
        // The next request of the throttled route waits for its slot while the others go on,
        // as callers do; one request in four would be of it.
        let mut roles_due = start;
        let mut roles_sent = 0;
        for n in 0..4000 {
            let route = if n % 4 == 0 && roles_due <= now {
                ROLES
            } else {
                USERS
            };
            now = pacer.reserve_global(now).max(now);
            let outcome = if route == ROLES {
                roles_sent += 1;
                roles(now)
            } else {
                Outcome::Answered(None)
            };
            pacer.observe(route, now, now + ms(50), outcome);
            if route == ROLES {
                roles_due = pacer.reserve_route(ROLES, now);
            }
        }
        let seconds = (now - start).as_secs_f64();
        assert_eq!(pacer.rate(), Some(100.0), "the global rate was not cut");
        // 4,000 requests at 100/s, less the slow start.
        assert!(seconds < 42.0, "{seconds} s");
        let own = pacer.routes[ROLES]
            .lane
            .as_ref()
            .expect("the route's own lane");
        assert!(own.rate <= 12.0, "{}", own.rate);
        assert!(
            pacer
                .routes
                .get(USERS)
                .is_none_or(|route| route.lane.is_none())
        );
        assert!(roles_sent > 200, "{roles_sent}");
    }

    #[test]
    fn answers_of_the_old_rate_cut_it_once() {
        let mut pacer = adaptive(None);
        let start = Instant::now();
        let end = drive(&mut pacer, USERS, start, 40, ms(50), |_| {
            Outcome::Answered(None)
        });
        let before = pacer.rate().unwrap();
        let sent = end + ms(10);
        pacer.observe(USERS, sent, sent + ms(50), Outcome::Throttled(None));
        assert_eq!(pacer.rate(), Some(before), "one route alone, once: no cut");
        pacer.observe(ROLES, sent, sent + ms(55), Outcome::Throttled(None));
        let once = pacer.rate().unwrap();
        assert!(once < before, "{once}");
        // Sent before the cut: the same overshoot, no second cut.
        pacer.observe(ROLES, sent, sent + ms(60), Outcome::Throttled(None));
        assert_eq!(pacer.rate(), Some(once));
        let later = sent + ms(200);
        pacer.observe(USERS, later, later + ms(50), Outcome::Throttled(None));
        assert!(pacer.rate().unwrap() < once);
        assert!(pacer.routes.values().all(|route| route.lane.is_none()));
    }

    #[test]
    fn a_second_route_throttled_moves_the_limit_to_the_global_rate() {
        let mut pacer = adaptive(None);
        let start = Instant::now();
        let end = drive(&mut pacer, LOGS, start, 90, ms(20), |_| {
            Outcome::Answered(None)
        });
        drive(&mut pacer, USERS, end, 10, ms(20), |_| {
            Outcome::Answered(None)
        });
        let before = pacer.rate().unwrap();
        let mut now = end;
        for _ in 0..ALONE_TO_LIMIT {
            now += ms(100);
            pacer.observe(USERS, now, now + ms(20), Outcome::Throttled(None));
        }
        assert!(
            pacer.routes[USERS].lane.is_some(),
            "throttled alone: a limit of its own"
        );
        assert_eq!(pacer.rate(), Some(before));
        let now = now + ms(100);
        pacer.observe(ROLES, now, now + ms(20), Outcome::Throttled(None));
        assert!(pacer.rate().unwrap() < before);
        assert!(
            pacer.routes[USERS].lane.is_none(),
            "the mistaken route limit stays"
        );
    }

    #[test]
    fn declared_limits_set_the_route_rate() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-ratelimit-limit-requests", "600"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "1m0s"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let declared = DeclaredLimit::from_headers(&headers).expect("parsed");
        assert_eq!(declared.reset, Duration::from_secs(60));
        let mut pacer = adaptive(None);
        let now = Instant::now();
        pacer.observe(USERS, now, now, Outcome::Answered(Some(declared)));
        let lane = pacer.routes[USERS].lane.as_ref().expect("declared lane");
        assert_eq!(lane.rate, 10.0);
        assert_eq!(pacer.reserve_route(USERS, now), now);
        assert_eq!(pacer.reserve_route(USERS, now), now + ms(100));
        assert_eq!(pacer.reserve_route(ROLES, now), now);
        // A bucket barely used says nothing of its rate.
        let fresh = DeclaredLimit {
            remaining: 590,
            ..declared
        };
        assert_eq!(fresh.refill_rate(), None);
        assert_eq!(parse_reset("20ms"), Some(ms(20)));
        assert_eq!(
            parse_reset("1h2m3.5s"),
            Some(Duration::from_secs_f64(3723.5))
        );
        assert_eq!(parse_reset("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("5x"), None);
    }

    #[test]
    fn in_flight_follows_latency_within_its_bound() {
        let mut pacer = adaptive(None);
        let now = Instant::now();
        assert_eq!(pacer.in_flight_target(), 64, "no latency known yet");
        pacer.observe(USERS, now, now + ms(100), Outcome::Answered(None));
        // 20 requests/s for 100 ms, twice over.
        assert_eq!(pacer.in_flight_target(), 4);
        let taken = (0..10).filter(|_| pacer.try_start()).count();
        assert_eq!(taken, 4);
        pacer.release();
        assert!(pacer.try_start());
        pacer.observe(
            USERS,
            now,
            now + Duration::from_secs(100),
            Outcome::Answered(None),
        );
        assert_eq!(pacer.in_flight_target(), 64, "bounded by max_concurrency");
    }
}
