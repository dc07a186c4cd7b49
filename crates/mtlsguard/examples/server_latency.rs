//! Server latency benchmark (BENCHMARKS.md), standard LSP messages only:
//!
//! ```sh
//! cargo run --release -p mtlsguard --example server_latency -- [--edits 500] [--files 200] [--skip-alone] [--typing-property | --skip-property] [CORPUS]
//! ```
//!
//! Spawns `mtlsguard server --stdio` (the binary of this example's profile, built first
//! with `cargo build -p mtlsguard`; `MTLSGUARD_BIN` picks another), opens each of the corpus's two 3+ MB templates alone,
//! types `--edits` single characters into a word in the middle (one `didChange` each,
//! incremental sync, waiting for the `publishDiagnostics` of that version before the
//! next), and prints p50 / p99 / max of the time from sending each `didChange` to
//! receiving its diagnostics, the memory the open document added (VmRSS after open minus
//! before, per byte of source) and the server's peak RSS (VmHWM). Then, in a fresh server,
//! opens `--files` real corpus files plus the large ARM file at once and measures the
//! same edits, in the large file and spread over the small ones.
//!
//! Last comes the property pattern: a person adding a new property line to an object, so
//! the text is broken for most of the keystrokes. At each of 6 member lines near the
//! middle of the file (in a `resource` or `module` body if the file has one, else in any
//! object), it presses Enter at the end of the line (one edit: line break plus the line's
//! indentation), types `clientCertMode: 'Required'` one character per `didChange`
//! (`"clientCertMode": "Required",` in ARM JSON), then takes the line out again with one
//! backspace per character and a last one that joins the lines (removing the indentation
//! with the line break, as an editor does with untouched auto-indent): 54 keystrokes per
//! position, 324 per file (360 in JSON), timed like the others. It runs on the 15 largest
//! AVM `main.bicep` files outside `tests/` folders (45-88 KB), each alone in a fresh
//! server, and prints per file size, samples, p50, p99 and max, then how many of the 15
//! have p99 under 16 ms (one frame at 60 Hz), the median of their p50s and the worst p99;
//! then the same for the two large templates (large.bicep, an array of empty objects, has
//! no line to type after and is skipped), whose single-character figures above stay as
//! they were. `--typing-property` runs only this pattern, `--skip-property` leaves it out.
//!
//! Each section prints the load average (`/proc/loadavg`) at its start and end: the figures
//! mean little on a busy machine.
//!
//! CORPUS defaults to `../shared/corpus` beside the repository (or `MTLSGUARD_CORPUS`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const LARGE_JSON: &str =
    "Azure+bicep-registry-modules/avm/ptn/aca-lza/hosting-environment/main.json";
const LARGE_BICEP: &str =
    "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/LargeTemplate_Stress_LF/main.syntax.bicep";
