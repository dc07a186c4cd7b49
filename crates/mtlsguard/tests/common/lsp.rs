//! A minimal LSP client for end-to-end tests: spawns `mtlsguard server`, frames JSON-RPC
//! by hand (`Content-Length`), answers the server's requests, and collects what it sends.
//!
//! Every wait has a generous timeout (these are correctness tests, not speed tests) and
//! fails the test with the messages seen so far instead of hanging.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A running server and the client side of its stdio.
pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages received but not yet consumed by a wait.
    backlog: VecDeque<Value>,
    /// Every notification received, in order (for assertions after the fact).
    pub notifications: Vec<Value>,
    next_id: i64,
    /// Answers to the server's `workspace/configuration` requests.
    pub configuration: Mutex<Value>,
}

/// Reads one framed message; `None` at end of stream.
pub fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Spawns `mtlsguard server --stdio` with extra environment variables.
    pub fn spawn_with_env(env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(super::mtlsguard_bin());
        cmd.args(["server", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn mtlsguard server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            incoming: rx,
            backlog: VecDeque::new(),
            notifications: Vec::new(),
            next_id: 1,
            configuration: Mutex::new(Value::Null),
        }
    }

    pub fn spawn() -> Client {
        Client::spawn_with_env(&[])
    }

    /// Writes raw bytes to the server's stdin (for hostile-input tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("serialize");
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend_from_slice(&body);
        self.send_raw(&framed);
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id without waiting.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Sends a request and waits for its response (`Ok(result)` or `Err(error)`).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.response(id)
    }

    /// Waits for the response to request `id`.
    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let msg = self.wait_for(&format!("the response to request {id}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        });
        match msg.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    fn receive(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(msg) => {
                self.handle_server_request(&msg);
                if msg.get("id").is_none() {
                    self.notifications.push(msg.clone());
                }
                Some(msg)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Answers requests from the server (registrations, configuration, documents to show).
    fn handle_server_request(&mut self, msg: &Value) {
        let (Some(id), Some(method)) = (msg.get("id"), msg.get("method").and_then(Value::as_str))
        else {
            return;
        };
        let result = match method {
            "workspace/configuration" => {
                let n = msg["params"]["items"].as_array().map_or(1, Vec::len);
                let conf = self.configuration.lock().unwrap().clone();
                Value::Array(vec![conf; n])
            }
            "window/showDocument" => json!({ "success": true }),
            _ => Value::Null,
        };
        let reply = json!({ "jsonrpc": "2.0", "id": id, "result": result });
        self.send(&reply);
    }

    /// Waits for a message matching `pred` (earlier non-matching ones stay for later waits).
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i).expect("index in range");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.receive(deadline) {
                Some(msg) if pred(&msg) => return msg,
                Some(msg) => self.backlog.push_back(msg),
                None => panic!(
                    "timed out waiting for {what}; unconsumed messages: {:#?}",
                    self.backlog
                ),
            }
        }
    }

    /// Collects whatever arrives within `quiet` of silence (to check that nothing else came).
    pub fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out: Vec<Value> = self.backlog.drain(..).collect();
        while let Some(msg) = self.receive(Instant::now() + quiet) {
            out.push(msg);
        }
        out
    }

    /// `initialize` + `initialized` with the given client capabilities and options.
    pub fn initialize(&mut self, capabilities: Value, initialization_options: Value) -> Value {
        let result = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": null,
                    "capabilities": capabilities,
                    "initializationOptions": initialization_options,
                }),
            )
            .expect("initialize succeeds");
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, uri: &str, language_id: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": version, "text": text } }),
        );
    }

    /// One incremental change: `range` is `[[line, character], [line, character]]`.
    pub fn change(&mut self, uri: &str, version: i64, range: [[u32; 2]; 2], text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": lsp_range(range), "text": text }],
            }),
        );
    }

    pub fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    pub fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }

    /// Waits for `publishDiagnostics` for `uri` with exactly `version` (`None`: without one).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let msg = self.wait_for(&format!("diagnostics for {uri} version {version:?}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"].get("version").and_then(Value::as_i64) == version
        });
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn code_actions(
        &mut self,
        uri: &str,
        range: [[u32; 2]; 2],
        only: Option<&[&str]>,
    ) -> Vec<Value> {
        let mut context = json!({ "diagnostics": [] });
        if let Some(only) = only {
            context["only"] = json!(only);
        }
        let result = self
            .request(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": lsp_range(range), "context": context }),
            )
            .expect("codeAction succeeds");
        result.as_array().cloned().unwrap_or_default()
    }

    pub fn syntax_tree(&mut self, uri: &str) -> Result<String, Value> {
        self.request(
            "workspace/executeCommand",
            json!({ "command": "mtlsguard.syntaxTree", "arguments": [uri] }),
        )
        .map(|v| v.as_str().unwrap_or_default().to_owned())
    }

    /// `shutdown` then `exit`; returns the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        self.request("shutdown", Value::Null)
            .expect("shutdown succeeds");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    /// Waits for the process to end (killing it after the timeout).
    pub fn wait_exit(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id (for reading its memory use from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().map(|s| s.is_none()).unwrap_or(false)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn lsp_range(r: [[u32; 2]; 2]) -> Value {
    json!({ "start": { "line": r[0][0], "character": r[0][1] }, "end": { "line": r[1][0], "character": r[1][1] } })
}

/// Client capabilities: UTF-8 or UTF-16 positions, push diagnostics with related
/// information, `documentChanges` edits.
pub fn capabilities(utf8: bool) -> Value {
    let encodings = if utf8 {
        json!(["utf-8", "utf-16"])
    } else {
        json!(["utf-16"])
    };
    json!({
        "general": { "positionEncodings": encodings },
        "textDocument": {
            "publishDiagnostics": { "relatedInformation": true, "versionSupport": true },
            "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "source.fixAll"] } } },
        },
        "workspace": {
            "workspaceEdit": { "documentChanges": true },
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "configuration": true,
        },
    })
}

/// Byte offset of an LSP position in `text` (`utf8`: byte columns, else UTF-16), clamped
/// like the spec says: past the line end is the line end.
pub fn offset(text: &str, line: u64, character: u64, utf8: bool) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find(['\n', '\r']) {
            Some(i) => {
                let at = start + i;
                start = if text[at..].starts_with("\r\n") {
                    at + 2
                } else {
                    at + 1
                };
            }
            None => return text.len(),
        }
    }
    let end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| start + i);
    let mut units = 0u64;
    for (i, c) in text[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += if utf8 { c.len_utf8() } else { c.len_utf16() } as u64;
    }
    end
}

