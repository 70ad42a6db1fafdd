//! `ops-console backup` and `ops-console restore`, for a SQLite database.
//!
//! A backup is `VACUUM INTO` through a connection to the live database: SQLite
//! writes a consistent copy as of one moment (a read transaction) while the server
//! and workers go on writing. It is written beside its destination and renamed into
//! place, so a backup path never holds half a copy.
//!
//! A restore checks the file before anything is changed (SQLite's header, `PRAGMA
//! integrity_check`, the admin's tables at a schema this release knows, the audit
//! log's hash chain as `audit verify` checks it), then copies it beside the
//! database, flushes it to disk and renames it over the database file; the file it
//! replaces is kept as `FILE.before-restore-TIMESTAMP`. It refuses while a process
//! on this machine has the database open (seen in `/proc/*/fd` on Linux).
//!
//! On PostgreSQL, `pg_dump -Fc` and `pg_restore` are the tools (see the deployment
//! chapter).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::commands::{CommandError, EXIT_REFUSED, EXIT_USAGE};

/// What every SQLite database file begins with.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The sentence for a PostgreSQL database.
pub const USE_PG_DUMP: &str = "This is a PostgreSQL database: back it up with `pg_dump -Fc` and restore it with \
     `pg_restore` (see the deployment chapter), then run `ops-console audit verify --checkpoint FILE`.";

fn usage(message: impl Into<String>) -> CommandError {
    CommandError { code: EXIT_USAGE, message: message.into() }
}

fn refused(message: impl Into<String>) -> CommandError {
    CommandError { code: EXIT_REFUSED, message: message.into() }
}

/// The file of a SQLite database URL (`sqlite://FILE?…`, `sqlite:FILE`).
///
/// # Errors
/// [`EXIT_USAGE`] for PostgreSQL (with [`USE_PG_DUMP`]), an in-memory database or
/// another kind of URL.
pub fn sqlite_file(url: &str) -> Result<PathBuf, CommandError> {
    let shown = crate::cli::redact(url);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(usage(USE_PG_DUMP));
    }
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return Err(usage(format!("{shown} is not a SQLite database URL (sqlite://FILE).")));
    };
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    if file.is_empty() || file == ":memory:" || query.split('&').any(|p| p == "mode=memory") {
        return Err(usage(format!(
            "{shown} is an in-memory database: there is no file to back up or restore."
        )));
    }
    Ok(PathBuf::from(file))
}

/// A connection to the existing SQLite file `path`, never creating it.
async fn open_file(path: &Path, read_only: bool) -> Result<DatabaseConnection, String> {
    let text = path.to_str().ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    let mode = if read_only { "ro" } else { "rw" };
    let mut opts = ConnectOptions::new(format!("sqlite://{text}?mode={mode}"));
    opts.sqlx_logging(false).max_connections(1).min_connections(0);
    opts.map_sqlx_sqlite_opts(|o| o.create_if_missing(false).busy_timeout(Duration::from_secs(10)));
    Database::connect(opts).await.map_err(|e| e.to_string())
}

