//! `/metrics` in Prometheus' text format: connections opened, active and refused (by target and
//! reason), bytes each way by target, backend connect latency, forwarded requests by status.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the connect latency histogram.
const BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    opened: BTreeMap<String, u64>,
    active: BTreeMap<String, i64>,
    refused: BTreeMap<(String, &'static str), u64>,
    bytes_up: BTreeMap<String, u64>,
    bytes_down: BTreeMap<String, u64>,
    connect: BTreeMap<String, Histogram>,
    http: BTreeMap<(String, u16), u64>,
    /// TLS handshakes that failed: with clients (None) or with a target's backend.
    tls_failures: BTreeMap<Option<String>, u64>,
}

#[derive(Default)]
pub struct Metrics(Mutex<Counters>);

impl Metrics {
    /// A connection to `target` refused for `reason` (target, origin, token, limit, ...).
    pub fn refused(&self, target: &str, reason: &'static str) {
        *self
            .0
            .lock()
            .unwrap()
            .refused
            .entry((target.into(), reason))
            .or_default() += 1;
    }

    /// A backend connection made after `took`.
    pub fn opened(&self, target: &str, took: Duration) {
        let mut c = self.0.lock().unwrap();
        *c.opened.entry(target.into()).or_default() += 1;
        *c.active.entry(target.into()).or_default() += 1;
        let h = c.connect.entry(target.into()).or_default();
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// A connection to `target` ended after carrying these bytes.
    pub fn closed(&self, target: &str, up: u64, down: u64) {
        let mut c = self.0.lock().unwrap();
        *c.active.entry(target.into()).or_default() -= 1;
        *c.bytes_up.entry(target.into()).or_default() += up;
        *c.bytes_down.entry(target.into()).or_default() += down;
    }

    /// A forwarded HTTP request and the status it got.
    pub fn http(&self, target: &str, status: u16) {
        *self
            .0
            .lock()
            .unwrap()
            .http
            .entry((target.into(), status))
            .or_default() += 1;
    }

    /// A TLS handshake that failed: a client's (None) or one with a target's backend.
    pub fn tls_failed(&self, target: Option<&str>) {
        *self
            .0
            .lock()
            .unwrap()
            .tls_failures
            .entry(target.map(str::to_string))
            .or_default() += 1;
    }

    /// Everything, in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let c = self.0.lock().unwrap();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in rows {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let by_target = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(t, v)| (format!("{{target=\"{t}\"}}"), v.to_string()))
                .collect()
        };
        family(
            "webdbc_relay_connections_opened_total",
            "counter",
            "WebSocket connections whose backend connection was made.",
            by_target(&c.opened),
        );
        family(
            "webdbc_relay_connections_active",
            "gauge",
            "WebSocket connections open now.",
            c.active
                .iter()
                .map(|(t, v)| (format!("{{target=\"{t}\"}}"), v.to_string()))
                .collect(),
        );
        family(
            "webdbc_relay_connections_refused_total",
            "counter",
            "Connections and requests refused, by reason.",
            c.refused
                .iter()
                .map(|((t, r), v)| (format!("{{target=\"{t}\",reason=\"{r}\"}}"), v.to_string()))
                .collect(),
        );
        family(
            "webdbc_relay_bytes_up_total",
            "counter",
            "Bytes from clients to backends.",
            by_target(&c.bytes_up),
        );
        family(
            "webdbc_relay_bytes_down_total",
            "counter",
            "Bytes from backends to clients.",
            by_target(&c.bytes_down),
        );
        let mut rows = Vec::new();
        for (t, h) in &c.connect {
            for (i, bound) in BUCKETS.iter().enumerate() {
                rows.push((
                    format!("_bucket{{target=\"{t}\",le=\"{bound}\"}}"),
                    h.counts[i].to_string(),
                ));
            }
            rows.push((
                format!("_bucket{{target=\"{t}\",le=\"+Inf\"}}"),
                h.count.to_string(),
            ));
            rows.push((format!("_sum{{target=\"{t}\"}}"), h.sum.to_string()));
            rows.push((format!("_count{{target=\"{t}\"}}"), h.count.to_string()));
        }
        family(
            "webdbc_relay_backend_connect_seconds",
            "histogram",
            "Time to connect to a backend.",
            rows,
        );
        family(
            "webdbc_relay_http_requests_total",
            "counter",
            "Forwarded HTTP requests, by the status they got.",
            c.http
                .iter()
                .map(|((t, s), v)| (format!("{{target=\"{t}\",status=\"{s}\"}}"), v.to_string()))
                .collect(),
        );
        family(
            "webdbc_relay_tls_handshake_failures_total",
            "counter",
            "TLS handshakes that failed, with clients or with a target.",
            c.tls_failures
                .iter()
                .map(|(t, v)| match t {
                    None => ("{side=\"client\"}".to_string(), v.to_string()),
                    Some(t) => (
                        format!("{{side=\"backend\",target=\"{t}\"}}"),
                        v.to_string(),
                    ),
                })
                .collect(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.opened("pg", Duration::from_millis(3));
        m.closed("pg", 10, 20);
        m.refused("pg", "token");
        m.http("crate", 200);
        m.tls_failed(None);
        m.tls_failed(Some("pg"));
        let text = m.render();
        for line in [
            "webdbc_relay_connections_opened_total{target=\"pg\"} 1",
            "webdbc_relay_connections_active{target=\"pg\"} 0",
            "webdbc_relay_connections_refused_total{target=\"pg\",reason=\"token\"} 1",
            "webdbc_relay_bytes_down_total{target=\"pg\"} 20",
            "webdbc_relay_backend_connect_seconds_bucket{target=\"pg\",le=\"0.001\"} 0",
            "webdbc_relay_backend_connect_seconds_bucket{target=\"pg\",le=\"0.005\"} 1",
            "webdbc_relay_http_requests_total{target=\"crate\",status=\"200\"} 1",
            "webdbc_relay_tls_handshake_failures_total{side=\"client\"} 1",
            "webdbc_relay_tls_handshake_failures_total{side=\"backend\",target=\"pg\"} 1",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
