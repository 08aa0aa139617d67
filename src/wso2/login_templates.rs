//! Conditional login flows from named templates with parameters, never free-form script: MFA
//! only for given roles or groups, only outside trusted networks, only on a new device. Each
//! renders an adaptive-authentication script with the functions WSO2's own templates use
//! (`hasAnyOfTheRolesV2`, `isMemberOfAnyOfGroups`, `context.request.ip`, `getCookieValue` /
//! `setCookie`; see docs-is `guides/authentication/conditional-auth/*-template.md`). The first
//! line names the template and its parameters, so a script can be recognised again
//! ([`recognize`]) and checked to be exactly what the template produces.
//!
//! Every template runs step 1 for everyone and the remaining steps only when its condition
//! holds. Parameters are written into the script as JSON literals, so no value can break out
//! of its string.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::json;

const MARKER: &str = "// asgardeo-mcp login template: ";

/// When the steps after the first one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Condition {
    /// Only for users who have any of these roles (role names).
    Roles { roles: Vec<String> },
    /// Only for members of any of these groups (group names).
    Groups { groups: Vec<String> },
    /// Only when signing in from outside these IPv4 networks (CIDR, `10.0.0.0/8`).
    OutsideNetworks { networks: Vec<String> },
    /// Only on a device not seen for this user in the last `remember_days` days.
    NewDevice { remember_days: u32 },
    /// Every step, in order: what replaces a conditional script when a flow becomes plain.
    Sequential { steps: usize },
}

/// A parameter a template cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadParameter(pub String);

impl Condition {
    pub fn name(&self) -> &'static str {
        match self {
            Condition::Roles { .. } => "roles",
            Condition::Groups { .. } => "groups",
            Condition::OutsideNetworks { .. } => "outside_networks",
            Condition::NewDevice { .. } => "new_device",
            Condition::Sequential { .. } => "sequential",
        }
    }

    /// Checks the parameters; networks are normalised (`10.1.2.3/8` stays as written but
    /// must parse).
    pub fn validate(&self) -> Result<(), BadParameter> {
        let non_empty = |what: &str, values: &[String]| {
            if values.is_empty() {
                return Err(BadParameter(format!("give at least one {what}")));
            }
            if values.len() > 50 {
                return Err(BadParameter(format!("at most 50 {what}s")));
            }
            if let Some(bad) = values
                .iter()
                .find(|v| v.trim().is_empty() || v.len() > 255 || v.chars().any(char::is_control))
            {
                return Err(BadParameter(format!("`{bad}` is not a {what} name")));
            }
            Ok(())
        };
        match self {
            Condition::Roles { roles } => non_empty("role", roles),
            Condition::Groups { groups } => non_empty("group", groups),
            Condition::OutsideNetworks { networks } => {
                non_empty("network", networks)?;
                for network in networks {
                    parse_cidr(network).ok_or_else(|| {
                        BadParameter(format!(
                            "`{network}` is not an IPv4 network in CIDR form such as 10.0.0.0/8"
                        ))
                    })?;
                }
                Ok(())
            }
            Condition::NewDevice { remember_days } => {
                if (1..=3650).contains(remember_days) {
                    Ok(())
                } else {
                    Err(BadParameter(
                        "remember_days must be between 1 and 3650".into(),
                    ))
                }
            }
            Condition::Sequential { steps } => {
                if *steps >= 1 {
                    Ok(())
                } else {
                    Err(BadParameter("a flow has at least one step".into()))
                }
            }
        }
    }

    /// The script for a flow of `steps` steps (the condition guards steps 2..=steps).
    pub fn render(&self, steps: usize) -> String {
        let header = format!(
            "{MARKER}{}\n",
            serde_json::to_string(&json!({ "condition": self, "steps": steps }))
                .unwrap_or_default()
        );
        let later: String = (2..=steps.max(1))
            .map(|n| format!("                executeStep({n});\n"))
            .collect();
        let body = match self {
            Condition::Roles { roles } => format!(
                "var rolesToStepUp = {};\n\nvar onLoginRequest = function (context) {{\n    executeStep(1, {{\n        onSuccess: function (context) {{\n            // Only users with one of these roles continue to the next steps.\n            if (hasAnyOfTheRolesV2(context, rolesToStepUp)) {{\n{later}            }}\n        }}\n    }});\n}};\n",
                literal(roles)
            ),
            Condition::Groups { groups } => format!(
                "var groupsToStepUp = {};\n\nvar onLoginRequest = function (context) {{\n    executeStep(1, {{\n        onSuccess: function (context) {{\n            // Only members of one of these groups continue to the next steps.\n            if (isMemberOfAnyOfGroups(context.currentKnownSubject, groupsToStepUp)) {{\n{later}            }}\n        }}\n    }});\n}};\n",
                literal(groups)
            ),
            Condition::OutsideNetworks { networks } => format!(
                "var trustedNetworks = {};\n\nvar onLoginRequest = function (context) {{\n    executeStep(1, {{\n        onSuccess: function (context) {{\n            // Sign-ins from outside the trusted networks continue to the next steps.\n            if (!inAnyNetwork(context.request.ip, trustedNetworks)) {{\n{later}            }}\n        }}\n    }});\n}};\n\n{IPV4_FUNCTIONS}",
                literal(networks)
            ),
            Condition::NewDevice { remember_days } => {
                let later_with_cookie = later.replacen(
                    "executeStep(2);",
                    "executeStep(2, {\n                    onSuccess: function (context) {\n                        setCookie(context.response, deviceCookie, subject.uniqueId, {\n                            'sign': true, 'max-age': rememberSeconds, 'sameSite': 'LAX'\n                        });\n                    }\n                });",
                    1,
                );
                format!(
                    "var deviceCookie = 'asgardeoMcpKnownDevice';\nvar rememberSeconds = 60 * 60 * 24 * {remember_days};\n\nvar onLoginRequest = function (context) {{\n    executeStep(1, {{\n        onSuccess: function (context) {{\n            var subject = context.currentKnownSubject;\n            var known = getCookieValue(context.request, deviceCookie, {{ 'validateSignature': true }});\n            // A device without this user's signed cookie continues to the next steps.\n            if (known !== subject.uniqueId) {{\n{later_with_cookie}            }}\n        }}\n    }});\n}};\n"
                )
            }
            Condition::Sequential { .. } => {
                let all: String = (1..=steps.max(1))
                    .map(|n| format!("    executeStep({n});\n"))
                    .collect();
                format!("var onLoginRequest = function (context) {{\n{all}}};\n")
            }
        };
        header + &body
    }
}

