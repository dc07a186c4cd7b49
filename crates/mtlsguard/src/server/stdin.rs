//! A sanitizing front for stdin.
//!
//! tower-lsp-server decodes stdin with a `tokio_util` `FramedRead`, which ends the stream
//! after the first decode error: one malformed message (bad JSON, a wrong-typed `id`, an
//! unsupported `Content-Type`) would make the server stop reading and exit. So the server
//! reads the framing itself and forwards only messages tower-lsp can decode. Anything else
//! becomes a `mtlsguard/invalidMessage` request with `id: null`, whose handler answers
//! with the JSON-RPC error (`-32700` parse error / `-32600` invalid request, `id: null`)
//! and logs it, exactly what the spec asks for a message that cannot be read.
//!
//! After a frame whose length was missing, bad or too short, the reader gets back in step
//! at the next `Content-Length` header. Memory stays bounded whatever arrives: header lines
//! are cut short, and a body over the limit is skipped unread.

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};

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

/// Header lines are kept up to this length; of a longer one (garbage), only its end.
const MAX_HEADER_LINE: usize = 8 * 1024;
const KEPT_TAIL: usize = 1024;

/// Reads a line into `line` (cleared first) like `read_until(b'\n')`, but keeps only the
/// last [`KEPT_TAIL`] bytes of a line longer than [`MAX_HEADER_LINE`]: a client sending
/// garbage without line breaks must not make the server buffer all of it. Returns whether
/// anything was read (false at the end of the input).
async fn read_header_line<R: AsyncBufRead + Unpin>(
    input: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let buf = input.fill_buf().await?;
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        line.extend_from_slice(&buf[..take]);
        input.consume(take);
        if line.len() > MAX_HEADER_LINE {
            line.drain(..line.len() - KEPT_TAIL);
        }
        if done {
            return Ok(true);
        }
    }
}

/// Where a `Content-Length` header starts after other text on a line: the body of a message
/// whose length was missing, wrong or too short runs on into the next message's header,
/// with no line break in between. Taking the last one puts the reader back in step,
/// instead of losing every message that follows.
fn resync_point(line: &str) -> Option<usize> {
    line.to_ascii_lowercase()
        .rfind("content-length:")
        .filter(|&i| i > 0)
}

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
        let mut seen = false;
        loop {
            if !read_header_line(&mut input, &mut line).await? {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let mut text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                // Blank lines between messages are tolerated; one after any line ends the
                // headers (even garbage ones: it is answered, not merged with what follows).
                if seen {
                    break;
                }
                continue;
            }
            seen = true;
            if let Some(at) = resync_point(text) {
                // What comes before is garbage, usually the rest of a broken frame (answered).
                text = &text[at..];
            }
            if let Some((name, value)) = text.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|e| format!("bad Content-Length {value:?}: {e}")),
                );
            }
            // Other headers (`Content-Type`) and garbage are ignored.
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
                // Answered at once: the declared length may never arrive.
                let error = invalid(
                    INVALID_REQUEST,
                    format!("Invalid request: a {len}-byte message is too large"),
                );
                let body = serde_json::to_vec(&error).expect("a JSON value serializes");
                if write_frame(&mut output, &body).await.is_err() {
                    return Ok(());
                }
                // Skipped unread, so that a client whose length is honest stays in step.
                let skipped =
                    tokio::io::copy(&mut (&mut input).take(len as u64), &mut tokio::io::sink())
                        .await?;
                if skipped < len as u64 {
                    return Ok(());
                }
                continue;
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

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[tokio::test]
    async fn back_in_step_after_a_bad_missing_or_short_length() {
        // Each broken frame's body runs on into the next header without a line break; that
        // next message used to be read as garbage, and so on for every message after it.
        let good = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let mut input = String::new();
        for broken in [
            format!("Content-Length: -5\r\n\r\n{good}"),
            format!("Content-Length: abc\r\n\r\n{good}"),
            format!("Content-Type: application/vscode-jsonrpc\r\n\r\n{good}"),
            format!("Content-Length: 5\r\n\r\n{good}"),
            format!("CONTENT-LENGTH: 7\r\n\r\n{good}"),
        ] {
            input.push_str(&broken);
            input.push_str(&framed(good));
        }
        let out = run(input.as_bytes()).await;
        let methods: Vec<&str> = out.iter().map(|m| m["method"].as_str().unwrap()).collect();
        assert_eq!(methods, [INVALID_MESSAGE, "shutdown"].repeat(5), "{out:#?}");
    }

    #[tokio::test]
    async fn too_large_is_answered_before_its_body_arrives() {
        let out = run(b"Content-Length: 99999999999\r\n\r\n{}").await;
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0]["params"]["code"], INVALID_REQUEST);
    }

    #[tokio::test]
    async fn header_lines_are_bounded() {
        let mut input = vec![b'x'; 1 << 20];
        input.extend_from_slice(b"Content-Length: 5\r\n");
        let mut reader = BufReader::new(&input[..]);
        let mut line = Vec::new();
        assert!(read_header_line(&mut reader, &mut line).await.unwrap());
        assert!(line.len() <= MAX_HEADER_LINE, "{}", line.len());
        assert!(line.ends_with(b"xContent-Length: 5\r\n"));
        assert!(!read_header_line(&mut reader, &mut line).await.unwrap());
    }

    #[tokio::test]
    async fn truncated_input_ends_quietly() {
        assert!(run(b"Content-Length: 100\r\n\r\n{").await.is_empty());
    }
}
