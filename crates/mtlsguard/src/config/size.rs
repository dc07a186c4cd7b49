//! `max-file-size` values: the same syntax for the flag and the config key.

use std::fmt;

use serde::Deserialize;

/// `max-file-size = 8388608` or `max-file-size = "8MiB"` (the `--max-file-size` syntax).
pub(super) enum SizeValue {
    Bytes(i64),
    Text(String),
}

/// What a bad `max-file-size` type is told it should be (and how its errors are found).
pub(super) const SIZE_EXPECTED: &str = "a number of bytes or a size such as \"16MiB\"";

// By hand rather than `#[serde(untagged)]`, whose error ("data did not match any variant")
// says neither what is expected nor which key.
impl<'de> Deserialize<'de> for SizeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SizeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(SIZE_EXPECTED)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SizeValue, E> {
                Ok(SizeValue::Bytes(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SizeValue, E> {
                Ok(SizeValue::Bytes(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SizeValue, E> {
                Ok(SizeValue::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Sizes as `--max-file-size` and `max-file-size` take them: `1048576`, `512KiB`, `16MiB`,
/// `1GiB` (also `K`, `M`, `KB`, `MB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 1048576, 512KiB, 16MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}` is not a size (e.g. 1048576, 512KiB, 16MiB)")),
    };
    match n.checked_mul(mult) {
        Some(0) => Err("the size limit must be positive".into()),
        Some(v) => Ok(v),
        None => Err(format!("`{s}` is too large")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse;
    use super::super::tests::err;
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
        let path = Path::new("/p/mtlsguard.toml");
        let c = parse("max-file-size = \"4MiB\"\n", path).unwrap();
        assert_eq!(c.max_file_size, Some(4 << 20));
        assert_eq!(
            err("max-file-size = \"4 parsecs\"\n"),
            "/p/mtlsguard.toml:1:17: key `max-file-size`: `4 parsecs` is not a size (e.g. 1048576, 512KiB, 16MiB)"
        );
        assert_eq!(
            err("max-file-size = true\n"),
            "/p/mtlsguard.toml:1:17: key `max-file-size`: invalid type: boolean `true`, expected a number of bytes or a size such as \"16MiB\""
        );
    }
}
