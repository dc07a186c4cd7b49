//! A sanitizing front for stdin.
//!
//! tower-lsp-server decodes stdin with a `tokio_util` `FramedRead`, which ends the stream
//! after the first decode error: one malformed message (bad JSON, a wrong-typed `id`, an
//! unsupported `Content-Type`) would make the server stop reading and exit. So the server
//! reads the framing itself and forwards only messages tower-lsp can decode. Anything else
//! becomes a `mtlsguard/invalidMessage` request with `id: null`, whose handler answers
//! with the JSON-RPC error (`-32700` parse error / `-32600` invalid request, `id: null`)
//! and logs it, exactly what the spec asks for a message that cannot be read.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// The method that carries an unreadable message to the handler.
pub const INVALID_MESSAGE: &str = "mtlsguard/invalidMessage";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;

/// Why a frame cannot be passed on as it is.
fn invalid(code: i64, message: String) -> Value {
    json!({ "jsonrpc": "2.0", "id": null, "method": INVALID_MESSAGE, "params": { "code": code, "message": message } })
}

fn valid_id(id: Option<&Value>) -> bool {
    match id {
        None | Some(Value::Null | Value::String(_)) => true,
        Some(Value::Number(n)) => n.is_i64(),
        Some(_) => false,
    }
}

/// Checks a body the way tower-lsp's decoder will read it (a request, notification or
/// response with `"jsonrpc": "2.0"`, a string `method`, an integer/string/null `id`).
/// `Err` holds the replacement message.
pub fn check(body: &[u8]) -> Result<(), Value> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Err(invalid(PARSE_ERROR, format!("Parse error: {e}"))),
    };
    let Some(obj) = value.as_object() else {
        return Err(invalid(
            INVALID_REQUEST,
            "Invalid request: a message must be a JSON object".into(),
        ));
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(
            INVALID_REQUEST,
            "Invalid request: \"jsonrpc\" must be \"2.0\"".into(),
        ));
    }
    if !valid_id(obj.get("id")) {
        return Err(invalid(
            INVALID_REQUEST,
            "Invalid request: \"id\" must be an integer or a string".into(),
        ));
    }
    if obj.get("method").is_some_and(|m| !m.is_string()) {
        return Err(invalid(
            INVALID_REQUEST,
            "Invalid request: \"method\" must be a string".into(),
        ));
    }
    Ok(())
}

async fn write_frame<W: AsyncWrite + Unpin>(out: &mut W, body: &[u8]) -> std::io::Result<()> {
    out.write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    out.write_all(body).await?;
    out.flush().await
}

/// Largest body accepted; larger ones are skipped (and reported) without being buffered.
const MAX_BODY: usize = 512 * 1024 * 1024;

/// Copies framed messages from `input` to `output`, replacing unreadable ones. Returns at
/// the end of `input` (or when `output` is closed).
pub async fn sanitize<R, W>(input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        // Headers: lines up to an empty one. Lines that are not headers are garbage.
        let mut length: Option<Result<usize, String>> = None;
        let mut garbage = false;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if length.is_some() || garbage {
                    break;
                }
                continue;
            }
            match text.split_once(':') {
                Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                    length = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .map_err(|e| format!("bad Content-Length {value:?}: {e}")),
                    );
                }
                Some((name, _))
                    if !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {}
                _ => garbage = true,
            }
        }
        let replacement = match length {
            Some(Ok(len)) if len <= MAX_BODY => {
                let mut body = Vec::with_capacity(len.min(1 << 20));
                (&mut input).take(len as u64).read_to_end(&mut body).await?;
                if body.len() < len {
                    return Ok(());
                }
                match check(&body) {
                    Ok(()) => {
                        if write_frame(&mut output, &body).await.is_err() {
                            return Ok(());
                        }
                        continue;
                    }
                    Err(replacement) => replacement,
                }
            }
            Some(Ok(len)) => {
                let skipped =
                    tokio::io::copy(&mut (&mut input).take(len as u64), &mut tokio::io::sink())
                        .await?;
                if skipped < len as u64 {
                    return Ok(());
                }
                invalid(
                    INVALID_REQUEST,
                    format!("Invalid request: a {len}-byte message is too large"),
                )
            }
            Some(Err(e)) => invalid(PARSE_ERROR, format!("Parse error: {e}")),
            None => invalid(
                PARSE_ERROR,
                "Parse error: a message without a Content-Length header".into(),
            ),
        };
        let body = serde_json::to_vec(&replacement).expect("a JSON value serializes");
        if write_frame(&mut output, &body).await.is_err() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(input: &[u8]) -> Vec<Value> {
        let (mut tx, rx) = tokio::io::duplex(1 << 16);
        let out = tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut rx = rx;
            rx.read_to_end(&mut buf).await.unwrap();
            buf
        });
        sanitize(input, &mut tx).await.unwrap();
        drop(tx);
        let bytes = out.await.unwrap();
        let text = String::from_utf8(bytes).unwrap();
        text.split("Content-Length: ")
            .filter(|s| !s.is_empty())
            .map(|frame| serde_json::from_str(frame.split_once("\r\n\r\n").unwrap().1).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn passes_good_messages_and_replaces_bad_ones() {
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let mut input = format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=latin1\r\n\r\n{good}",
            good.len()
        );
        for bad in [
            "not json!",
            "[]",
            r#"{"jsonrpc":"1.0","method":"x"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#,
            r#"{"jsonrpc":"2.0","method":5}"#,
        ] {
            input.push_str(&format!("Content-Length: {}\r\n\r\n{bad}", bad.len()));
        }
        input.push_str("garbage line\r\n\r\nContent-Length: x\r\n\r\n");
        input.push_str(&format!("Content-Length: {}\r\n\r\n{good}", good.len()));
        let out = run(input.as_bytes()).await;
        assert_eq!(out.len(), 9, "{out:#?}");
        assert_eq!(out[0]["method"], "shutdown");
        assert_eq!(out[1]["params"]["code"], PARSE_ERROR);
        for m in &out[2..6] {
            assert_eq!(m["params"]["code"], INVALID_REQUEST, "{m}");
            assert_eq!(m["id"], Value::Null);
        }
        assert_eq!(out[6]["params"]["code"], PARSE_ERROR);
        assert_eq!(out[7]["params"]["code"], PARSE_ERROR);
        assert_eq!(out[8]["method"], "shutdown");
    }

    #[tokio::test]
    async fn truncated_input_ends_quietly() {
        assert!(run(b"Content-Length: 100\r\n\r\n{").await.is_empty());
    }
}
