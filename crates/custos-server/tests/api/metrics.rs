//! `GET /metrics` in the Prometheus text format, read by a strict parser: every sample belongs
//! to a family declared with HELP and TYPE before it, labels are well quoted, values numbers.

use crate::common::Fixture;
use std::collections::BTreeMap;

/// One sample: the metric name, its labels, its value.
type Sample = (String, BTreeMap<String, String>, f64);

fn parse(text: &str) -> Vec<Sample> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = Vec::new();
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = format!("line {}: {line:?}", number + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect(&at);
            assert!(!help.is_empty(), "{at}");
            helped.push(name.to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(&at);
            assert!(["counter", "gauge"].contains(&kind), "{at}");
            assert!(helped.contains(&name.to_owned()), "{at}: TYPE before HELP");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{at}: declared twice"
            );
        } else {
            let (series, value) = line.rsplit_once(' ').expect(&at);
            let value: f64 = value.parse().expect(&at);
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, labels(rest.strip_suffix('}').expect(&at), &at)),
                None => (series, BTreeMap::new()),
            };
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "{at}"
            );
            assert!(types.contains_key(name), "{at}: no TYPE for {name}");
            samples.push((name.to_owned(), labels, value));
        }
    }
    samples
}

/// `a="x",b="y\"z"` with the format's escapes.
fn labels(text: &str, at: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect(at);
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect(at) {
                (i, '"') => break i,
                (_, '\\') => match chars.next().expect(at).1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    other => panic!("{at}: bad escape \\{other}"),
                },
                (_, c) => value.push(c),
            }
        };
        assert!(labels.insert(name.to_owned(), value).is_none(), "{at}");
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_and_count_findings_scans_and_requests() {
    let fixture = Fixture::start("metrics", "jitter = 0").await;
    fixture.wait_for_scans(1).await;
    assert_eq!(fixture.get("/metrics", None).await.status(), 401);
    let answer = fixture.get("/metrics", Some(&fixture.tokens.viewer)).await;
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let samples = parse(&answer.text().await.unwrap());
    let sum = |name: &str, org: &str| -> f64 {
        samples
            .iter()
            .filter(|(n, l, _)| n == name && l.get("org").map(String::as_str) == Some(org))
            .map(|(_, _, v)| v)
            .sum()
    };
    let stored = fixture.store.findings(None).await.unwrap();
    for org in &fixture.orgs {
        let open = stored
            .iter()
            .filter(|f| &f.org_id == org && f.status == custos_store::FindingStatus::Open)
            .count();
        assert_eq!(sum("custos_open_findings", org), open as f64, "{org}");
        assert!(sum("custos_scans_total", org) >= 1.0, "{org}");
        assert!(sum("custos_scan_requests_total", org) > 10.0, "{org}");
        assert!(sum("custos_scan_duration_seconds", org) > 0.0, "{org}");
        assert!(
            sum("custos_last_complete_scan_timestamp_seconds", org) > 1.7e9,
            "{org}"
        );
    }
    assert!(
        samples
            .iter()
            .any(|(n, l, _)| n == "custos_http_requests_total"
                && l["route"] == "/metrics"
                && l["status"] == "401")
    );
    fixture.shut_down().await.unwrap();
}

#[test]
fn the_parser_is_strict() {
    assert_eq!(
        parse("# HELP a x\n# TYPE a gauge\na{b=\"c\\\"d\"} 1.5\n")[0].1["b"],
        "c\"d"
    );
    for bad in [
        "a 1\n",
        "# HELP a x\n# TYPE a gauge\na{b=\"c} 1\n",
        "# HELP a x\n# TYPE a gauge\na one\n",
        "# TYPE a gauge\n",
    ] {
        assert!(std::panic::catch_unwind(|| parse(bad)).is_err(), "{bad:?}");
    }
}