/// A file beside `path`, named after it, for a copy on its way in.
fn beside(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map_or_else(|| "database".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// Flushes `path`'s content, and its directory's entry, to disk.
fn sync(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // A directory cannot be opened for syncing everywhere; the rename is done then.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// "12.3 MB (12345678 bytes)".
fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1_000_000.0;
    format!("{mb:.1} MB ({bytes} bytes)")
}

/// The audit log's head in the database at `path`, one checkpoint line per chain.
async fn audit_head(path: &Path) -> Result<String, String> {
    let db = open_file(path, true).await?;
    let head = opsadmin::audit::checkpoint(&db).await.map_err(|e| crate::commands::explain(&e));
    db.close().await.ok();
    Ok(head?.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

/// `ops-console backup PATH`: a consistent copy of the live SQLite database at
/// `url`, written to `to` (replacing a file there only with `force`); says its size
/// and the audit log's head it holds.
///
/// # Errors
/// [`EXIT_USAGE`] for PostgreSQL, an in-memory database, or an existing `to`
/// without `force`; [`EXIT_REFUSED`] when the database is missing or the copy
/// cannot be made.
pub async fn backup(url: &str, to: &Path, force: bool) -> Result<String, CommandError> {
    let source = sqlite_file(url)?;
    if !source.is_file() {
        return Err(refused(format!(
            "There is no database file {}; nothing was backed up.",
            source.display()
        )));
    }
    if to.is_dir() {
        return Err(usage(format!("{} is a folder; give the path of the backup file.", to.display())));
    }
    if to.exists() && !force {
        return Err(usage(format!(
            "{} exists already; give another path, or --force to replace it.",
            to.display()
        )));
    }
    let partial = beside(to, "partial");
    let _ = std::fs::remove_file(&partial);
    let target = partial.to_str().ok_or_else(|| usage(format!("{} is not a UTF-8 path.", to.display())))?;
    let db = open_file(&source, false)
        .await
        .map_err(|e| refused(format!("Cannot open the database {}: {e}", source.display())))?;
    // The path is a bound parameter: SQLite's VACUUM INTO takes any expression.
    let copied = db
        .execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [target.into()]))
        .await;
    db.close().await.ok();
    let moved = copied.map_err(|e| e.to_string()).and_then(|_| {
        sync(&partial)
            .and_then(|()| std::fs::rename(&partial, to))
            .and_then(|()| sync(to))
            .map_err(|e| e.to_string())
    });
    if let Err(e) = moved {
        let _ = std::fs::remove_file(&partial);
        return Err(refused(format!("Cannot back up {} to {}: {e}", source.display(), to.display())));
    }
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or_default();
    let head = audit_head(to).await.map_err(|e| {
        refused(format!("The copy {} was written, but its audit log cannot be read: {e}", to.display()))
    })?;
    Ok(format!(
        "Backed up {} to {}: {}, a consistent copy of one moment.\nThe copy's audit log ends at:\n{head}",
        source.display(),
        to.display(),
        size(bytes)
    ))
}

/// Whether `file` is a SQLite database, by its first 16 bytes.
fn is_sqlite(file: &Path) -> std::io::Result<bool> {
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(file)?;
    Ok(f.read_exact(&mut header).is_ok() && &header == SQLITE_HEADER)
}

/// Who has `database` (or its `-wal`/`-shm`) open on this machine, from
/// `/proc/*/fd`: "process 123 (ops-console)". `None` when nobody does, or when
/// this system has no `/proc` (then it cannot be told).
#[must_use]
pub fn user_of(database: &Path) -> Option<String> {
    let database = database.canonicalize().ok()?;
    let mut files = vec![database.clone()];
    for ext in ["-wal", "-shm"] {
        let mut name = database.clone().into_os_string();
        name.push(ext);
        files.push(PathBuf::from(name));
    }
    let me = std::process::id().to_string();
    for proc_dir in std::fs::read_dir("/proc").ok()?.flatten() {
        let pid = proc_dir.file_name().to_string_lossy().into_owned();
        if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc_dir.path().join("fd")) else { continue };
        if fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| files.contains(&target))) {
            let name = std::fs::read_to_string(proc_dir.path().join("comm")).unwrap_or_default();
            return Some(format!("process {pid} ({})", name.trim()));
        }
    }
    None
}

/// What a restore found in the file it checked.
struct Checked {
    schema: i64,
    audit: String,
}

/// Checks the copy at `path`: SQLite's integrity check, the admin's schema version
/// (upgraded as `serve` would when older), and the audit chain.
async fn check_copy(path: &Path, shown: &str) -> Result<Checked, CommandError> {
    let db = open_file(path, false)
        .await
        .map_err(|e| refused(format!("{shown} cannot be opened as a SQLite database: {e}")))?;
    let checked = check_open(&db, shown).await;
    db.close().await.ok();
    checked
}

async fn check_open(db: &DatabaseConnection, shown: &str) -> Result<Checked, CommandError> {
    let damaged = |e: String| refused(format!("{shown} is damaged: SQLite's integrity check says: {e}"));
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check"))
        .await
        .map_err(|e| damaged(e.to_string()))?;
    let said: Vec<String> = rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect();
    if said != ["ok"] {
        return Err(damaged(said.into_iter().take(3).collect::<Vec<_>>().join("; ")));
    }
    let version = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT MAX(version) AS v FROM admin_schema_version",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<Option<i64>>("", "v").ok().flatten())
        .ok_or_else(|| {
            refused(format!(
                "{shown} has no admin tables (admin_schema_version): it is not an ops console database."
            ))
        })?;
    let latest = opsadmin::migration::LATEST;
    if !(1..=latest).contains(&version) {
        return Err(refused(format!(
            "{shown} has the admin's schema version {version}, which this release does not know (it knows 1 to \
             {latest}): restore it with the release that made it."
        )));
    }
    if version < latest {
        crate::prepare(db).await.map_err(|e| {
            refused(format!(
                "{shown} (schema {version}) cannot be upgraded: {}",
                crate::commands::explain(&e)
            ))
        })?;
    }
    let audit = crate::commands::audit_verify(db, None)
        .await
        .map_err(|e| refused(format!("{shown} fails the audit check: {}", e.message)))?;
    Ok(Checked { schema: version, audit })
}

/// `ops-console restore PATH`: checks the backup at `from`, then puts it in place
/// of the SQLite database at `url`, keeping the file it replaces.
///
/// # Errors
/// [`EXIT_USAGE`] for PostgreSQL, an in-memory database or a missing `from`;
/// [`EXIT_REFUSED`] when the file fails a check, the database is in use, or the
/// file cannot be put in place. Nothing is changed then, as the message says.
pub async fn restore(from: &Path, url: &str) -> Result<String, CommandError> {
    restore_checked(from, url).await.map_err(|mut e| {
        e.message.push_str(" Nothing was changed.");
        e
    })
}

