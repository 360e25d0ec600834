//! The store suite on PostgreSQL, each test in a schema of its own.
//!
//! `CUSTOS_TEST_POSTGRES_URL` names the database (default below). When it cannot be reached the
//! tests print a skip line and pass, unless `CI` is set: then they fail, so that CI cannot go
//! green without having run them. `ci-postgres.sh` sets up a local server.

mod suite;

use custos_store::Error;
use std::io::Write as _;

const DEFAULT_URL: &str = "postgres://custos:custos@127.0.0.1:5432/custos_test";

struct Postgres {
    url: String,
}

impl suite::Backend for Postgres {
    fn url(&self) -> String {
        self.url.clone()
    }

    async fn exec_raw(&self, sql: &str) -> Result<(), String> {
        let client = connect(&self.url).await.map_err(|e| e.to_string())?;
        client
            .batch_execute(sql)
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            })
    }

    fn dialect(&self) -> &'static str {
        "postgres"
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn base_url() -> String {
    std::env::var("CUSTOS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A fresh schema named after the test (dropped first if a previous run left it), and a URL
/// whose search path selects it. None (skip) when PostgreSQL is unreachable outside CI.
async fn backend(test: &str) -> Option<Postgres> {
    let base = base_url();
    let client = match connect(&base).await {
        Ok(client) => client,
        Err(e) => {
            let why = suite::chain(&e);
            if std::env::var_os("CI").is_some() {
                panic!(
                    "PostgreSQL is unreachable ({why}) and CI is set: run crates/custos-store/ci-postgres.sh"
                );
            }
            // Written to the process's stderr rather than with eprintln!, which the test
            // harness captures and hides for passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: PostgreSQL is unreachable ({why}); set CUSTOS_TEST_POSTGRES_URL or run crates/custos-store/ci-postgres.sh"
            );
            return None;
        }
    };
    let schema = format!("custos_test_{test}");
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
        ))
        .await
        .expect("create the test schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(Postgres {
        url: format!("{base}{separator}options=-c%20search_path%3D{schema}"),
    })
}

store_suite!(backend);

#[tokio::test]
async fn unreachable_server_error_hides_the_password() {
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    let err = custos_store::open("postgres://custos:hunter2-secret@127.0.0.1:1/custos")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Unreachable { .. }), "{message}");
    assert!(message.contains("Connection refused"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.starts_with(
            "cannot connect to PostgreSQL at postgres://custos:***@127.0.0.1:1/custos"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn stores_in_two_schemas_are_separate() {
    let (Some(a), Some(b)) = (backend("separate_a").await, backend("separate_b").await) else {
        return;
    };
    let (a, b) = (
        custos_store::open(&a.url).await.unwrap(),
        custos_store::open(&b.url).await.unwrap(),
    );
    a.upsert_organization("org-a", None).await.unwrap();
    assert!(b.organizations().await.unwrap().is_empty());
    assert_eq!(a.backend(), "postgres");
}