/// Where the property pattern's files are, under CORPUS.
const AVM: &str = "Azure+bicep-registry-modules/avm";
/// How many of the largest AVM `main.bicep` files the property pattern types into.
const AVM_FILES: usize = 15;
/// Lines typed after, per file: 6 × 54 keystrokes = 324, enough for a p99 that is not
/// just the single worst sample.
const POSITIONS: usize = 6;
const PROPERTY_BICEP: &str = "clientCertMode: 'Required'";
const PROPERTY_JSON: &str = r#""clientCertMode": "Required","#;
/// One frame at 60 Hz: the goal for p99.
const FRAME: Duration = Duration::from_millis(16);
/// How long one wait may take before the benchmark gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The `mtlsguard` binary to measure: `MTLSGUARD_BIN`, or the one of this example's profile
/// (`target/<profile>/examples/server_latency` → `target/<profile>/mtlsguard`), built
/// first so that it is never stale (`CARGO_BIN_EXE_*` exists only for tests and benches).
fn mtlsguard_bin() -> &'static Path {
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

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    fn spawn() -> Server {
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
        let id = server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": null,
                "capabilities": {
                    "general": { "positionEncodings": ["utf-16"] },
                    "textDocument": {
                        "synchronization": { "dynamicRegistration": false },
                        "publishDiagnostics": { "versionSupport": true, "relatedInformation": true }
                    }
                }
            }),
        );
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

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Waits for a message matching `want`, answering the server's own requests meanwhile;
    /// returns when it arrived.
    fn wait(&mut self, mut want: impl FnMut(&Value) -> bool) -> Instant {
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
            if let (Some(id), Some(method)) = (msg.get("id"), msg.get("method")) {
                // workspace/configuration: no settings (defaults); anything else: null.
                let result = match method.as_str() {
                    Some("workspace/configuration") => {
                        let n = msg["params"]["items"].as_array().map_or(0, Vec::len);
                        Value::Array(vec![Value::Null; n])
                    }
                    _ => Value::Null,
                };
                let id = id.clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
                continue;
            }
            if want(&msg) {
                return at;
            }
        }
    }

    /// Waits for the diagnostics of `uri` at `version`; returns when and how many.
    fn diagnostics(&mut self, uri: &str, version: i64) -> (Instant, usize) {
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

    fn status(&self, key: &str) -> u64 {
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
    fn shutdown(mut self) {
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
struct Doc {
    uri: String,
    version: i64,
    /// The UTF-16 position of the next keystroke.
    line: usize,
    character: usize,
}

impl Doc {
    fn open(server: &mut Server, path: &Path, text: &str) -> Doc {
        let uri = format!("file://{}", path.display()).replace(' ', "%20");
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
    fn type_char(&mut self, server: &mut Server, n: usize) -> i64 {
        let pos = (self.line, self.character);
        let letter = char::from(b'a' + (n % 26) as u8).to_string();
        self.character += 1;
        self.edit(server, pos, pos, &letter)
    }

    /// Replaces the UTF-16 range from `start` to `end` (line, character) with `text`;
    /// returns the version sent.
    fn edit(
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

/// A line the property pattern types a new line after.
struct Slot {
    line: usize,
    /// UTF-16 length of the line without its line break: where Enter is pressed.
    end: usize,
    indent: String,
    eol: &'static str,
}

/// The text after `key: ` (Bicep) or `"key": ` (JSON) if `t`, a trimmed line, starts
/// with an object member.
fn member_value(t: &str, bicep: bool) -> Option<&str> {
    let rest = if bicep {
        let key = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(t.len());
        if key == 0 || t.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        &t[key..]
    } else {
        let inner = t.strip_prefix('"')?;
        &inner[inner.find('"')? + 1..]
    };
    rest.strip_prefix(": ").filter(|v| !v.trim().is_empty())
}

/// Whether the brackets of `value` close on its own line, so that the member ends there
/// and a new one can follow it.
fn balanced(value: &str) -> bool {
    let mut depth = 0i32;
    for c in value.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// `POSITIONS` lines near the middle of `text` after which a new member line leaves the
/// text valid once it is complete: a one-line member (ending in `,` in JSON, not in Bicep)
/// followed, past blank lines and comments, by another member at its indentation or, in
/// Bicep, by the object's `}`. A decorator as the next line is refused, since the new line
/// would take it over. In Bicep, members of `resource` and `module` bodies are preferred:
/// that is where people add properties. Empty if the file has no such line.
fn property_slots(text: &str, bicep: bool) -> Vec<Slot> {
    let lines: Vec<&str> = text.split('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut in_multiline = false;
    let mut decl = "";
    let mut found = Vec::new();
    for (i, &l) in lines.iter().enumerate() {
        // The text of Bicep ''' strings only looks like members.
        let fences = l.matches("'''").count();
        let was_in = in_multiline;
        in_multiline ^= fences % 2 == 1;
        if was_in || fences > 0 {
            continue;
        }
        let t = l.trim();
        if indent(l) == 0 && !t.is_empty() && !t.starts_with(['@', '/', '}', ']', ')']) {
            decl = t.split_whitespace().next().unwrap_or("");
        }
        let Some(value) = member_value(t, bicep) else {
            continue;
        };
        if indent(l) == 0 || !balanced(value) || bicep == t.ends_with(',') {
            continue;
        }
        let Some(next) = lines[i + 1..].iter().find(|n| {
            let n = n.trim();
            !n.is_empty() && !n.starts_with("//")
        }) else {
            continue;
        };
        let nt = next.trim();
        let member = indent(next) == indent(l) && member_value(nt, bicep).is_some();
        let closes = bicep && indent(next) < indent(l) && nt.starts_with('}');
        if member || closes {
            found.push((i, matches!(decl, "resource" | "module")));
        }
    }
    if found.iter().any(|&(_, body)| body) {
        found.retain(|&(_, body)| body);
    }
    let middle = lines.len() / 2;
    found.sort_by_key(|&(i, _)| i.abs_diff(middle));
    found.truncate(POSITIONS);
    found.sort();
    // With fewer candidates, type at them again rather than measure fewer keystrokes.
    let count = if found.is_empty() { 0 } else { POSITIONS };
    (0..count)
        .map(|k| {
            let line = found[k % found.len()].0;
            let l = lines[line];
            let content = l.strip_suffix('\r').unwrap_or(l);
            Slot {
                line,
                end: content.encode_utf16().count(),
                indent: content[..indent(content)].to_owned(),
                eol: if l.ends_with('\r') { "\r\n" } else { "\n" },
            }
        })
        .collect()
}

struct Stats(Vec<Duration>);

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
    }

    fn line(&self) -> String {
        format!(
            "p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms   ({} edits)",
            ms(self.pct(0.5)),
            ms(self.pct(0.99)),
            ms(self.pct(1.0)),
            self.0.len()
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Types `edits` characters round-robin into `docs`, waiting for each version's diagnostics.
fn type_into(server: &mut Server, docs: &mut [Doc], edits: usize) -> Stats {
    let mut lat = Vec::with_capacity(edits);
    for n in 0..edits {
        let doc = &mut docs[n % docs.len()];
        let sent = Instant::now();
        let version = doc.type_char(server, n);
        let (at, _) = server.diagnostics(&doc.uri.clone(), version);
        lat.push(at.duration_since(sent));
    }
    Stats(lat)
}

/// The property pattern in `doc`, which had `baseline` diagnostics at open: at each slot,
/// Enter, `typed` one character at a time, one backspace per character and one that joins
/// the lines again, each its own `didChange`. Returns the latencies and how many times the
/// restored text did not get back `baseline` diagnostics: the text is the original again,
/// so a different count means the edits or the server's incremental state went wrong.
fn type_properties(
    server: &mut Server,
    doc: &mut Doc,
    slots: &[Slot],
    typed: &str,
    baseline: usize,
) -> (Stats, usize) {
    assert!(
        typed.is_ascii(),
        "typed text must be ASCII: columns are counted in chars"
    );
    let mut lat = Vec::new();
    let mut mismatches = 0;
    for slot in slots {
        // ASCII, so the character index of the typed text is its UTF-16 column.
        let col = slot.indent.encode_utf16().count();
        let mut keys = vec![(
            (slot.line, slot.end),
            (slot.line, slot.end),
            format!("{}{}", slot.eol, slot.indent),
        )];
        for (k, c) in typed.chars().enumerate() {
            keys.push(((slot.line + 1, col + k), (slot.line + 1, col + k), c.into()));
        }
        for k in (0..typed.len()).rev() {
            keys.push((
                (slot.line + 1, col + k),
                (slot.line + 1, col + k + 1),
                String::new(),
            ));
        }
        keys.push(((slot.line, slot.end), (slot.line + 1, col), String::new()));
        let mut count = baseline;
        for (start, end, text) in keys {
            let sent = Instant::now();
            let version = doc.edit(server, start, end, &text);
            let at;
            (at, count) = server.diagnostics(&doc.uri.clone(), version);
            lat.push(at.duration_since(sent));
        }
        mismatches += usize::from(count != baseline);
    }
    (Stats(lat), mismatches)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The first three fields of `/proc/loadavg`: the 1, 5 and 15 minute load averages.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Stops the benchmark before anything is measured: a partial corpus would give figures
/// that look valid but compare with nothing.
fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// Bicep files and ARM templates under `dir`, recursively, in path order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "bicep" || e == "json") {
            out.push(p);
        }
    }
}

/// The `AVM_FILES` largest `main.bicep` files under CORPUS/`AVM` outside `tests` folders
/// (those are the modules' examples, not modules), largest first, with their text.
fn avm_largest(corpus: &Path) -> Vec<(PathBuf, String)> {
    let root = corpus.join(AVM);
    if !root.is_dir() {
        fail(&format!("{} is missing from the corpus", root.display()));
    }
    let mut all = Vec::new();
    walk(&root, &mut all);
    // Judged below the AVM folder: the corpus's own path may contain a `tests` folder.
    let mut sized: Vec<(u64, PathBuf)> = all
        .into_iter()
        .filter(|p| {
            p.file_name().is_some_and(|n| n == "main.bicep")
                && !p
                    .strip_prefix(&root)
                    .unwrap_or(p)
                    .components()
                    .any(|c| c.as_os_str() == "tests")
        })
        .map(|p| (std::fs::metadata(&p).map_or(0, |m| m.len()), p))
        .collect();
    // Size ties broken by path, so that the set does not depend on the directory order.
    sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    if sized.len() < AVM_FILES {
        fail(&format!(
            "only {} non-test main.bicep files under {}, {AVM_FILES} needed",
            sized.len(),
            root.display()
        ));
    }
    sized
        .into_iter()
        .take(AVM_FILES)
        .map(|(_, p)| {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
            (p, text)
        })
        .collect()
}

/// A file's figures from the property pattern; no stats if it has no line to type after.
struct PropertyRow {
    name: String,
    stats: Option<Stats>,
}

/// Runs the property pattern on each file alone in a fresh server and prints its row.
fn property_rows(files: &[(PathBuf, String)], base: &Path) -> Vec<PropertyRow> {
    // The file last: the paths vary too much in length for a column.
    println!(
        "{:>10} {:>7} {:>8} {:>8} {:>8}  file",
        "size", "samples", "p50 ms", "p99 ms", "max ms"
    );
    let mut rows = Vec::new();
    for (path, text) in files {
        let name = path
            .strip_prefix(base)
            .unwrap_or(path)
            .display()
            .to_string();
        let bicep = path.extension().is_some_and(|e| e == "bicep");
        let slots = property_slots(text, bicep);
        if slots.is_empty() {
            println!(
                "{:>7.1} KB       0        -        -        -  {name}: skipped, no object member to type after",
                text.len() as f64 / 1e3
            );
            rows.push(PropertyRow { name, stats: None });
            continue;
        }
        let mut server = Server::spawn();
        let mut doc = Doc::open(&mut server, path, text);
        let (_, baseline) = server.diagnostics(&doc.uri.clone(), 1);
        let typed = if bicep { PROPERTY_BICEP } else { PROPERTY_JSON };
        let (stats, mismatches) = type_properties(&mut server, &mut doc, &slots, typed, baseline);
        server.shutdown();
        println!(
            "{:>7.1} KB {:>7} {:>8.2} {:>8.2} {:>8.2}  {name}",
            text.len() as f64 / 1e3,
            stats.0.len(),
            ms(stats.pct(0.5)),
            ms(stats.pct(0.99)),
            ms(stats.pct(1.0))
        );
        if mismatches > 0 {
            println!(
                "  notice: {mismatches} of {} restored texts got other diagnostics than the file had at open",
                slots.len()
            );
        }
        rows.push(PropertyRow {
            name,
            stats: Some(stats),
        });
    }
    rows
}

/// Real corpus files for the many-documents run: every `step`-th Bicep file or ARM
/// template under 1 MB, in path order.
fn corpus_sample(corpus: &Path, count: usize) -> Vec<PathBuf> {
    let mut all = Vec::new();
    walk(corpus, &mut all);
    all.retain(|p| {
        let Ok(text) = std::fs::read_to_string(p) else {
            return false;
        };
        text.len() < 1 << 20
            && (p.extension().is_some_and(|e| e == "bicep")
                || mtlsguard_analyzer::is_arm_template(&text))
    });
    let step = (all.len() / count.max(1)).max(1);
    all.into_iter().step_by(step).take(count).collect()
}

fn main() {
    let mut edits = 500;
    let mut files = 200;
    let mut alone = true;
    let mut chars = true;
    let mut property = true;
    let mut corpus = std::env::var_os("MTLSGUARD_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).expect("--edits N"),
            "--files" => files = args.next().and_then(|v| v.parse().ok()).expect("--files N"),
            "--skip-alone" => alone = false,
            "--typing-property" => chars = false,
            "--skip-property" => property = false,
            // A mistyped flag would otherwise be taken for the corpus.
            s if s.starts_with("--") => fail(&format!("unknown option {s}")),
            _ => corpus = PathBuf::from(a),
        }
    }
    if !chars && !property {
        fail("--typing-property and --skip-property leave nothing to measure");
    }
    let started = Instant::now();
    println!(
        "server: {}\nmachine: {} cores, load average {}",
        mtlsguard_bin().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load()
    );
    if !corpus.is_dir() {
        fail(&format!(
            "no corpus at {} (pass CORPUS or set MTLSGUARD_CORPUS)",
            corpus.display()
        ));
    }
    // Every file is read before the first measurement, so a missing one stops the run
    // at once rather than after minutes, with figures for only part of the set.
    let large: Vec<(PathBuf, String)> = [LARGE_JSON, LARGE_BICEP]
        .iter()
        .map(|rel| {
            let p = corpus.join(rel);
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", p.display())));
            (p, text)
        })
        .collect();
    let avm = if property {
        avm_largest(&corpus)
    } else {
        Vec::new()
    };

    for (path, text) in large.iter().filter(|_| chars && alone) {
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "\n== {} ({:.1} MB) open alone, {edits} keystrokes; load average {}",
            path.strip_prefix(&corpus).unwrap_or(path).display(),
            text.len() as f64 / 1e6,
            load()
        );
        let mut server = Server::spawn();
        let before = server.status("VmRSS");
        let sent = Instant::now();
        let mut doc = Doc::open(&mut server, path, text);
        let (at, count) = server.diagnostics(&doc.uri.clone(), 1);
        let after = server.status("VmRSS");
        println!(
            "open {name}: diagnostics after {:.0} ms ({count}); RSS {:.1} -> {:.1} MiB: {:.1} bytes per source byte",
            ms(at.duration_since(sent)),
            mib(before),
            mib(after),
            after.saturating_sub(before) as f64 / text.len() as f64
        );
        let stats = type_into(&mut server, std::slice::from_mut(&mut doc), edits);
        println!("didChange -> publishDiagnostics: {}", stats.line());
        println!(
            "server RSS {:.1} MiB after the edits, peak (VmHWM) {:.1} MiB",
            mib(server.status("VmRSS")),
            mib(server.status("VmHWM"))
        );
        server.shutdown();
        println!("load average at end of section: {}", load());
    }

    if chars {
        let sample = corpus_sample(&corpus, files);
        let bytes: usize = sample
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as usize))
            .sum();
        let (large_path, large_text) = &large[0];
        println!(
            "\n== {} corpus files ({:.1} MB) and {} open at once; load average {}",
            sample.len(),
            bytes as f64 / 1e6,
            large_path.file_name().unwrap().to_string_lossy(),
            load()
        );
        let mut server = Server::spawn();
        let before = server.status("VmRSS");
        let sent = Instant::now();
        let mut docs: Vec<Doc> = Vec::new();
        for p in &sample {
            let text = std::fs::read_to_string(p).expect("read sample file");
            docs.push(Doc::open(&mut server, p, &text));
        }
        // Diagnostics arrive in any order: wait until every document has had its first.
        let mut waiting: std::collections::HashSet<String> =
            docs.iter().map(|d| d.uri.clone()).collect();
        server.wait(|m| {
            if m["method"] == "textDocument/publishDiagnostics"
                && let Some(uri) = m["params"]["uri"].as_str()
            {
                waiting.remove(uri);
            }
            waiting.is_empty()
        });
        println!(
            "opened {} files: all diagnostics after {:.0} ms; RSS {:.1} -> {:.1} MiB",
            docs.len(),
            ms(sent.elapsed()),
            mib(before),
            mib(server.status("VmRSS"))
        );
        let mut big = Doc::open(&mut server, large_path, large_text);
        server.diagnostics(&big.uri.clone(), 1);
        let stats = type_into(&mut server, &mut docs, edits);
        println!(
            "keystrokes spread over the {} files: {}",
            docs.len(),
            stats.line()
        );
        let stats = type_into(&mut server, std::slice::from_mut(&mut big), edits);
        println!("keystrokes in the large file:  {}", stats.line());
        println!(
            "server RSS {:.1} MiB, peak (VmHWM) {:.1} MiB",
            mib(server.status("VmRSS")),
            mib(server.status("VmHWM"))
        );
        server.shutdown();
        println!("load average at end of section: {}", load());
    }

    if property {
        println!(
            "\n== property typing: the {AVM_FILES} largest non-test main.bicep under {AVM}, each alone; load average {}",
            load()
        );
        let rows = property_rows(&avm, &corpus.join(AVM));
        let measured: Vec<(&str, &Stats)> = rows
            .iter()
            .filter_map(|r| Some((r.name.as_str(), r.stats.as_ref()?)))
            .collect();
        let under = measured.iter().filter(|(_, s)| s.pct(0.99) < FRAME).count();
        let p50 = median(measured.iter().map(|(_, s)| ms(s.pct(0.5))).collect());
        let worst = measured.iter().max_by_key(|(_, s)| s.pct(0.99));
        println!(
            "summary: p99 under {} ms in {under} of {}; median p50 {p50:.2} ms; worst p99 {}",
            FRAME.as_millis(),
            rows.len(),
            worst.map_or("-".into(), |(name, s)| format!(
                "{:.2} ms ({name})",
                ms(s.pct(0.99))
            ))
        );
        println!("load average at end of section: {}", load());

        println!(
            "\n== property typing: the large templates, each alone; load average {}",
            load()
        );
        property_rows(&large, &corpus);
        println!("load average at end of section: {}", load());
    }
    println!(
        "\nload average at end: {}; run time {:.0} s",
        load(),
        started.elapsed().as_secs_f64()
    );
}
