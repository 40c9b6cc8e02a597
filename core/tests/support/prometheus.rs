//! Starts a real Prometheus (Debian's `prometheus` package) on a free loopback port, scraping
//! one loopback target every second. The binary is `/usr/bin/prometheus` unless
//! `DYNOSHIFT_PROMETHEUS` names another; a missing binary fails the test (never skips).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Prometheus binary, or a panic saying how to install it.
pub fn binary() -> PathBuf {
    let path = std::env::var_os("DYNOSHIFT_PROMETHEUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus"));
    assert!(
        path.is_file(),
        "Prometheus is not installed at {}: `make test` installs it (Debian package \
         `prometheus`: apt-get install -y prometheus), or set DYNOSHIFT_PROMETHEUS to a \
         prometheus binary",
        path.display()
    );
    path
}

/// A running Prometheus; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    pub url: String,
    child: Option<Child>,
    dir: PathBuf,
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (`127.0.0.1:port`, path `/metrics`) as job `app`
    /// every second, and waits until it answers queries.
    pub fn start(target: &str) -> Prometheus {
        let bin = binary();
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("dynoshift-prom-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  \
                 - job_name: app\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let p = Prometheus {
            url: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if p.query("up").is_some() {
                return p;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Prometheus did not answer within 60 s; its log: {}",
            std::fs::read_to_string(p.dir.join("prometheus.log")).unwrap_or_default()
        );
    }

    /// The first value of an instant query (blocking, plain HTTP/1.0 over a std socket), or
    /// None when the server is not answering or the result is empty.
    pub fn query(&self, promql: &str) -> Option<f64> {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let q: String = promql
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"_-.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        write!(
            s,
            "GET /api/v1/query?query={q} HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let body = out.split_once("\r\n\r\n")?.1;
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let r = v["data"]["result"].as_array()?.first()?.clone();
        r["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `promql` returns a value satisfying `ok`.
    pub fn wait_for(&self, promql: &str, ok: impl Fn(f64) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.query(promql).is_some_and(&ok) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "Prometheus never satisfied {promql} (last: {:?})",
            self.query(promql)
        );
    }

    /// Kills the server.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
