//! The one place that decides what of a URL, a connection string or an error text may be shown.
//!
//! Every crate that prints a store URL, a base URL or a decoder's message goes through these
//! functions, so that a credential hidden in one place cannot leak from another.

/// What replaces a hidden value.
pub const HIDDEN: &str = "***";

/// Query parameters (and libpq `key=value` keywords) whose value is hidden: any name containing
/// one of these, case-insensitively (`password`, `sslpassword`, `key`, `api_key`, `token`,
/// `access_token`, `secret`, `auth`, `sig`, `credential`...).
const SECRET_NAME_PARTS: [&str; 8] = [
    "pass", "pwd", "key", "token", "secret", "auth", "sig", "cred",
];

/// Whether a query parameter or connection keyword named `name` may carry a credential.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// `text` as it may be shown: a URL keeps its scheme, host, port, path and harmless query
/// parameters, and loses its password, the value of every credential-looking query parameter
/// (see [`is_secret_name`]) and its fragment; for schemes other than PostgreSQL's, a user name
/// too (`https://TOKEN@host`). A URL that cannot be parsed shows only its scheme and host. Text
/// without a scheme is read as a libpq connection string (`host=db password=...`), whose
/// credential-looking values are hidden.
pub fn url(text: &str) -> String {
    if !text.contains("://") {
        return connection_string(text);
    }
    match url::Url::parse(text) {
        Ok(parsed) => parsed_url(parsed),
        Err(_) => unparsable_url(text),
    }
}

fn parsed_url(mut parsed: url::Url) -> String {
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = parsed.set_password(Some(HIDDEN));
    }
    let postgres = matches!(parsed.scheme(), "postgres" | "postgresql");
    if !postgres && !parsed.username().is_empty() {
        let _ = parsed.set_username(HIDDEN);
    }
    if parsed.query_pairs().any(|(name, _)| is_secret_name(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if is_secret_name(&name) {
                    HIDDEN.to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if parsed.fragment().is_some() {
        parsed.set_fragment(Some(HIDDEN));
    }
    parsed.to_string()
}

/// The scheme and the host part after the last `@` (cut before any path, query or fragment).
fn unparsable_url(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return "(unparsable URL)".into();
    };
    let host = rest
        .rsplit_once('@')
        .map_or(rest, |(_, host)| host)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let credentials = if rest.contains('@') { "***@" } else { "" };
    format!("{scheme}://{credentials}{host} (unparsable URL)")
}

/// `key=value` words with credential-looking keys hidden; other text is kept.
fn connection_string(text: &str) -> String {
    if !text.contains('=') {
        return text.to_owned();
    }
    text.split(' ')
        .map(|word| match word.split_once('=') {
            Some((key, _)) if is_secret_name(key) => format!("{key}={HIDDEN}"),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces the content of every `"..."` in `text` with `…`: serde quotes the offending value
/// in its messages, and a body may hold a secret (a newly created key).
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    let mut escaped = false;
    for c in text.chars() {
        if !inside {
            out.push(c);
            inside = c == '"';
        } else if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            out.push_str("…\"");
            inside = false;
        }
    }
    if inside {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARY-s3cr3t";

    #[test]
    fn hides_passwords_in_userinfo_and_query() {
        let shown = url(&format!(
            "postgres://custos:{CANARY}@db:5432/c?password={CANARY}&sslmode=require"
        ));
        assert!(!shown.contains(CANARY), "{shown}");
        assert!(
            shown.starts_with("postgres://custos:***@db:5432/c?"),
            "{shown}"
        );
        assert!(shown.contains("sslmode=require"), "{shown}");
    }

    #[test]
    fn hides_credential_looking_query_parameters_user_names_and_fragments() {
        for text in [
            format!("https://api.example/v1?key={CANARY}"),
            format!("https://api.example/v1?api_key={CANARY}&x=1"),
            format!("https://api.example/v1?Access_Token={CANARY}"),
            format!("https://api.example/v1?sig={CANARY}"),
            format!("https://{CANARY}@api.example/v1"),
            format!("https://api.example/v1#access_token={CANARY}"),
            format!("postgresql://u@h/db?sslpassword={CANARY}"),
        ] {
            let shown = url(&text);
            assert!(!shown.contains(CANARY), "{text} -> {shown}");
            assert!(shown.contains(HIDDEN), "{text} -> {shown}");
        }
        assert_eq!(
            url("https://api.example/v1?limit=5"),
            "https://api.example/v1?limit=5"
        );
    }

    #[test]
    fn unparsable_urls_and_connection_strings_hide_credentials() {
        let shown = url(&format!("postgres://u:{CANARY}@[bad/db?password={CANARY}"));
        assert!(!shown.contains(CANARY), "{shown}");
        assert!(shown.contains("unparsable"), "{shown}");
        let shown = url(&format!("host=db user=u password={CANARY} dbname=c"));
        assert_eq!(shown, "host=db user=u password=*** dbname=c");
        assert_eq!(url("custos.db"), "custos.db");
        assert_eq!(
            url("/var/lib/custos/custos.db"),
            "/var/lib/custos/custos.db"
        );
    }

    #[test]
    fn quoted_values_are_hidden() {
        assert_eq!(
            quoted(r#"invalid type: string "sk-\"x", expected u64 at line 1"#),
            r#"invalid type: string "…", expected u64 at line 1"#
        );
        assert_eq!(quoted("missing field `id`"), "missing field `id`");
        assert_eq!(quoted(r#"unterminated "sk-abc"#), r#"unterminated "…"#);
    }
}
