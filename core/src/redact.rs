//! Removing known secret values (keys, tokens) from text that may quote them: error messages
//! built from a server's answer, which can echo the request's headers.
//!
//! A secret of [`UNAMBIGUOUS_LEN`] characters or more (every real AWS key and Heroku token) is
//! replaced wherever it appears. A shorter one (a test key such as `y`) would also match inside
//! ordinary words — `ListHostedZonesByName` — so it is replaced only where it stands alone as
//! a value: not joined to a letter or digit on either side (`Credential=y/`, `token: y`).

/// What a removed secret reads as.
pub(crate) const REDACTED: &str = "** redacted **";

/// Secrets at least this long (in characters) are removed wherever they appear.
pub(crate) const UNAMBIGUOUS_LEN: usize = 8;

/// `text` with every secret of `secrets` replaced by [`REDACTED`] (see the module docs). Empty
/// secrets are ignored; a longer secret is removed before a shorter one it contains.
pub(crate) fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in secrets {
        if !out.contains(secret) {
            continue;
        }
        out = if secret.chars().count() >= UNAMBIGUOUS_LEN {
            out.replace(secret, REDACTED)
        } else {
            replace_standalone(&out, secret)
        };
    }
    out
}

/// Replaces the occurrences of `secret` that no letter or digit touches on either side.
fn replace_standalone(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(secret) {
        if at < copied {
            continue;
        }
        let end = at + secret.len();
        let joined = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        if joined(text[..at].chars().next_back()) || joined(text[end..].chars().next()) {
            continue;
        }
        out.push_str(&text[copied..at]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Query parameters of signed URLs (S3 presigned URLs, SigV2 and SigV4) whose values are
/// credentials or signatures.
const SIGNED_URL_PARAMS: [&str; 5] = [
    "x-amz-signature=",
    "x-amz-credential=",
    "x-amz-security-token=",
    "signature=",
    "awsaccesskeyid=",
];

/// `text` with what a URL in it can carry of credentials replaced by [`REDACTED`]: the
/// password of `scheme://user:password@host`, and the values of signed-URL query parameters
/// (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, `Signature`,
/// `AWSAccessKeyId`; names in any case), up to the next `&`, quote, space or bracket.
pub(crate) fn redact_urls(text: &str) -> String {
    let ends =
        |c: char| c == '&' || c == '"' || c == '\'' || c == '>' || c == ')' || c.is_whitespace();
    let lower = text.to_ascii_lowercase();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for param in SIGNED_URL_PARAMS {
        for (at, _) in lower.match_indices(param) {
            let before = text[..at].chars().next_back();
            if !matches!(before, Some('?' | '&' | ';')) {
                continue;
            }
            let start = at + param.len();
            let len = text[start..].find(ends).unwrap_or(text.len() - start);
            if len > 0 {
                cuts.push((start, start + len));
            }
        }
    }
    for (at, _) in text.match_indices("://") {
        let rest = &text[at + 3..];
        let host_end = rest
            .find(|c: char| c == '/' || ends(c))
            .unwrap_or(rest.len());
        if let Some(userinfo) = rest[..host_end].rfind('@').map(|i| &rest[..i])
            && let Some(colon) = userinfo.find(':')
        {
            cuts.push((at + 3 + colon + 1, at + 3 + userinfo.len()));
        }
    }
    cuts.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in cuts {
        if start < copied {
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_urls_and_url_passwords_lose_their_credentials() {
        let url = "https://b.s3.amazonaws.com/k.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261207%2Fus-east-1%2Fs3\
                   &X-Amz-Signature=0123abcd&x-amz-security-token=FwoGZX+/=";
        let got = redact_urls(&format!("GET \"{url}\" failed; see http://u:pw@h:1/x (ok)"));
        for secret in ["AKIAIOSFODNN7EXAMPLE", "0123abcd", "FwoGZX", ":pw@"] {
            assert!(!got.contains(secret), "{secret} in {got}");
        }
        assert!(got.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256"), "{got}");
        assert!(got.contains("http://u:** redacted **@h:1/x (ok)"), "{got}");
        assert_eq!(redact_urls("no signature=here"), "no signature=here");
        assert_eq!(
            redact_urls("a?Signature=x"),
            format!("a?Signature={REDACTED}")
        );
    }

    #[test]
    fn long_secrets_go_everywhere_short_ones_only_where_they_stand_alone() {
        let long = "wJalrXUtnFEMI/K7MDENG";
        assert_eq!(
            redact(&format!("a{long}b {long}"), &[long]),
            format!("a{REDACTED}b {REDACTED}")
        );
        let text = "Route53 ListHostedZonesByName: denied; Credential=y/2026, token: y";
        assert_eq!(
            redact(text, &["y"]),
            format!(
                "Route53 ListHostedZonesByName: denied; Credential={REDACTED}/2026, token: {REDACTED}"
            )
        );
        assert_eq!(redact("yy y", &["y"]), format!("yy {REDACTED}"));
        assert_eq!(redact("é-y-é", &["y"]), format!("é-{REDACTED}-é"));
        assert_eq!(redact("Bearer x", &["", "x"]), format!("Bearer {REDACTED}"));
        // the longer secret first, so that no part of it is left behind
        assert_eq!(
            redact("k=abcdefghij", &["abc", "abcdefghij"]),
            format!("k={REDACTED}")
        );
        assert_eq!(redact("nothing here", &["zz"]), "nothing here");
    }
}
