//! What one relay lets in at once: connections in all, per client address and per target, and
//! connection attempts per client address per second. Counted here; a slot is given back when
//! its [`Slot`] is dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The limits an operator sets (all configurable; see `--help`).
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub max_connections_per_target: usize,
    pub attempts_per_ip_per_second: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 10_000,
            max_connections_per_ip: 256,
            max_connections_per_target: 2_000,
            attempts_per_ip_per_second: 50,
        }
    }
}

#[derive(Default, Debug)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    per_target: HashMap<String, usize>,
    /// Attempts in the current second, per address.
    attempts: HashMap<IpAddr, (u64, u32)>,
}

/// The counts of one relay.
#[derive(Clone, Default, Debug)]
pub struct Gate {
    counts: Arc<Mutex<Counts>>,
    started: Option<Instant>,
}

/// Why a connection was not let in: its HTTP status and reason.
#[derive(Debug, PartialEq)]
pub struct Full {
    pub status: u16,
    pub reason: String,
}

/// A connection let in: dropping it gives its place back.
#[derive(Debug)]
pub struct Slot {
    gate: Gate,
    ip: IpAddr,
    target: String,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            counts: Arc::default(),
            started: Some(Instant::now()),
        }
    }

    fn second(&self) -> u64 {
        self.started.map_or(0, |s| s.elapsed().as_secs())
    }

    /// Counts an attempt from `ip` (refused beyond the rate, with 429).
    pub fn attempt(&self, limits: &Limits, ip: IpAddr) -> Result<(), Full> {
        let now = self.second();
        let mut c = self.counts.lock().unwrap();
        c.attempts.retain(|_, (second, _)| *second == now);
        let (_, n) = c.attempts.entry(ip).or_insert((now, 0));
        *n += 1;
        if *n > limits.attempts_per_ip_per_second {
            return Err(Full {
                status: 429,
                reason: format!(
                    "relay refused the connection: more than {} attempts a second from this address",
                    limits.attempts_per_ip_per_second
                ),
            });
        }
        Ok(())
    }

    /// A place for a connection from `ip` to `target`, if the limits leave one: 503 when the
    /// relay or the target is full, 429 when this address has as many as it may.
    pub fn enter(&self, limits: &Limits, ip: IpAddr, target: &str) -> Result<Slot, Full> {
        let mut c = self.counts.lock().unwrap();
        let full = |status, what: String| {
            Err(Full {
                status,
                reason: format!("relay refused the connection: {what}"),
            })
        };
        if c.total >= limits.max_connections {
            return full(
                503,
                format!(
                    "it holds its maximum of {} connections",
                    limits.max_connections
                ),
            );
        }
        if c.per_target.get(target).copied().unwrap_or(0) >= limits.max_connections_per_target {
            return full(
                503,
                format!(
                    "target {target:?} has its maximum of {} connections",
                    limits.max_connections_per_target
                ),
            );
        }
        if c.per_ip.get(&ip).copied().unwrap_or(0) >= limits.max_connections_per_ip {
            return full(
                429,
                format!(
                    "this address has its maximum of {} connections",
                    limits.max_connections_per_ip
                ),
            );
        }
        c.total += 1;
        *c.per_ip.entry(ip).or_default() += 1;
        *c.per_target.entry(target.to_string()).or_default() += 1;
        Ok(Slot {
            gate: self.clone(),
            ip,
            target: target.to_string(),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts.lock().unwrap().total
    }
}

/// One less of `key` (forgotten at zero, so a map holds only what is open).
fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.gate.counts.lock().unwrap();
        c.total -= 1;
        release(&mut c.per_ip, &self.ip);
        release(&mut c.per_target, &self.target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_and_given_back() {
        let limits = Limits {
            max_connections: 3,
            max_connections_per_ip: 2,
            max_connections_per_target: 2,
            attempts_per_ip_per_second: 3,
        };
        let gate = Gate::new();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let s1 = gate.enter(&limits, a, "pg").unwrap();
        let _s2 = gate.enter(&limits, a, "ig").unwrap();
        assert_eq!(
            gate.enter(&limits, a, "x").unwrap_err().status,
            429,
            "per address"
        );
        let _s3 = gate.enter(&limits, b, "pg").unwrap();
        assert_eq!(
            gate.enter(&limits, b, "x").unwrap_err().status,
            503,
            "in all"
        );
        drop(s1);
        assert_eq!(gate.open(), 2);
        let _s4 = gate.enter(&limits, b, "ig").unwrap();
        let per_target = Limits {
            max_connections: 100,
            max_connections_per_target: 1,
            ..limits.clone()
        };
        let other = Gate::new();
        let _t = other.enter(&per_target, a, "pg").unwrap();
        assert_eq!(
            other.enter(&per_target, b, "pg").unwrap_err().status,
            503,
            "per target"
        );
        for _ in 0..3 {
            gate.attempt(&limits, a).unwrap();
        }
        assert_eq!(gate.attempt(&limits, a).unwrap_err().status, 429);
        gate.attempt(&limits, b).unwrap();
    }
}
