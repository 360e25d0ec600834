//! The store suite on SQLite files, plus what only a file can go through.

mod suite;

use custos_store::Error;
use std::path::PathBuf;
use suite::Backend as _;

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
    let store = custos_store::open(b.path.to_str().unwrap()).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        custos_store::SCHEMA_VERSION
    );
    drop(store);
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
        .unwrap_err();
    // The message names the file; its cause follows in the error's chain, printed once.
    let text = suite::chain(&err);
    assert!(
        text.starts_with("cannot open /nonexistent-dir-custos/x/custos.db") && text.contains(": "),
        "{text}"
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

/// The names in a directory, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_store_and_its_wal_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let b = backend("private").await.unwrap();
    let store = custos_store::open(b.path.to_str().unwrap()).await.unwrap();
    // A write while open: the -wal and -shm files exist now.
    store.upsert_organization("org-1", None).await.unwrap();
    let lock = store.lock_organization("org-1", "the test").await.unwrap();
    let dir = b.path.parent().unwrap();
    let files = names(dir);
    assert!(
        files.len() >= 4,
        "the store, its -wal, -shm and a lock file: {files:?}"
    );
    for name in &files {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
    }
    lock.release().await.unwrap();
}

/// A store for reading: a finished scan, the store closed (so its -wal is checkpointed away).
async fn finished_store(b: &Sqlite) -> i64 {
    let store = custos_store::open(b.path.to_str().unwrap()).await.unwrap();
    let scan = store.begin_scan("org-1", 10).await.unwrap();
    store
        .put_objects(
            scan,
            &[custos_store::ObjectRecord {
                kind: "user".into(),
                id: "u1".into(),
                project_id: None,
                data: serde_json::json!({"id": "u1"}),
            }],
        )
        .await
        .unwrap();
    store
        .finish_scan(scan, 20, custos_store::ScanStatus::Complete)
        .await
        .unwrap();
    scan
}

#[tokio::test]
async fn a_read_only_open_reads_and_writes_nothing() {
    let b = backend("read_only").await.unwrap();
    let scan = finished_store(&b).await;
    let dir = b.path.parent().unwrap().to_owned();
    let files_before = names(&dir);
    let bytes_before = std::fs::read(&b.path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&b.path, std::fs::Permissions::from_mode(0o400)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    // Root ignores modes: then SQLite may create the -wal and -shm files a WAL reader uses.
    let enforced = std::fs::File::create(dir.join("probe")).is_err();
    let _ = std::fs::remove_file(dir.join("probe"));

    let store = custos_store::open_read_only(b.path.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, scan);
    assert_eq!(store.objects(scan, None).await.unwrap().len(), 1);
    assert_eq!(store.organizations().await.unwrap().len(), 1);
    let refused = store.upsert_organization("org-2", None).await.unwrap_err();
    let refused = suite::chain(&refused);
    assert!(refused.contains("readonly"), "{refused}");
    drop(store);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(&b.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(
        std::fs::read(&b.path).unwrap(),
        bytes_before,
        "not a byte written"
    );
    if enforced {
        assert_eq!(names(&dir), files_before, "no file created beside it");
    }
}

#[tokio::test]
async fn a_read_only_open_refuses_an_outdated_or_missing_store_without_touching_it() {
    let b = backend("read_only_outdated").await.unwrap();
    finished_store(&b).await;
    b.exec_raw(&format!(
        "DELETE FROM schema_version WHERE version = {}",
        custos_store::SCHEMA_VERSION
    ))
    .await
    .unwrap();
    let bytes_before = std::fs::read(&b.path).unwrap();
    let err = custos_store::open_read_only(b.path.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutdatedReadOnly { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "has schema {}, older than this build's {}",
            custos_store::SCHEMA_VERSION - 1,
            custos_store::SCHEMA_VERSION
        )) && message.contains("opened read-only"),
        "{message}"
    );
    assert_eq!(std::fs::read(&b.path).unwrap(), bytes_before);
    // Opened to write, it migrates as usual.
    drop(custos_store::open(b.path.to_str().unwrap()).await.unwrap());
    assert!(
        custos_store::open_read_only(b.path.to_str().unwrap())
            .await
            .is_ok()
    );

    let missing = b.path.with_file_name("missing.db");
    let err = custos_store::open_read_only(missing.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Missing { .. }), "{err}");
    assert!(!missing.exists(), "reading does not create a store");
}
