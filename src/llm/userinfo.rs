//! Credentials written into an endpoint URL (`http://user:secret@host/v1`).
//!
//! They are split off the URL before it is recorded (registry, artefacts),
//! logged or shown, and sent as HTTP Basic authentication exactly as ureq
//! sent them before (`user:secret`, as written, base64-encoded), unless a key
//! already fills the `Authorization` header. `resume` takes them again from
//! the environment, like a key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `url` without its userinfo, and the userinfo (`user:secret`) when it has one.
/// A value without a scheme (`user:secret@host/v1`, refused later as not a
/// URL) is split too, so that the refusal does not quote the secret.
pub fn split(url: &str) -> (String, Option<String>) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => (
            format!("{scheme}{host}{tail}"),
            Some(userinfo.to_string()).filter(|u| !u.is_empty()),
        ),
        None => (url.to_string(), None),
    }
}

/// `url` without its userinfo: how it may be recorded or shown.
pub fn strip(url: &str) -> String {
    split(url).0
}

/// The `Authorization` value for a URL's userinfo.
pub fn basic_auth(userinfo: &str) -> String {
    format!("Basic {}", STANDARD.encode(userinfo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_split_off_the_authority_only() {
        assert_eq!(
            split("http://user:s3cret@127.0.0.1:8000/v1"),
            (
                "http://127.0.0.1:8000/v1".to_string(),
                Some("user:s3cret".to_string())
            )
        );
        assert_eq!(
            split("https://tok@h/v1?x=1"),
            ("https://h/v1?x=1".to_string(), Some("tok".to_string()))
        );
        assert_eq!(split("https://h/p@q"), ("https://h/p@q".to_string(), None));
        assert_eq!(split("https://a:b@c@h/v1").0, "https://h/v1");
        assert_eq!(split("https://@h/v1"), ("https://h/v1".to_string(), None));
        assert_eq!(split("not a url"), ("not a url".to_string(), None));
        assert_eq!(split("u:s3cret@h/v1").0, "h/v1");
        assert_eq!(
            strip("http://127.0.0.1:8000/v1"),
            "http://127.0.0.1:8000/v1"
        );
    }

    #[test]
    fn basic_auth_encodes_the_userinfo_as_written() {
        assert_eq!(basic_auth("martin:secret"), "Basic bWFydGluOnNlY3JldA==");
    }
}
