//! Checks on tool arguments before anything is sent: identifiers that go into URL paths, text
//! that goes into names and descriptions (bounded, no control or bidirectional-override
//! characters), and list sizes. Each failure names the argument.

use super::ToolError;

/// Characters that reorder how text is displayed (Trojan Source), never legitimate in a name.
const BIDI: [char; 12] = [
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

fn reject_hidden(argument: &str, value: &str, allow_newlines: bool) -> Result<(), ToolError> {
    if value
        .chars()
        .any(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\t')))
    {
        return Err(ToolError::invalid(argument, "contains control characters"));
    }
    if value.chars().any(|c| BIDI.contains(&c)) {
        return Err(ToolError::invalid(
            argument,
            "contains bidirectional-override characters, which disguise what the text says",
        ));
    }
    Ok(())
}

/// An identifier that goes into a URL path: no `/`, `\`, `..`, control characters; bounded.
/// Returned unchanged; the generated client percent-encodes it.
pub fn path_segment<'a>(argument: &str, value: &'a str) -> Result<&'a str, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::invalid(argument, "must not be empty"));
    }
    if value.len() > 256 {
        return Err(ToolError::invalid(
            argument,
            "is longer than 256 characters",
        ));
    }
    if value.contains('/')
        || value.contains('\\')
        || value == "."
        || value.contains("..")
        || value.chars().any(char::is_control)
    {
        return Err(ToolError::invalid(
            argument,
            "must be a single identifier: no `/`, `\\`, `..` or control characters",
        ));
    }
    reject_hidden(argument, value, false)?;
    Ok(value)
}

/// A single-line name or label: trimmed, non-empty, at most `max` characters.
pub fn name<'a>(argument: &str, value: &'a str, max: usize) -> Result<&'a str, ToolError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ToolError::invalid(argument, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(ToolError::invalid(
            argument,
            &format!("is longer than {max} characters"),
        ));
    }
    reject_hidden(argument, trimmed, false)?;
    Ok(trimmed)
}

/// Free text (a description, a prompt): may span lines, at most `max` characters; longer text
/// is refused rather than silently cut.
pub fn text<'a>(argument: &str, value: &'a str, max: usize) -> Result<&'a str, ToolError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > max {
        return Err(ToolError::invalid(
            argument,
            &format!(
                "is {} characters long; the server keeps at most {max}, so shorten it",
                trimmed.chars().count()
            ),
        ));
    }
    reject_hidden(argument, trimmed, true)?;
    Ok(trimmed)
}

/// A secret the server checks against its own policy: bounded so that nothing huge is sent.
pub fn secret<'a>(argument: &str, value: &'a str, max_bytes: usize) -> Result<&'a str, ToolError> {
    if value.is_empty() {
        return Err(ToolError::invalid(argument, "must not be empty"));
    }
    if value.len() > max_bytes {
        return Err(ToolError::invalid(
            argument,
            &format!("is longer than {max_bytes} bytes"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ToolError::invalid(argument, "contains control characters"));
    }
    Ok(value)
}

/// A list argument with at most `max` entries.
pub fn at_most<'a, T>(argument: &str, items: &'a [T], max: usize) -> Result<&'a [T], ToolError> {
    if items.len() > max {
        return Err(ToolError::invalid(
            argument,
            &format!("lists {} entries; at most {max} are accepted", items.len()),
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_and_sizes_are_refused_by_name() {
        assert!(name("n", "Shop", 255).is_ok());
        assert!(
            name("n", "Sh\u{202E}op", 255)
                .unwrap_err()
                .message
                .contains("`n`")
        );
        assert!(name("n", "a\u{7}b", 255).is_err());
        assert!(name("n", &"x".repeat(256), 255).is_err());
        assert!(text("d", "line one\nline two", 100).is_ok());
        let long = text("d", &"x".repeat(1025), 1024).unwrap_err().message;
        assert!(long.contains("1025") && long.contains("1024"), "{long}");
        assert!(secret("p", &"x".repeat(10 << 20), 1024).is_err());
        assert!(path_segment("id", "../x").is_err());
        assert!(at_most("claims", &[1, 2, 3], 2).is_err());
    }
}
