//! Connecting to Route53 through `aws-sdk-route53`, with the standard credential chain and
//! region, a rustls (ring) HTTPS client, and an optional endpoint URL (for moto_server or a
//! proxy in tests).

use std::fmt;

use aws_config::BehaviorVersion;
use aws_sdk_route53::config::Region;

/// Static credentials, for tests against moto or scripts that manage keys themselves.
/// Debug output never shows the keys.
#[derive(Clone)]
pub struct StaticCredentials {
    /// AWS access key id.
    pub access_key_id: String,
    /// AWS secret access key.
    pub secret_access_key: String,
    /// Optional session token.
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &"** redacted **")
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// How to reach Route53.
#[derive(Debug, Clone, Default)]
pub struct Route53Options {
    /// Send requests here instead of AWS (e.g. `http://127.0.0.1:5000` for moto_server).
    pub endpoint_url: Option<String>,
    /// Region for signing; Route53 is global, `us-east-1` is used when nothing else is set.
    pub region: Option<String>,
    /// Use these instead of the standard credential chain.
    pub credentials: Option<StaticCredentials>,
}

/// Builds a Route53 client. Loading the standard chain (env, profile, IMDS) is the only network
/// work, and only when no static credentials were given.
pub async fn connect(options: &Route53Options) -> aws_sdk_route53::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let region = options
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".to_owned());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(region));
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &options.credentials {
        loader = loader.credentials_provider(aws_credential_types::Credentials::from_keys(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
        ));
    }
    aws_sdk_route53::Client::new(&loader.load().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_keys() {
        let opts = Route53Options {
            credentials: Some(StaticCredentials {
                access_key_id: "AKIAEXAMPLEKEYID".into(),
                secret_access_key: "s3cr3t-value".into(),
                session_token: Some("tok-value".into()),
            }),
            ..Default::default()
        };
        let shown = format!("{opts:?}");
        assert!(
            !shown.contains("AKIAEXAMPLEKEYID")
                && !shown.contains("s3cr3t")
                && !shown.contains("tok-value"),
            "{shown}"
        );
    }
}
