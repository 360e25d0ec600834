//! `GET /api/v1/findings`: its pages, joined, are the application layer's list (what
//! `custos findings --format json` prints), element for element.

use crate::common::{Fixture, config};
use custos_app::findings::{FindingsQuery, StatusFilter, list_findings};
use serde_json::Value;

/// Every page of `path`, following the `Link` headers; the elements joined, and how many pages.
async fn all_pages(fixture: &Fixture, path: &str) -> (Vec<Value>, usize) {
    let mut next = Some(path.to_owned());
    let mut elements = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let response = fixture.get(&path, Some(&fixture.tokens.viewer)).await;
        assert_eq!(response.status(), 200, "{path}");
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            link[1..link.find('>').unwrap()].to_owned()
        });
        let page: Vec<Value> = response.json().await.unwrap();
        assert!(!page.is_empty(), "a page with a next link is never empty");
        elements.extend(page);
        pages += 1;
    }
    (elements, pages)
}

async fn expected(fixture: &Fixture, query: &FindingsQuery) -> Vec<Value> {
    let config = config(&fixture.config_text);
    let list = list_findings(&config, fixture.store.as_ref(), query)
        .await
        .unwrap();
    list.findings
        .iter()
        .map(|f| serde_json::to_value(f).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_of_findings_joined_are_the_cli_list_element_for_element() {
    let fixture = Fixture::start("findings", "jitter = 0").await;
    fixture.wait_for_scans(1).await;
    let all = FindingsQuery {
        orgs: Vec::new(),
        as_of: None,
        min_severity: None,
        policies: Vec::new(),
        project: None,
        status: StatusFilter::Open,
    };
    let want = expected(&fixture, &all).await;
    assert!(
        want.len() > 6,
        "the generated organizations have findings: {}",
        want.len()
    );
    let orgs: std::collections::BTreeSet<&str> =
        want.iter().map(|f| f["org_id"].as_str().unwrap()).collect();
    assert_eq!(orgs.len(), 2, "both organizations were scanned on start");

    let (pages, count) = all_pages(&fixture, "/api/v1/findings?limit=3").await;
    assert_eq!(pages, want);
    assert_eq!(count, want.len().div_ceil(3));
    let (single, count) = all_pages(&fixture, "/api/v1/findings").await;
    assert_eq!((single, count), (want.clone(), 1));

    // Filters and an evaluation at another time are the CLI's too.
    let filtered = FindingsQuery {
        orgs: vec![fixture.orgs[1].clone()],
        as_of: Some(1_800_000_000),
        min_severity: Some(custos_policy::Severity::Medium),
        status: StatusFilter::All,
        ..all.clone()
    };
    let want = expected(&fixture, &filtered).await;
    assert!(!want.is_empty());
    let path = format!(
        "/api/v1/findings?org={}&as_of=2027-01-15T08:00:00Z&severity=medium&status=all&limit=3",
        fixture.orgs[1]
    );
    assert_eq!(all_pages(&fixture, &path).await.0, want);

    // The other formats hold the same findings, each page a whole document.
    let ocsf: Vec<Value> = fixture
        .get(
            "/api/v1/findings?format=ocsf&limit=5",
            Some(&fixture.tokens.viewer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ocsf.len(), 5);
    assert_eq!(ocsf[0]["class_uid"], 2003);
    let csv = fixture
        .get("/api/v1/findings?format=csv", Some(&fixture.tokens.viewer))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    assert!(text.starts_with(
        "severity,policy,result,status,org,resource,project,message,first seen,last seen\n"
    ));
    let sarif: Value = fixture
        .get(
            "/api/v1/findings?format=sarif&limit=2",
            Some(&fixture.tokens.viewer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    fixture.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_suppresses_and_lifts_a_finding_by_its_id() {
    let fixture = Fixture::start("suppress", "jitter = 0").await;
    fixture.wait_for_scans(1).await;
    let ocsf: Vec<Value> = fixture
        .get(
            "/api/v1/findings?format=ocsf&limit=1",
            Some(&fixture.tokens.viewer),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = ocsf[0]["finding_info"]["uid"].as_str().unwrap().to_owned();
    let open = all_pages(&fixture, "/api/v1/findings").await.0.len();

    let path = format!("/api/v1/findings/{id}/suppress");
    let answer = fixture
        .post(
            &path,
            Some(&fixture.tokens.operator),
            r#"{"reason":"accepted risk"}"#,
        )
        .await;
    assert_eq!(answer.status(), 204);
    assert_eq!(
        all_pages(&fixture, "/api/v1/findings").await.0.len(),
        open - 1
    );
    let suppressed = all_pages(&fixture, "/api/v1/findings?status=suppressed")
        .await
        .0;
    assert_eq!(suppressed.len(), 1);
    let stored = fixture.store.findings(None).await.unwrap();
    let finding = stored
        .iter()
        .find(|f| f.status == custos_store::FindingStatus::Suppressed)
        .unwrap();
    assert_eq!(finding.suppression.as_ref().unwrap().author, "oscar");

    let past = fixture
        .post(
            &path,
            Some(&fixture.tokens.operator),
            r#"{"reason":"x","until":"2020-01-01"}"#,
        )
        .await;
    assert_eq!(past.status(), 400);
    let problem: Value = past.json().await.unwrap();
    assert_eq!(problem["parameter"], "until");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("is in the past"),
        "{problem}"
    );

    let lifted = fixture
        .post(
            &format!("/api/v1/findings/{id}/unsuppress"),
            Some(&fixture.tokens.operator),
            "",
        )
        .await;
    assert_eq!(lifted.status(), 204);
    assert_eq!(all_pages(&fixture, "/api/v1/findings").await.0.len(), open);
    let unknown = fixture
        .post(
            "/api/v1/findings/0123/unsuppress",
            Some(&fixture.tokens.operator),
            "",
        )
        .await;
    assert_eq!(unknown.status(), 404);
    fixture.shut_down().await.unwrap();
}