async fn restore_checked(from: &Path, url: &str) -> Result<String, CommandError> {
    let target = sqlite_file(url)?;
    let shown = from.display().to_string();
    if !from.is_file() {
        return Err(usage(format!("There is no backup file {shown}.")));
    }
    if !is_sqlite(from).map_err(|e| usage(format!("Cannot read {shown}: {e}.")))? {
        return Err(refused(format!("{shown} is not a SQLite database (it lacks SQLite's header).")));
    }
    if std::fs::metadata(with_suffix(from, "-wal")).is_ok_and(|m| m.len() > 0) {
        return Err(refused(format!(
            "{shown} has a write-ahead log beside it, so the file alone is not the whole database; make a copy \
             with `ops-console backup` instead."
        )));
    }
    in_use(&target)?;
    let incoming = beside(&target, "restore");
    remove_with_journal(&incoming);
    let result = put_in_place(from, &incoming, &target, &shown).await;
    remove_with_journal(&incoming);
    result
}

/// Refuses when a process has `target` open.
fn in_use(target: &Path) -> Result<(), CommandError> {
    match user_of(target) {
        Some(user) => Err(refused(format!(
            "The database {} is in use by {user}: stop the console and its workers first.",
            target.display()
        ))),
        None => Ok(()),
    }
}

fn remove_with_journal(path: &Path) {
    for ext in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, ext));
    }
}

/// `path` with `suffix` appended to its name: `ops.db-wal`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies `from` to `incoming`, checks it, and renames it over `target`.
async fn put_in_place(
    from: &Path,
    incoming: &Path,
    target: &Path,
    shown: &str,
) -> Result<String, CommandError> {
    let failed =
        |e: std::io::Error| refused(format!("Cannot copy {shown} beside {}: {e}.", target.display()));
    std::fs::copy(from, incoming).map_err(failed)?;
    let checked = check_copy(incoming, shown).await?;
    let audit_head = audit_head(incoming).await.map_err(|e| refused(format!("{shown}: {e}")))?;
    if std::fs::metadata(with_suffix(incoming, "-wal")).is_ok_and(|m| m.len() > 0) {
        return Err(refused(format!("The checked copy of {shown} was not written back whole.")));
    }
    sync(incoming).map_err(failed)?;
    in_use(target)?;
    let mut out = format!(
        "Checked {shown}: SQLite's integrity check passed, the admin's schema is version {}{}; {}",
        checked.schema,
        if checked.schema < opsadmin::migration::LATEST { " (upgraded)" } else { "" },
        checked.audit
    );
    let kept = if target.exists() {
        let kept = keep(target).map_err(|e| {
            refused(format!("Cannot keep a copy of {} before replacing it: {e}.", target.display()))
        })?;
        out.push_str(&format!("\nThe database it replaces is kept as {}.", kept.display()));
        Some(kept)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(incoming, target) {
        // The database's write-ahead log goes back beside it.
        if let Some(kept) = kept {
            let _ = std::fs::rename(with_suffix(&kept, "-wal"), with_suffix(target, "-wal"));
            let _ = std::fs::remove_file(kept);
        }
        return Err(refused(format!("Cannot put {shown} in place of {}: {e}.", target.display())));
    }
    if let Err(e) = sync(target) {
        tracing::warn!(error = %e, "the restored database could not be flushed to disk");
    }
    out.push_str(&format!(
        "\nRestored {shown} to {}. Its audit log ends at:\n{audit_head}\nStart the console again; what was \
         written after the backup is not in it.",
        target.display()
    ));
    Ok(out)
}

/// Keeps `target` as `TARGET.before-restore-TIMESTAMP` (a hard link, or a copy),
/// with its write-ahead log, so that file opened alone holds its newest writes.
fn keep(target: &Path) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = with_suffix(target, &format!(".before-restore-{stamp}"));
    if std::fs::hard_link(target, &kept).is_err() {
        std::fs::copy(target, &kept)?;
    }
    let wal = with_suffix(target, "-wal");
    if wal.exists() {
        std::fs::rename(&wal, with_suffix(&kept, "-wal"))?;
    }
    // The shared-memory index is rebuilt from the log when the database is opened.
    let _ = std::fs::remove_file(with_suffix(target, "-shm"));
    sync(&kept)?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite://ops.db?mode=rwc").unwrap(), PathBuf::from("ops.db"));
        assert_eq!(sqlite_file("sqlite:///srv/ops.db").unwrap(), PathBuf::from("/srv/ops.db"));
        assert_eq!(sqlite_file("sqlite:ops.db").unwrap(), PathBuf::from("ops.db"));
        let pg = sqlite_file("postgres://u:secret@db/ops").unwrap_err();
        assert_eq!(pg.code, EXIT_USAGE);
        assert!(pg.message.contains("pg_dump") && !pg.message.contains("secret"), "{}", pg.message);
        for memory in ["sqlite::memory:", "sqlite://x?mode=memory", "mysql://x"] {
            assert_eq!(sqlite_file(memory).unwrap_err().code, EXIT_USAGE, "{memory}");
        }
    }
}
