//! Starts `moto_server` (an independent implementation of the Route53 API, installed by the
//! harness into `.venv`) on a free loopback port, waits until it answers, and stops it on drop.
//!
//! If moto is missing the test fails with instructions; it never skips itself.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dynoshift::dns::route53::{Route53Options, StaticCredentials};

/// A Route53 provider over a moto client, paced at [`moto_budget`].
pub fn provider(client: aws_sdk_route53::Client) -> dynoshift::Route53Provider {
    dynoshift::Route53Provider::from_client(client).with_budget(moto_budget())
}

/// The request budget of engine tests against moto: 200 calls/s in bursts of 20 instead of
/// Route53's 5/s. moto has no account limit, and at 5/s the crash-at-every-step suite alone
/// waits over a minute and a half for the pacer; the pacing itself is tested at the real rate
/// (`dns::budget`, `cutover_fleet` behind a throttling proxy, `route53_throttling`).
pub fn moto_budget() -> dynoshift::RequestBudget {
    dynoshift::RequestBudget::new(200.0, 20).expect("a valid budget")
}

/// A running moto_server; killed when dropped.
pub struct Moto {
    child: Child,
    addr: SocketAddr,
}

fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("DYNOSHIFT_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
    assert!(
        venv.exists(),
        "moto_server not found at {}: run `make test` (it installs moto into .venv) or set \
         DYNOSHIFT_MOTO_SERVER to a moto_server executable",
        venv.display()
    );
    venv
}

impl Moto {
    /// Starts moto on 127.0.0.1 and a free port, waiting up to 30 s for it to accept.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let mut moto = Moto { child, addr };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited early with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// The loopback address moto listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Options that point the Route53 client at this moto with dummy credentials.
    pub fn route53_options(&self) -> Route53Options {
        Route53Options {
            endpoint_url: Some(self.endpoint_url()),
            region: Some("us-east-1".into()),
            credentials: Some(StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: None,
            }),
            attempt_timeout: None,
        }
    }
}

impl Moto {
    /// An S3 client on this moto (path-style buckets, dummy credentials), through the same
    /// shared AWS configuration the journal store uses.
    pub async fn s3_client(&self) -> aws_sdk_s3::Client {
        let shared = dynoshift::aws::sdk_config(&self.route53_options(), None).await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// A new hosted zone `name` on this moto: a provider on it and the zone id.
    pub async fn hosted_zone(&self, name: &str) -> (dynoshift::Route53Provider, String) {
        let client = dynoshift::dns::route53::connect(&self.route53_options()).await;
        let created = client
            .create_hosted_zone()
            .name(format!("{name}."))
            .caller_reference(format!("dynoshift-test-{name}"))
            .send()
            .await
            .expect("moto creates the zone");
        let id = created
            .hosted_zone()
            .unwrap()
            .id()
            .trim_start_matches("/hostedzone/")
            .to_owned();
        (provider(client), id)
    }

    /// A new S3 bucket on this moto; returns its name.
    pub async fn bucket(&self, name: &str) -> String {
        self.s3_client()
            .await
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("moto creates the bucket");
        name.to_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
