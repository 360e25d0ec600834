//! What the binary's behaviour tests share: the binary with a clean environment, a fresh
//! folder, the simulator serving the demo organization, and a fresh PostgreSQL schema.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The binary, without the environment variables that would point it at the developer's store,
/// config, master key or crash hook.
pub fn custos() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custos"));
    command
        .env_remove("CUSTOS_DB")
        .env_remove("CUSTOS_CONFIG")
        .env_remove("CUSTOS_MASTER_KEY")
        .env_remove("CUSTOS_MASTER_KEY_FILE")
        .env_remove("CUSTOS_CRASH_AT");
    command
}

/// An empty folder of its own for `suite`/`name` in this process.
pub fn temp_dir(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custos-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `custos sim serve` (on the demo organization unless told a scenario), killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
}

impl Sim {
    pub fn start() -> Sim {
        Sim::serving(None)
    }

    /// `custos sim serve --scenario FILE`; the demo organization without a file.
    pub fn serving(scenario: Option<&Path>) -> Sim {
        let mut command = custos();
        command.args(["sim", "serve"]);
        if let Some(path) = scenario {
            command.arg("--scenario").arg(path);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the simulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the URL line");
        Sim {
            child,
            url: line.trim().to_owned(),
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL schema for `name` and a URL that selects it; None (skip) when the test
/// server (`crates/custos-store/ci-postgres.sh`) is unreachable, unless CI is set.
pub fn postgres_schema(name: &str) -> Option<String> {
    let base = std::env::var("CUSTOS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://custos:custos@127.0.0.1:5432/custos_test".to_owned());
    let schema = format!("custos_cli_{name}_{}", std::process::id());
    let created = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
            ))
            .await
    });
    if let Err(e) = created {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL is unreachable ({e}) and CI is set"
        );
        eprintln!("SKIP {name}: PostgreSQL is unreachable ({e})");
        return None;
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}
