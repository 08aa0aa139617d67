//! Whether a redirect URL matches an application's registered callback, as the server decides
//! it (identity-inbound-auth-oauth, `AbstractResponseTypeRequestValidator.validateCallbackURI`):
//! equal strings, or for `regexp=…` a full match of the expression; and for a loopback address
//! (`127.0.0.1`, `[::1]`) the port is ignored on both sides (RFC 8252 §7.3).

/// `registered` is the single callback the server stores (`regexp=(a|b)` when there are several).
pub fn matches(registered: &str, given: &str) -> bool {
    let regexp = registered.strip_prefix("regexp=");
    let loopback = given.contains("127.0.0.1") || given.contains("[::1]");
    let given = if loopback {
        strip_loopback_port(given)
    } else {
        given.to_owned()
    };
    match regexp {
        Some(expression) => {
            let expression = if loopback {
                strip_loopback_port(expression)
            } else {
                expression.to_owned()
            };
            regex::Regex::new(&format!("^(?:{expression})$")).is_ok_and(|re| re.is_match(&given))
        }
        None if loopback => strip_loopback_port(registered) == given,
        None => registered == given,
    }
}

/// Removes every `:port` that follows `127.0.0.1`, `127\.0\.0\.1` (inside an expression) or
/// `[::1]` (the server's `LOOPBACK_IP_PORT_REGEX`).
fn strip_loopback_port(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while !rest.is_empty() {
        let next = ["127.0.0.1", r"127\.0\.0\.1", "[::1]", r"\[::1\]"]
            .iter()
            .filter_map(|host| rest.find(host).map(|at| (at, host.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        if let Some(after) = rest.strip_prefix(':') {
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            if (1..=5).contains(&digits) {
                rest = &after[digits..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_plain_callback_matches_only_itself() {
        assert!(matches("https://app.example/cb", "https://app.example/cb"));
        assert!(!matches(
            "https://app.example/cb",
            "https://app.example/cb/"
        ));
        assert!(!matches(
            "https://app.example/cb",
            "https://evil.example/cb"
        ));
    }

    #[test]
    fn a_regexp_callback_must_match_whole() {
        let registered = r"regexp=(https://a\.example/cb|https://b\.example/cb)";
        assert!(matches(registered, "https://a.example/cb"));
        assert!(matches(registered, "https://b.example/cb"));
        assert!(!matches(registered, "https://a.example/cb/more"));
        assert!(!matches(registered, "https://c.example/cb"));
        assert!(!matches("regexp=(unclosed", "unclosed"));
    }

    #[test]
    fn loopback_ports_are_ignored_but_hosts_and_paths_are_not() {
        assert!(matches("http://127.0.0.1:3000", "http://127.0.0.1:51234"));
        assert!(matches("http://[::1]:3000/cb", "http://[::1]:8080/cb"));
        assert!(matches(
            r"regexp=(http://127\.0\.0\.1:3000/cb|https://a\.example)",
            "http://127.0.0.1:4000/cb"
        ));
        assert!(!matches(
            "http://127.0.0.1:3000/cb",
            "http://127.0.0.1:3000/other"
        ));
        assert!(!matches("http://localhost:3000", "http://localhost:3001"));
        assert!(!matches("http://localhost:3000", "http://127.0.0.1:3000"));
    }
}
