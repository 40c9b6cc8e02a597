//! Notification sinks named in a plan's `notify` list: every cutover event is also sent to a
//! webhook (the event's JSON, as `--json` prints it) or to a Slack incoming webhook (the
//! event in words). URLs and headers are secrets: they never appear in Debug output, errors,
//! logs or journals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a redacted URL or header value reads as.
pub const REDACTED: &str = "(redacted)";

/// One notification sink of a plan.
///
/// JSON: `{"type": "webhook", "url": "https://...", "headers": {"Authorization": "..."}}` or
/// `{"type": "slack", "webhook_url": "https://hooks.slack.com/services/..."}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NotifySink {
    /// A POST of each event's JSON.
    Webhook {
        /// Where to POST (http or https).
        url: String,
        /// Extra request headers (e.g. an authorization token).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// A Slack incoming webhook: each event as a line of text.
    Slack {
        /// The incoming webhook's URL.
        webhook_url: String,
    },
}

impl std::fmt::Debug for NotifySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifySink::Webhook { url, headers } => f
                .debug_struct("Webhook")
                .field("url", &redact_url(url))
                .field("headers", &headers.keys().collect::<Vec<_>>())
                .finish(),
            NotifySink::Slack { webhook_url } => f
                .debug_struct("Slack")
                .field("webhook_url", &redact_url(webhook_url))
                .finish(),
        }
    }
}

/// A URL with everything after its host replaced (`https://hooks.slack.com/(redacted)`), and
/// any user:password dropped: enough to say where events go without giving the secret away.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return REDACTED.into(),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    format!("{scheme}://{host}/{REDACTED}")
}

impl NotifySink {
    /// The sink's type name (`webhook`, `slack`).
    pub fn kind(&self) -> &'static str {
        match self {
            NotifySink::Webhook { .. } => "webhook",
            NotifySink::Slack { .. } => "slack",
        }
    }

    /// The URL events are sent to.
    pub fn url(&self) -> &str {
        match self {
            NotifySink::Webhook { url, .. } => url,
            NotifySink::Slack { webhook_url } => webhook_url,
        }
    }

    /// The same sink with its URL and header values redacted (what a journal keeps).
    pub fn redacted(&self) -> NotifySink {
        match self {
            NotifySink::Webhook { url, headers } => NotifySink::Webhook {
                url: redact_url(url),
                headers: headers
                    .keys()
                    .map(|k| (k.clone(), REDACTED.to_owned()))
                    .collect(),
            },
            NotifySink::Slack { webhook_url } => NotifySink::Slack {
                webhook_url: redact_url(webhook_url),
            },
        }
    }

    /// Checks the sink: an http(s) URL with a host, header names that HTTP allows. Errors
    /// never quote the URL (it is a secret); they name the field.
    pub fn validate(&self) -> Result<()> {
        let field = match self {
            NotifySink::Webhook { .. } => "url",
            NotifySink::Slack { .. } => "webhook_url",
        };
        let url = self.url();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let host_ok = rest
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
            .map(|a| a.rsplit('@').next().unwrap_or(""))
            .is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace));
        if !host_ok {
            return Err(Error::invalid_input(format!(
                "the {} sink's {field} must be an http:// or https:// URL with a host (the \
                 value is not shown: it is treated as a secret)",
                self.kind()
            ))
            .at(field));
        }
        if let NotifySink::Webhook { headers, .. } = self {
            for name in headers.keys() {
                let token = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                if !token {
                    return Err(Error::invalid_input(format!(
                        "{name:?} is not an HTTP header name"
                    ))
                    .at(format!("headers.{name}")));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_redaction_hide_the_secret_parts() {
        let s = NotifySink::Webhook {
            url: "https://user:pw@hooks.example.com/T000/B000/XXXXSECRET?x=1".into(),
            headers: [("Authorization".to_owned(), "Bearer SECRET".to_owned())].into(),
        };
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("SECRET") && !debug.contains("pw"),
            "{debug}"
        );
        assert!(debug.contains("hooks.example.com"), "{debug}");
        let json = serde_json::to_string(&s.redacted()).unwrap();
        assert!(!json.contains("SECRET") && !json.contains("pw"), "{json}");
        assert!(json.contains("Authorization"), "{json}");
    }

    #[test]
    fn only_http_urls_with_a_host() {
        for bad in [
            "ftp://x.example/",
            "hooks.example.com/x",
            "https:///path",
            "",
        ] {
            let s = NotifySink::Slack {
                webhook_url: bad.into(),
            };
            let err = s.validate().unwrap_err();
            assert_eq!(err.context(), Some("webhook_url"));
            assert!(bad.is_empty() || !err.to_string().contains(bad), "{err}");
        }
        let ok = NotifySink::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            headers: BTreeMap::new(),
        };
        assert!(ok.validate().is_ok());
        let bad_header = NotifySink::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            headers: [("X Bad".to_owned(), "v".to_owned())].into(),
        };
        assert!(bad_header.validate().is_err());
    }
}
