//! The store suite on SQLite files, plus what only a file can go through.

mod suite;

use custos_store::Error;
use std::path::PathBuf;

/// A fresh database file in its own temporary directory.
struct Sqlite {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl suite::Backend for Sqlite {
    fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    async fn exec_raw(&self, sql: &str) -> Result<(), String> {
        let conn = rusqlite::Connection::open(&self.path).map_err(|e| e.to_string())?;
        conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn dialect(&self) -> &'static str {
        "sqlite"
    }
}

async fn backend(_test: &str) -> Option<Sqlite> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("custos.db");
    Some(Sqlite { _dir: dir, path })
}

store_suite!(backend);

#[tokio::test]
async fn corrupt_file_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custos.db");
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();

    let err = custos_store::open(path.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not a custos database (file is not a database): restore a backup or point --db elsewhere",
            path.display()
        )
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file is untouched"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["custos.db"], "no WAL or journal was created");
}

#[tokio::test]
async fn foreign_database_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let err = custos_store::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignDatabase { .. }), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "nothing was added to someone else's database");
}

#[tokio::test]
async fn file_is_in_wal_mode_with_a_schema_version() {
    let b = backend("wal").await.unwrap();
    drop(custos_store::open(b.path.to_str().unwrap()).await.unwrap());
    let conn = rusqlite::Connection::open(&b.path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, custos_store::SCHEMA_VERSION);
    // Opening again migrates nothing.
    drop(custos_store::open(b.path.to_str().unwrap()).await.unwrap());
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, custos_store::SCHEMA_VERSION);
}

#[tokio::test]
async fn missing_directory_is_a_clear_error() {
    let err = custos_store::open("/nonexistent-dir-custos/x/custos.db")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot open /nonexistent-dir-custos/x/custos.db:"),
        "{err}"
    );
}

#[tokio::test]
async fn in_memory_store_works() {
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let scan = store.begin_scan("org-1", 1).await.unwrap();
    store
        .finish_scan(scan, 2, custos_store::ScanStatus::Complete)
        .await
        .unwrap();
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, scan);
    assert_eq!(store.backend(), "sqlite");
}
