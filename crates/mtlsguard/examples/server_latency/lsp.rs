//! The LSP client: spawns `mtlsguard server --stdio` and speaks to it over stdio.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long one wait may take before the benchmark gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The `mtlsguard` binary to measure: `MTLSGUARD_BIN`, or the one of this example's profile
/// (`target/<profile>/examples/server_latency` → `target/<profile>/mtlsguard`), built
/// first so that it is never stale (`CARGO_BIN_EXE_*` exists only for tests and benches).
pub fn mtlsguard_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("MTLSGUARD_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("the example knows its own path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("examples live in target/<profile>/examples");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("debug");
        let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "-p",
                "mtlsguard",
                "--bin",
                "mtlsguard",
                "--target-dir",
            ])
            .arg(target_dir);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd.status().expect("cargo runs");
        assert!(status.success(), "cargo build -p mtlsguard failed");
        let bin = profile_dir.join(format!("mtlsguard{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "{} was not built", bin.display());
        bin
    })
}

/// Reads one `Content-Length`-framed message; `None` at end of stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
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

pub struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    pub fn spawn() -> Server {
        Server::spawn_in(None)
    }

    /// A server whose workspace folder is `folder` (indexed at `initialized`), for a
    /// client that shows work-done progress, so that the server says when indexing ends.
    pub fn spawn_in(folder: Option<&Path>) -> Server {
        Server::spawn_with(folder, false)
    }

    /// As [`Server::spawn_in`], for a client that pulls diagnostics (`textDocument/diagnostic`
    /// and `workspace/diagnostic`) as VS Code does, instead of taking them published.
    pub fn spawn_pulling(folder: &Path) -> Server {
        Server::spawn_with(Some(folder), true)
    }

    fn spawn_with(folder: Option<&Path>, pull: bool) -> Server {
        let mut child = Command::new(mtlsguard_bin())
            .args(["server", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mtlsguard server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send((Instant::now(), msg)).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().expect("stdin");
        let mut server = Server {
            child,
            stdin,
            incoming: rx,
            next_id: 1,
        };
        let mut params = json!({
            "processId": std::process::id(),
            "rootUri": null,
            "capabilities": {
                "general": { "positionEncodings": ["utf-16"] },
                "textDocument": {
                    "synchronization": { "dynamicRegistration": false },
                    "publishDiagnostics": { "versionSupport": true, "relatedInformation": true }
                }
            }
        });
        if let Some(folder) = folder {
            let uri = file_uri(folder);
            params["rootUri"] = json!(uri);
            params["workspaceFolders"] = json!([{ "uri": uri, "name": "bench" }]);
            params["capabilities"]["window"] = json!({ "workDoneProgress": true });
        }
        if pull {
            params["capabilities"]["textDocument"]["diagnostic"] =
                json!({ "relatedDocumentSupport": false });
        }
        let id = server.request("initialize", params);
        server.wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none());
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("serialize");
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend_from_slice(&body);
        self.stdin.write_all(&framed).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request; returns its id.
    pub fn request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Waits for a message matching `want`, answering the server's own requests meanwhile;
    /// returns when it arrived.
    pub fn wait(&mut self, mut want: impl FnMut(&Value) -> bool) -> Instant {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, msg) = match self.incoming.recv_timeout(left) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no answer from the server in {TIMEOUT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
            };
            if msg.get("id").is_some() && msg.get("method").is_some() {
                self.answer(&msg);
                continue;
            }
            if want(&msg) {
                return at;
            }
        }
    }

    /// Answers a request of the server: workspace/configuration with no settings
    /// (defaults), anything else with null.
    fn answer(&mut self, msg: &Value) {
        let result = match msg["method"].as_str() {
            Some("workspace/configuration") => {
                let n = msg["params"]["items"].as_array().map_or(0, Vec::len);
                Value::Array(vec![Value::Null; n])
            }
            _ => Value::Null,
        };
        self.send(&json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result }));
    }

    /// Waits for the response to request `id`; returns when it came and its result.
    pub fn response(&mut self, id: i64) -> (Instant, Value) {
        let mut result = Value::Null;
        let at = self.wait(|m| {
            let hit = m.get("id") == Some(&json!(id)) && m.get("method").is_none();
            if hit {
                result = m.get("result").cloned().unwrap_or(Value::Null);
            }
            hit
        });
        (at, result)
    }

    /// Waits for the diagnostics of `uri` at `version`; returns when and how many.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> (Instant, usize) {
        let mut count = 0;
        let at = self.wait(|m| {
            let p = &m["params"];
            let hit = m["method"] == "textDocument/publishDiagnostics"
                && p["uri"] == uri
                && p["version"].as_i64().is_none_or(|v| v == version);
            if hit {
                count = p["diagnostics"].as_array().map_or(0, Vec::len);
            }
            hit
        });
        (at, count)
    }

    /// Takes every message until none has come for `gap` (answering the server's
    /// requests); returns the `publishDiagnostics` among them, with when each came.
    pub fn quiet(&mut self, gap: Duration) -> Vec<(Instant, Value)> {
        let mut got = Vec::new();
        while let Ok((at, msg)) = self.incoming.recv_timeout(gap) {
            if msg.get("id").is_some() && msg.get("method").is_some() {
                self.answer(&msg);
            } else if msg["method"] == "textDocument/publishDiagnostics" {
                got.push((at, msg));
            }
        }
        got
    }

    pub fn status(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    }

    /// `shutdown`, then `exit`, after which the process must end with status 0 in time: a
    /// server that lingers or fails on exit would otherwise go unnoticed here.
    pub fn shutdown(mut self) {
        let id = self.request("shutdown", Value::Null);
        self.wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none());
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.child.try_wait().expect("wait for the server") {
                Some(status) if status.success() => return,
                Some(status) => panic!("the server ended with {status} after shutdown/exit"),
                None if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    panic!("the server did not exit within {TIMEOUT:?} of shutdown/exit");
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// An open document and where its keystrokes go.
pub struct Doc {
    pub uri: String,
    version: i64,
    /// The UTF-16 position of the next keystroke.
    line: usize,
    character: usize,
}

impl Doc {
    pub fn open(server: &mut Server, path: &Path, text: &str) -> Doc {
        let uri = file_uri(path);
        let language = if path.extension().is_some_and(|e| e == "bicep") {
            "bicep"
        } else {
            "json"
        };
        server.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
        // The keystrokes go into a word (identifier, key or string) after the middle.
        let b = text.as_bytes();
        let at = (text.len() / 2..text.len())
            .find(|&i| i > 0 && b[i - 1].is_ascii_alphanumeric() && b[i].is_ascii_alphanumeric())
            .or_else(|| (1..text.len()).find(|&i| text.is_char_boundary(i)))
            .unwrap_or(0);
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        Doc {
            uri,
            version: 1,
            line: text[..at].matches('\n').count(),
            character: text[line_start..at].encode_utf16().count(),
        }
    }

    /// Types one letter; returns the version sent.
    pub fn type_char(&mut self, server: &mut Server, n: usize) -> i64 {
        let pos = (self.line, self.character);
        let letter = char::from(b'a' + (n % 26) as u8).to_string();
        self.character += 1;
        self.edit(server, pos, pos, &letter)
    }

    /// Replaces the UTF-16 range from `start` to `end` (line, character) with `text`;
    /// returns the version sent.
    pub fn edit(
        &mut self,
        server: &mut Server,
        start: (usize, usize),
        end: (usize, usize),
        text: &str,
    ) -> i64 {
        self.version += 1;
        let pos = |(line, character)| json!({ "line": line, "character": character });
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": self.uri, "version": self.version },
                "contentChanges": [{ "range": { "start": pos(start), "end": pos(end) }, "text": text }]
            }),
        );
        self.version
    }
}

/// The `file:` URI of `path`, as the benchmark's paths need (spaces are the only
/// character in them that must be escaped).
pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display()).replace(' ', "%20")
}
