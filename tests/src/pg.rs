//! PostgreSQL clusters of a test's own (`scripts/pg-throwaway`), which it may cut off, stop
//! and resume without disturbing the other tests, and the strike that cuts a load midway.

use std::process::Command;
use std::time::Duration;

use sqlx::Connection;

fn pg_throwaway_script() -> std::path::PathBuf {
    crate::repo().join("scripts/pg-throwaway")
}

/// Runs `scripts/pg-throwaway` with `args`; fails the test, with its output, if it fails.
pub fn pg_throwaway(args: &[&str]) -> String {
    let out = Command::new(pg_throwaway_script()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "scripts/pg-throwaway {args:?} failed (the fault tests need the PostgreSQL server \
         binaries, initdb and pg_ctl):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A PostgreSQL cluster of this test's own (`scripts/pg-throwaway`), so that stopping it
/// disturbs no other test. Removed on drop.
#[derive(Debug)]
pub struct Cluster {
    /// The cluster's folder (for `pg_throwaway(&["pause", dir])` and `resume`).
    pub dir: String,
    /// A superuser URL.
    pub url: String,
    /// The certificate authority that signed the server's certificate (for 127.0.0.1).
    pub ca: String,
}

impl Cluster {
    /// Starts a new cluster on a free port.
    pub fn start() -> Self {
        let exports = pg_throwaway(&[]);
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("{name} missing from scripts/pg-throwaway's output: {exports}"))
                .to_owned()
        };
        Self { dir: value("SIFT_PG_DIR"), url: value("DATABASE_URL"), ca: value("SIFT_PG_CA") }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // No assertion here: a panic while unwinding would abort the test run.
        let _ = Command::new(pg_throwaway_script()).args(["stop", &self.dir]).status();
    }
}

/// What happens to PostgreSQL in the middle of a load.
#[derive(Debug)]
pub enum Strike {
    /// The load's session is killed (`pg_terminate_backend`).
    CutConnection,
    /// The server shuts down fast (`scripts/pg-throwaway pause DIR`).
    StopServer {
        /// The throwaway cluster's directory.
        dir: String,
    },
}

/// Polls the server's activity until a client session of `database` is inside the load's
/// transaction, sending rows (a `COPY`: not the catalog queries that prepare the table before
/// it), then strikes. Returns whether it saw one within a minute.
pub async fn strike_mid_load(admin_url: String, database: String, strike: Strike) -> bool {
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    for _ in 0..12_000 {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend' AND xact_start IS NOT NULL AND query LIKE 'COPY %' LIMIT 1",
        )
        .bind(&database)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
        let Some(pid) = pid else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        match strike {
            Strike::CutConnection => {
                sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.unwrap();
            }
            Strike::StopServer { dir } => {
                tokio::task::spawn_blocking(move || pg_throwaway(&["pause", &dir])).await.unwrap();
            }
        }
        return true;
    }
    false
}

/// A fresh database on the DATABASE_URL server, as a URL.
pub async fn fresh_database(name: &str) -> String {
    let server = crate::admin_url();
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    let db = format!("{name}_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&mut admin).await.unwrap();
    let (base, query) = server.split_once('?').map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
    let root = &base[..base.rfind('/').unwrap()];
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}
