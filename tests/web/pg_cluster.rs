//! A PostgreSQL server of the test's own: its own data directory and port, made
//! with `initdb` and run with `pg_ctl` as the `postgres` user (CI runs as root,
//! which PostgreSQL refuses), so a test may stop, restart or reconfigure it without
//! touching the shared server on 5432.
//!
//! ```ignore
//! let pg = PgCluster::start(PgOptions { tls: true }).expect("a PostgreSQL of our own");
//! let url = pg.url("test"); // postgres://postgres@127.0.0.1:PORT/test
//! pg.restart();
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU16, Ordering};

/// What the server is started with.
#[derive(Clone, Copy, Debug, Default)]
pub struct PgOptions {
    /// Serve TLS with a self-signed certificate made for the test (`ssl = on`);
    /// [`PgCluster::ca_file`] is the certificate a client can trust.
    pub tls: bool,
}

/// A running PostgreSQL server of the test's own, stopped and removed on drop.
#[allow(dead_code)] // Each test uses the part it needs.
pub struct PgCluster {
    /// The server's port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

/// Ports handed to clusters of this test binary (each test its own).
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

fn bin_dir() -> Result<PathBuf, String> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| format!("no PostgreSQL server binaries under {}: {e}", root.display()))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop().ok_or_else(|| "no pg_ctl under /usr/lib/postgresql/*/bin".to_owned())
}

/// Runs `program args` as the `postgres` user (through `runuser` when we are root).
fn as_postgres(program: &Path, args: &[&str]) -> Result<Output, String> {
    let root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args);
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{} {args:?} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn free_port() -> u16 {
    // Start from a port derived from the process id, so two test binaries running
    // at once rarely pick the same, then check that it is free.
    let base = 20_000 + (std::process::id() % 20_000) as u16;
    loop {
        let n = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        let port = base.wrapping_add(n.wrapping_mul(7)) % 45_000 + 20_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

#[allow(dead_code)]
impl PgCluster {
    /// Makes a data directory, configures it (trust auth on 127.0.0.1, TLS when
    /// asked) and starts the server; a database `test` exists.
    ///
    /// # Errors
    /// When PostgreSQL's binaries are missing or the server does not start.
    pub fn start(options: PgOptions) -> Result<Self, String> {
        let bin = bin_dir()?;
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("opsadmin-pg-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let chown = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status();
        if !matches!(chown, Ok(s) if s.success()) {
            // Not root: the directory is ours already.
        }
        let data = dir.join("data");
        let data_s = data.to_string_lossy().into_owned();
        as_postgres(&bin.join("initdb"), &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"])?;
        let mut conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 60\n",
            dir.display()
        );
        if options.tls {
            make_certificate(&data)?;
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        append(&data.join("postgresql.conf"), &conf)?;
        let cluster = Self { port, dir, bin };
        cluster.pg_ctl("start")?;
        as_postgres(
            &cluster.bin.join("createdb"),
            &["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "test"],
        )?;
        Ok(cluster)
    }

    fn pg_ctl(&self, what: &str) -> Result<(), String> {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let log = self.dir.join("server.log").to_string_lossy().into_owned();
        let mut args = vec!["-D", data.as_str(), "-l", log.as_str(), "-w", "-t", "30"];
        if what != "start" {
            args.extend(["-m", "fast"]);
        }
        args.push(what);
        as_postgres(&self.bin.join("pg_ctl"), &args).map(|_| ())
    }

    /// A URL of database `name` on this server, without TLS options.
    #[must_use]
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The self-signed certificate the server presents (with [`PgOptions::tls`]).
    #[must_use]
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Stops the server (fast shutdown: open connections are cut).
    ///
    /// # Errors
    /// When `pg_ctl` fails.
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl("stop")
    }

    /// Starts a stopped server again on the same port and data.
    ///
    /// # Errors
    /// When `pg_ctl` fails.
    pub fn start_again(&self) -> Result<(), String> {
        self.pg_ctl("start")
    }

    /// Stops and starts the server: every open connection is cut.
    ///
    /// # Errors
    /// When `pg_ctl` fails.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl("restart")
    }

    /// The server's log so far, to show when a test fails.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs the `openssl` command in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!("openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// In `dir`: a certificate authority made for a test (`ca.crt`, `ca.key`) and a
/// certificate it signed for 127.0.0.1 and localhost (`server.crt`, `server.key`),
/// made with the `openssl` command (P-256 keys, valid two days). rustls refuses a
/// self-signed server certificate used as its own CA (`CaUsedAsEndEntity`), as a
/// verifying client should, hence the two.
///
/// # Errors
/// When `openssl` is missing or fails.
pub fn make_test_certificates(dir: &Path) -> Result<(), String> {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let ca = [
        "req",
        "-x509",
        "-days",
        "2",
        "-subj",
        "/CN=opsadmin test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ];
    openssl(dir, &[&ca[..], &ec].concat())?;
    let csr = ["req", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"];
    openssl(dir, &[&csr[..], &ec].concat())?;
    std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        .map_err(|e| format!("cannot write the certificate's extensions: {e}"))?;
    let sign = ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2"];
    openssl(dir, &[&sign[..], &["-days", "2", "-extfile", "server.ext", "-out", "server.crt"]].concat())
}

/// The server's TLS files: [`make_test_certificates`] in the cluster's directory
/// (`../ca.crt` is the file clients trust), `server.crt`/`server.key` moved into the
/// data directory (owned by postgres, key mode 0600).
fn make_certificate(data: &Path) -> Result<(), String> {
    let dir = data.parent().ok_or("no parent directory")?;
    make_test_certificates(dir)?;
    let (crt, key) = (data.join("server.crt"), data.join("server.key"));
    std::fs::rename(dir.join("server.crt"), &crt).map_err(|e| format!("cannot move the certificate: {e}"))?;
    std::fs::rename(dir.join("server.key"), &key).map_err(|e| format!("cannot move the key: {e}"))?;
    let _ = Command::new("chown").args(["postgres:postgres"]).arg(&crt).arg(&key).status();
    let _ = Command::new("chmod").args(["600"]).arg(&key).status();
    Ok(())
}

#[cfg(test)]
mod checks {
    use super::{PgCluster, PgOptions};
    use sea_orm::{ConnectionTrait, Database};

    /// The harness itself: a server of our own starts, takes connections, and
    /// comes back after a restart.
    #[tokio::test]
    async fn a_cluster_of_our_own_starts_restarts_and_is_removed() {
        let pg = PgCluster::start(PgOptions::default()).expect("a PostgreSQL of our own");
        let db = Database::connect(pg.url("test")).await.expect("connect");
        db.execute_unprepared("CREATE TABLE t (id int)").await.expect("create");
        pg.restart().unwrap_or_else(|e| panic!("{e}\n{}", pg.log()));
        let db = Database::connect(pg.url("test")).await.expect("connect again");
        db.execute_unprepared("INSERT INTO t VALUES (1)").await.expect("the table survived the restart");
    }
}
