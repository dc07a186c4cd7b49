//! Which files are analyzed, and as which language (spec section 1).

use super::Language;

/// Which language a path is analyzed as, if any (`.json`/`.jsonc` still need [`is_arm_template`]).
pub fn language_for_path(path: &str) -> Option<Language> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".bicep") || lower.ends_with(".bicepparam") {
        Some(Language::Bicep)
    } else if lower.ends_with(".json") || lower.ends_with(".jsonc") {
        Some(Language::Json)
    } else {
        None
    }
}

/// True when the root object's `$schema` names a deployment template (spec section 1),
/// case-insensitively.
pub fn is_arm_template(text: &str) -> bool {
    root_schema(text).is_some_and(|v| v.to_ascii_lowercase().contains("deploymenttemplate.json"))
}

/// True when the root object's `$schema` names a deployment parameters file (spec
/// section 1): read for the template it sets the parameters of, never checked itself.
pub fn is_arm_parameters(text: &str) -> bool {
    root_schema(text).is_some_and(is_parameters_schema)
}

/// True when a `$schema` value names a deployment parameters file.
pub(crate) fn is_parameters_schema(schema: &str) -> bool {
    schema
        .to_ascii_lowercase()
        .contains("deploymentparameters.json")
}

/// The raw text of the root object's first `$schema` string value, if it has one.
///
/// A cheap textual scan: finds the first `"$schema"` key at nesting depth one, skipping
/// strings and comments; any other value than a string is none.
fn root_schema(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut last_key_at_depth1: Option<(usize, usize)> = None;
    let mut expect_value_for_schema = false;
    while i < b.len() {
        if let Some(end) = crate::text::comment_end(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = i.min(b.len());
                if expect_value_for_schema {
                    return text.get(start..end);
                }
                if depth == 1 {
                    last_key_at_depth1 = Some((start, end));
                }
            }
            b':' if depth == 1 => {
                if let Some((s, e)) = last_key_at_depth1.take() {
                    expect_value_for_schema = &b[s..e] == b"$schema";
                }
            }
            b'{' | b'[' => {
                if expect_value_for_schema {
                    return None;
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return None;
                }
            }
            b',' => {
                if expect_value_for_schema {
                    return None;
                }
                last_key_at_depth1 = None;
            }
            c if !c.is_ascii_whitespace() && expect_value_for_schema => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_arm_templates() {
        assert!(is_arm_template(
            "\u{feff}{ // c\n \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/DeploymentTemplate.json#\" }"
        ));
        assert!(is_arm_template(
            r#"{"a": {"$schema": "x"}, "$schema": "subscriptionDeploymentTemplate.json#"}"#
        ));
        assert!(!is_arm_template(
            r#"{"a": {"$schema": "deploymentTemplate.json"}}"#
        ));
        assert!(!is_arm_template(
            r#"{"$schema": "deploymentParameters.json"}"#
        ));
        assert!(!is_arm_template(r#"{"name": "deploymentTemplate.json"}"#));
        assert!(!is_arm_template("[1,2]"));
        assert!(!is_arm_template(""));
    }

    #[test]
    fn detects_arm_parameters_files() {
        assert!(is_arm_parameters(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}"#
        ));
        assert!(is_arm_parameters(
            "\u{feff}// c\n{ \"contentVersion\": \"1.0.0.0\", \"$schema\": \"HTTPS://X/DeploymentParameters.JSON#\" }"
        ));
        assert!(!is_arm_parameters(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}"#
        ));
        assert!(!is_arm_template(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"}"#
        ));
        assert!(!is_arm_parameters(
            r#"{"a": {"$schema": "deploymentParameters.json"}}"#
        ));
        assert!(!is_arm_parameters(
            r#"{"name": "deploymentParameters.json"}"#
        ));
        assert!(!is_arm_parameters(
            r#"{"$schema": "https://json.schemastore.org/package.json"}"#
        ));
        assert!(!is_arm_parameters("[1,2]"));
        assert!(!is_arm_parameters(""));
    }

    #[test]
    fn every_deployment_scope_is_a_template() {
        for schema in [
            "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
            "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
            "HTTPS://SCHEMA.MANAGEMENT.AZURE.COM/SCHEMAS/2015-01-01/DEPLOYMENTTEMPLATE.JSON#",
        ] {
            assert!(
                is_arm_template(&format!(r#"{{"$schema": "{schema}"}}"#)),
                "{schema}"
            );
        }
    }

    #[test]
    fn schema_detection_skips_comments_and_strings() {
        // Comments anywhere, including between key, colon and value.
        assert!(is_arm_template(
            "/* header */\n{\n  // \"$schema\": \"nope\"\n  \"$schema\" /* k */ : // v\n \"deploymentTemplate.json\"\n}"
        ));
        // `$schema` after other members, whose values hold braces, quotes and the name.
        assert!(is_arm_template(
            r#"{"contentVersion": "1.0", "x": "}{\"$schema\"", "y": ["$schema"], "$schema": "deploymentTemplate.json"}"#
        ));
        // A string value that reads "$schema" is not the key.
        assert!(!is_arm_template(
            r#"{"a": "$schema", "b": "deploymentTemplate.json"}"#
        ));
        // The value must be a string.
        assert!(!is_arm_template(
            r#"{"$schema": {"x": "deploymentTemplate.json"}}"#
        ));
        assert!(!is_arm_template(
            r#"{"$schema": ["deploymentTemplate.json"]}"#
        ));
        assert!(!is_arm_template(
            r#"{"$schema": 1, "y": "deploymentTemplate.json"}"#
        ));
        // Property names are case-sensitive.
        assert!(!is_arm_template(
            r#"{"$Schema": "deploymentTemplate.json"}"#
        ));
        // Unterminated input never panics.
        for broken in [
            "{",
            "{\"$schema",
            "{\"$schema\":",
            "{\"$schema\": \"deploy",
            "{/*",
            "\"",
            "{\"a\\",
        ] {
            assert!(!is_arm_template(broken), "{broken}");
        }
        assert!(is_arm_template("{\"$schema\": \"deploymentTemplate.json\""));
    }
}
