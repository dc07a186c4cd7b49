//! Server latency benchmark (BENCHMARKS.md), standard LSP messages only:
//!
//! ```sh
//! cargo run --release -p mtlsguard-e2e --example server_latency -- [--edits 500] [--files 200] [--skip-alone] [CORPUS]
//! ```
//!
//! Spawns `mtlsguard server --stdio` (the release binary next to this example, built first;
//! `MTLSGUARD_BIN` picks another), opens each of the corpus's two 3+ MB templates alone,
//! types `--edits` single characters into a word in the middle (one `didChange` each,
//! incremental sync, waiting for the `publishDiagnostics` of that version before the
//! next), and prints p50 / p99 / max of the time from sending each `didChange` to
//! receiving its diagnostics, the memory the open document added (VmRSS after open minus
//! before, per byte of source) and the server's peak RSS (VmHWM). Then, in a fresh server,
//! opens `--files` real corpus files plus the large ARM file at once and measures the
//! same edits, in the large file and spread over the small ones.
//!
//! CORPUS defaults to `../shared/corpus` beside the repository (or `MTLSGUARD_CORPUS`).

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const LARGE_JSON: &str =
    "Azure+bicep-registry-modules/avm/ptn/aca-lza/hosting-environment/main.json";
const LARGE_BICEP: &str =
    "Azure+bicep/src/Bicep.Core.Samples/Files/baselines/LargeTemplate_Stress_LF/main.syntax.bicep";
/// How long one wait may take before the benchmark gives up.
const TIMEOUT: Duration = Duration::from_secs(120);

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
}

impl Server {
    fn spawn() -> Server {
        let mut child = Command::new(mtlsguard_e2e::mtlsguard_bin())
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
            while let Some(msg) = mtlsguard_e2e::lsp::read_message(&mut reader) {
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

    fn shutdown(mut self) {
        let id = self.request("shutdown", Value::Null);
        self.wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none());
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
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
        self.version += 1;
        let pos = json!({ "line": self.line, "character": self.character });
        let letter = char::from(b'a' + (n % 26) as u8).to_string();
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": self.uri, "version": self.version },
                "contentChanges": [{ "range": { "start": pos, "end": pos }, "text": letter }]
            }),
        );
        self.character += 1;
        self.version
    }
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

/// Real corpus files for the many-documents run: every `step`-th Bicep file or ARM
/// template under 1 MB, in path order.
fn corpus_sample(corpus: &Path, count: usize) -> Vec<PathBuf> {
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
    let mut corpus = std::env::var_os("MTLSGUARD_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
        PathBuf::from,
    );
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).expect("--edits N"),
            "--files" => files = args.next().and_then(|v| v.parse().ok()).expect("--files N"),
            "--skip-alone" => alone = false,
            _ => corpus = PathBuf::from(a),
        }
    }
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "server: {}\nmachine: {} cores, load average {}",
        mtlsguard_e2e::mtlsguard_bin().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load().split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    let large: Vec<(PathBuf, String)> = [LARGE_JSON, LARGE_BICEP]
        .iter()
        .filter_map(|rel| {
            let p = corpus.join(rel);
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p, text))
        })
        .collect();
    if large.is_empty() {
        println!(
            "notice: no corpus at {}: nothing to measure",
            corpus.display()
        );
        return;
    }

    for (path, text) in large.iter().filter(|_| alone) {
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "\n== {} ({:.1} MB) open alone, {edits} keystrokes",
            path.strip_prefix(&corpus).unwrap_or(path).display(),
            text.len() as f64 / 1e6
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
    }

    let sample = corpus_sample(&corpus, files);
    let bytes: usize = sample
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len() as usize))
        .sum();
    let (large_path, large_text) = &large[0];
    println!(
        "\n== {} corpus files ({:.1} MB) and {} open at once",
        sample.len(),
        bytes as f64 / 1e6,
        large_path.file_name().unwrap().to_string_lossy()
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
    println!("\nload average at end: {}", load().trim());
}