const IPV4_FUNCTIONS: &str = "var ipv4ToNumber = function (ip) {
    var parts = String(ip).split('.');
    if (parts.length !== 4) {
        return -1;
    }
    var value = 0;
    for (var i = 0; i < 4; i++) {
        var part = parseInt(parts[i], 10);
        if (isNaN(part) || part < 0 || part > 255) {
            return -1;
        }
        value = value * 256 + part;
    }
    return value;
};

var inAnyNetwork = function (ip, networks) {
    var address = ipv4ToNumber(ip);
    if (address < 0) {
        return false;
    }
    for (var i = 0; i < networks.length; i++) {
        var cidr = networks[i].split('/');
        var size = Math.pow(2, 32 - parseInt(cidr[1], 10));
        var start = ipv4ToNumber(cidr[0]);
        start = start - (start % size);
        if (start >= 0 && address >= start && address < start + size) {
            return true;
        }
    }
    return false;
};
";

/// A list of names as a JavaScript array literal (JSON is valid JavaScript).
fn literal(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, bits) = text.trim().split_once('/')?;
    let bits: u8 = bits.parse().ok()?;
    (bits <= 32).then_some(())?;
    Some((addr.parse().ok()?, bits))
}

/// The template a script was rendered from, with its parameters and step count, if it is
/// exactly what that template produces.
pub fn recognize(script: &str) -> Option<(Condition, usize)> {
    let header = script.lines().next()?.strip_prefix(MARKER)?;
    #[derive(Deserialize)]
    struct Header {
        condition: Condition,
        steps: usize,
    }
    let Header { condition, steps } = serde_json::from_str(header).ok()?;
    (condition.render(steps) == script).then_some((condition, steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_script_is_recognised_and_an_edited_one_is_not() {
        let roles = Condition::Roles {
            roles: vec!["admin".into()],
        };
        let script = roles.render(2);
        assert!(script.contains("hasAnyOfTheRolesV2(context, rolesToStepUp)"));
        assert!(script.contains("var rolesToStepUp = [\"admin\"];"));
        assert_eq!(recognize(&script), Some((roles, 2)));
        let body_edited = script.replace("executeStep(2);", "executeStep(2); executeStep(3);");
        assert_eq!(
            recognize(&body_edited),
            None,
            "the body must be the template's own"
        );
        assert_eq!(recognize("var onLoginRequest = 1;"), None);
    }

    #[test]
    fn values_cannot_break_out_of_their_strings() {
        let hostile = Condition::Groups {
            groups: vec!["x\"]; executeStep(9); //".into()],
        };
        let script = hostile.render(2);
        assert!(
            script.contains(r#"["x\"]; executeStep(9); //"]"#),
            "{script}"
        );
        assert_eq!(recognize(&script).map(|(c, _)| c), Some(hostile));
    }

    #[test]
    fn every_later_step_is_guarded() {
        let script = Condition::Roles {
            roles: vec!["admin".into()],
        }
        .render(3);
        assert!(script.contains("executeStep(2);") && script.contains("executeStep(3);"));
        let device = Condition::NewDevice { remember_days: 30 }.render(2);
        assert!(device.contains("setCookie(context.response, deviceCookie"));
        assert!(device.contains("60 * 60 * 24 * 30"));
        let plain = Condition::Sequential { steps: 2 }.render(2);
        assert!(plain.contains("    executeStep(1);\n    executeStep(2);\n"));
    }

    #[test]
    fn parameters_are_checked() {
        let bad_net = Condition::OutsideNetworks {
            networks: vec!["10.0.0.0/40".into()],
        };
        assert!(bad_net.validate().is_err());
        let good_net = Condition::OutsideNetworks {
            networks: vec!["10.0.0.0/8".into(), "192.168.1.0/24".into()],
        };
        assert!(good_net.validate().is_ok());
        assert!(Condition::Roles { roles: vec![] }.validate().is_err());
        assert!(
            Condition::NewDevice { remember_days: 0 }
                .validate()
                .is_err()
        );
    }
}