/// The LSP position of a byte offset in `text`.
pub fn position(text: &str, byte: usize, utf8: bool) -> (u64, u64) {
    let before = &text[..byte];
    let mut line = 0;
    let mut line_start = 0;
    let b = before.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            line += 1;
            line_start = i + 1;
        }
        i += 1;
    }
    let col = &text[line_start..byte];
    let character = if utf8 {
        col.len()
    } else {
        col.encode_utf16().count()
    };
    (line, character as u64)
}

/// Applies LSP `TextEdit`s (non-overlapping, positions in the original text) to `text`.
pub fn apply_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let r = &e["range"];
            let pos = |p: &Value| {
                offset(
                    text,
                    p["line"].as_u64().unwrap(),
                    p["character"].as_u64().unwrap(),
                    utf8,
                )
            };
            (
                pos(&r["start"]),
                pos(&r["end"]),
                e["newText"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = String::new();
    let mut at = 0;
    for (s, e, t) in spans {
        assert!(s >= at, "overlapping edits");
        out.push_str(&text[at..s]);
        out.push_str(&t);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

/// The edits a `WorkspaceEdit` makes to `uri` (from `documentChanges` or `changes`), and
/// the version it names, if any.
pub fn edits_for(edit: &Value, uri: &str) -> (Vec<Value>, Option<i64>) {
    if let Some(changes) = edit["documentChanges"].as_array() {
        for c in changes {
            if c["textDocument"]["uri"] == uri {
                return (
                    c["edits"].as_array().cloned().unwrap_or_default(),
                    c["textDocument"]["version"].as_i64(),
                );
            }
        }
        return (Vec::new(), None);
    }
    (
        edit["changes"][uri].as_array().cloned().unwrap_or_default(),
        None,
    )
}

/// An ARM template's `$schema`.
pub const SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";

/// A site with one finding (`clientCertMode: 'Optional'`, line 5, columns 4..30) and a
/// safe fix.
pub const APP_BICEP: &str = "\
resource app 'Microsoft.Web/sites@2022-03-01' = {
  name: 'internal-api'
  properties: {
    publicNetworkAccess: 'Disabled'
    clientCertEnabled: true
    clientCertMode: 'Optional'
  }
}
";

/// A server initialized with [`capabilities`]`(utf8)` and no options.
pub fn started(utf8: bool) -> Client {
    let mut c = Client::spawn();
    c.initialize(capabilities(utf8), Value::Null);
    c
}

/// The title of a code action.
pub fn title(a: &Value) -> &str {
    a["title"].as_str().unwrap_or_default()
}

/// The rule ids of `diags`, in order.
pub fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `[[line, character], [line, character]]` range of a diagnostic or location.
pub fn range_of(d: &Value) -> [[u32; 2]; 2] {
    let r = &d["range"];
    let p = |p: &Value| {
        [
            p["line"].as_u64().unwrap() as u32,
            p["character"].as_u64().unwrap() as u32,
        ]
    };
    [p(&r["start"]), p(&r["end"])]
}

/// A test-side model of an open document: its text and version, with edits sent as
/// ranged changes (UTF-16 positions, as the session negotiated).
pub struct Doc {
    pub uri: String,
    pub text: String,
    pub version: i64,
}

impl Doc {
    pub fn open(c: &mut Client, uri: &str, lang: &str, text: &str) -> Doc {
        c.open(uri, lang, 1, text);
        Doc {
            uri: uri.to_owned(),
            text: text.to_owned(),
            version: 1,
        }
    }

    /// Replaces the bytes `at` with `insert`, as one `didChange`.
    pub fn edit(&mut self, c: &mut Client, at: std::ops::Range<usize>, insert: &str) {
        let p = |b| {
            let (l, ch) = position(&self.text, b, false);
            [l as u32, ch as u32]
        };
        let range = [p(at.start), p(at.end)];
        self.text.replace_range(at, insert);
        self.version += 1;
        c.change(&self.uri, self.version, range, insert);
    }

    /// Replaces the first `from` with `to`.
    pub fn replace(&mut self, c: &mut Client, from: &str, to: &str) {
        let at = self.text.find(from).expect("the text to replace is there");
        self.edit(c, at..at + from.len(), to);
    }

    pub fn diagnostics(&self, c: &mut Client) -> Vec<Value> {
        c.diagnostics(&self.uri, Some(self.version))
    }
}
