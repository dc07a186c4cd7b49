// End-to-end test of the packaged extension in a real VS Code (code-server),
// driven through Chromium with playwright-core.
//
// Environment:
//   CODE_SERVER      code-server entry (out/node/entry.js) or launcher       (required)
//   CODE_SERVER_NODE node binary that runs code-server (Node 24)            (default: node)
//   VSIX             the packaged extension, with the mtlsguard binary under
//                    test bundled in bin/ (see .ci/editors.sh)               (default: ../mtlsguard.vsix)
//   CHROMIUM         browser binary                                          (default: /usr/bin/chromium)
//   E2E_ARTIFACTS    where screenshots and logs go                           (default: test-results/)
//   E2E_TIMEOUT_MS   per-step timeout                                        (default: 60000)
//
// For each fixture: open it from Quick Open, wait for the squiggle, check the
// message in the Problems panel, put the cursor on the problem, press Ctrl+.,
// choose "Set clientCertMode to 'Required'", save with Ctrl+S, check the file on
// disk and that the problem goes away. Then: the status bar item, no settings
// warning from the server, and a missing binary (one notification, with a
// button to the setting). A screenshot is taken on any failure.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, '..');
const fixturesDir = path.resolve(extensionDir, '..', 'fixtures');

const CODE_SERVER = requiredEnv('CODE_SERVER');
const CODE_SERVER_NODE = process.env.CODE_SERVER_NODE || 'node';
const VSIX = path.resolve(process.env.VSIX || path.join(extensionDir, 'mtlsguard.vsix'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.resolve(process.env.E2E_ARTIFACTS || path.join(extensionDir, 'test-results'));
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 60000);

const MESSAGE = "clientCertMode is 'Optional': set it to 'Required' to require client certificates";
// Fix titles quote the value as the file's language does.
const FIX_TITLE = { bicep: "Set clientCertMode to 'Required'", json: 'Set clientCertMode to "Required"' };
const RULE = 'app-service-client-cert';
// Each scenario runs with a different `mtlsguard.rules` level for the rule, so
// the severity shows that the settings reach the server: the first level is in
// settings.json at start-up, the second is written while VS Code runs.
const SCENARIOS = [
  { name: 'bicep', file: 'app.bicep', fixed: "clientCertMode: 'Required'", fixTitle: FIX_TITLE.bicep, level: 'error', syntaxTree: true },
  { name: 'arm-json', file: 'azuredeploy.json', fixed: '"clientCertMode": "Required"', fixTitle: FIX_TITLE.json, level: 'info', restart: true },
];
const SEVERITY_LABEL = { error: 'Error', warning: 'Warning', info: 'Info' };

function requiredEnv(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`e2e: set ${name}`);
    process.exit(2);
  }
  return v;
}

const t0 = Date.now();
function log(msg) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeout = TIMEOUT, interval = 250) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

// ---------------------------------------------------------------- set-up
fs.mkdirSync(ARTIFACTS, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtlsguard-vscode-e2e-'));
const userDataDir = path.join(tmp, 'user-data');
const extensionsDir = path.join(tmp, 'extensions');
const workspace = path.join(tmp, 'workspace');
fs.mkdirSync(workspace, { recursive: true });
for (const s of SCENARIOS) fs.copyFileSync(path.join(fixturesDir, s.file), path.join(workspace, s.file));
// mtlsguard.path is left unset: the extension must find the binary bundled in
// the .vsix, as it does for a user who installs the platform package.

const settingsFile = path.join(userDataDir, 'User', 'settings.json');
const settings = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'files.autoSave': 'off',
  'json.schemaDownload.enable': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  // The test types settings.json as one line of JSON: no auto-closing.
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoClosingOvertype': 'never',
  'editor.autoSurround': 'never',
  'editor.autoIndent': 'none',
  // Open settings.json in a tab, not in a modal editor.
  'workbench.editor.useModal': 'off',
  'window.restoreWindows': 'none',
  'mtlsguard.trace.server': 'messages',
  'mtlsguard.rules': { [RULE]: SCENARIOS[0].level },
};
writeJson(settingsFile, settings);
writeJson(path.join(tmp, 'code-server.yaml'), {}); // keep ~/.config/code-server untouched

const csEnv = {
  ...process.env,
  // No marketplace: point the gallery at a closed loopback port.
  EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
  XDG_CONFIG_HOME: path.join(tmp, 'config'),
  XDG_DATA_HOME: path.join(tmp, 'data'),
  VSCODE_TELEMETRY_DISABLED: '1',
};
const csBase = [CODE_SERVER, '--config', path.join(tmp, 'code-server.yaml'),
  '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

let server;
let browser;
let page;
let serverLog = '';
const results = [];

async function screenshot(label) {
  if (!page) return;
  const file = path.join(ARTIFACTS, `vscode-e2e-${label}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10000 });
    log(`screenshot: ${file}`);
  } catch (err) {
    log(`screenshot failed: ${err.message}`);
  }
}

// The Problems panel is a flat list: a row per file ("N problems in file F of
// folder ."), then a row per problem. Returns the data-index of the row with
// MESSAGE under `file`, or null.
async function problemRowIndex(file) {
  return page.locator('.markers-panel .monaco-list-row').evaluateAll((els, [file, message]) => {
    const rows = els
      .map((e) => ({ index: Number(e.getAttribute('data-index')), label: e.getAttribute('aria-label') || '', text: e.innerText }))
      .sort((a, b) => a.index - b.index);
    let inFile = false;
    for (const r of rows) {
      const header = /problems? in file (.+) of folder/.exec(r.label);
      if (header) inFile = header[1] === file;
      else if (inFile && r.text.includes(message)) return r.index;
    }
    return null;
  }, [file, MESSAGE]);
}

async function dumpProblems() {
  try {
    const rows = await page.locator('.markers-panel .monaco-list-row').evaluateAll((els) =>
      els.map((e) => `${e.getAttribute('aria-label')} || ${e.innerText.replace(/\s+/g, ' ')}`));
    log(`problems panel rows:\n  ${rows.join('\n  ') || '(none)'}`);
  } catch (err) {
    log(`could not read the problems panel: ${err.message}`);
  }
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    // code-server leaves helper processes (agent host, extension host, the
    // language server) in its process group: end the whole group.
    const group = -server.pid;
    try { process.kill(group, 'SIGTERM'); } catch { /* already gone */ }
    await new Promise((r) => setTimeout(r, 1500));
    try { process.kill(group, 'SIGKILL'); } catch { /* already gone */ }
  }
  fs.writeFileSync(path.join(ARTIFACTS, 'code-server.log'), serverLog);
  fs.writeFileSync(path.join(ARTIFACTS, 'lsp-trace.log'), traceLog());
  if (process.env.E2E_KEEP_TMP) log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}

async function startCodeServer() {
  log(`installing ${VSIX}`);
  const install = spawnSync(CODE_SERVER_NODE, [...csBase, '--install-extension', VSIX, '--force'], {
    env: csEnv, encoding: 'utf8', timeout: 120000,
  });
  process.stdout.write(install.stdout || '');
  process.stderr.write(install.stderr || '');
  if (install.status !== 0) throw new Error(`--install-extension exited with ${install.status}`);
  const list = spawnSync(CODE_SERVER_NODE, [...csBase, '--list-extensions', '--show-versions'], {
    env: csEnv, encoding: 'utf8', timeout: 120000,
  });
  log(`installed extensions: ${list.stdout.trim().replace(/\n/g, ', ')}`);
  if (!/^mtlsguard\.mtlsguard@/m.test(list.stdout)) throw new Error('mtlsguard.mtlsguard is not installed');

  const port = await freePort();
  const args = [...csBase, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', workspace];
  log(`starting code-server on 127.0.0.1:${port}`);
  server = spawn(CODE_SERVER_NODE, args, { env: csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('code-server /healthz', async () => {
    if (server.exitCode !== null) throw new Error(`code-server exited (${server.exitCode}):\n${serverLog}`);
    const res = await fetch(`${base}/healthz`);
    return res.ok;
  });
  return base;
}

async function openWorkbench(base) {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => log(`page error: ${err.message}`));
  await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor();
  log('workbench is up');
}

async function runCommand(label) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${label}`);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function openFile(file) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(file);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: file }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: file }).waitFor();
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor();
}

// The classes of the squiggle decoration on the (visible) line containing
// `needle`, or null. Monaco draws decorations in .view-overlays, one div per
// line, positioned with the same `top` as the text line in .view-lines.
async function squiggleOn(editor, needle) {
  return editor.evaluate((el, needle) => {
    const line = [...el.querySelectorAll('.view-lines .view-line')].find((l) => l.textContent.includes(needle));
    if (!line) return null;
    for (const overlay of el.querySelectorAll('.view-overlays > div')) {
      if (overlay.style.top !== line.style.top) continue;
      const sq = overlay.querySelector('[class*="squiggly-"]');
      if (sq) return sq.className;
    }
    return null;
  }, needle);
}

// The output channels' files that VS Code writes under the user-data logs folder whose
// names `wanted` accepts, as one text.
function logText(wanted) {
  const found = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (wanted(e.name)) found.push(p);
    }
  };
  try { walk(path.join(userDataDir, 'logs')); } catch { /* no logs yet */ }
  return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

// The extension's own log: its output channel, with the server's logMessages.
function extensionLog() {
  return logText((name) => /mtlsguard\.log$/.test(name) && !/trace/.test(name));
}

// The extension logs which binary it started to its output channel.
function serverStartLines() {
  return extensionLog().split('\n').filter((l) => l.includes('Starting '));
}

// Edits the user settings.json in VS Code, as a user would, to `settings`;
// `saved(json)` says when the file on disk has the change.
async function editSettings(saved) {
  await runCommand('Preferences: Open User Settings (JSON)');
  await page.locator('.tabs-container .tab.active', { hasText: 'settings.json' }).waitFor();
  const settingsEditor = page.locator('.editor-group-container.active .monaco-editor', {
    has: page.locator('.view-lines', { hasText: 'telemetry.telemetryLevel' }),
  }).first();
  await settingsEditor.waitFor();
  await waitFor('focus in the settings editor', () => settingsEditor.evaluate((el) => el.contains(document.activeElement)));
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(JSON.stringify(settings));
  await page.keyboard.press('Control+S');
  await waitFor('settings.json saved', () => saved(JSON.parse(fs.readFileSync(settingsFile, 'utf8'))));
  await page.locator('.tabs-container .tab.dirty').waitFor({ state: 'detached' });
  log(`settings.json: ${JSON.stringify(Object.fromEntries(Object.entries(settings).filter(([k]) => k.startsWith('mtlsguard.'))))}`);
  await runCommand('View: Close Editor');
  await page.locator('.tabs-container .tab', { hasText: 'settings.json' }).waitFor({ state: 'detached' });
}

// The status bar item's accessible label names the server's state.
function statusItem(state) {
  return page.locator(`.statusbar [aria-label="mtlsguard server: ${state}"]`).first();
}

// The status bar shows the running server and opens the output channel; the
// server logged no settings warning (the extension sends only what it reads).
async function statusBarAndSettingsLog() {
  await statusItem('running').waitFor();
  log('status bar: mtlsguard server: running');
  await statusItem('running').click();
  await page.locator('.panel .view-lines', { hasText: 'Starting ' }).first().waitFor();
  log('status bar click: the mtlsguard output channel is shown');
  // The item's hover would stay up under the mouse and cover what comes next (CI saw it
  // take the click meant for a notification's button).
  await page.mouse.move(1, 1);
  const warnings = extensionLog().split('\n').filter((l) => /unknown setting|must be/.test(l));
  if (warnings.length) throw new Error(`the server warned about the settings it got:\n${warnings.join('\n')}`);
}

// A binary that does not exist: one notification, with a button that opens the
// mtlsguard.path setting, and the status bar says error. code-server is a
// remote window, which ignores machine-scoped settings in the user's
// settings.json, so mtlsguard.path goes to the machine's settings file (where a
// user of a remote window sets it too).
async function missingBinary() {
  const machineSettings = path.join(userDataDir, 'Machine', 'settings.json');
  await page.mouse.move(1, 1);
  writeJson(machineSettings, { 'mtlsguard.path': '/nonexistent/mtlsguard' });
  log(`${machineSettings}: mtlsguard.path = /nonexistent/mtlsguard`);
  const toasts = page.locator('.notifications-toasts .notification-toast');
  await toasts.filter({ hasText: 'could not start' }).first().waitFor();
  // Give a second notification (the language client's own) time to appear.
  await new Promise((r) => setTimeout(r, 3000));
  const texts = (await toasts.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  log(`notifications: ${texts.join(' | ')}`);
  const ours = texts.filter((t) => /mtlsguard/i.test(t));
  if (ours.length !== 1) throw new Error(`expected one mtlsguard notification, got ${ours.length}`);
  await statusItem('error').waitFor();
  log('status bar: mtlsguard server: error');
  await toasts.locator('.monaco-button', { hasText: 'Open Settings' }).first().click();
  await page.locator('.settings-editor').waitFor();
  await waitFor('the mtlsguard.path setting in the Settings editor', () =>
    page.locator('.settings-editor .setting-item-contents', { hasText: 'Path to the' }).first().isVisible());
  log('Open Settings: the Settings editor shows mtlsguard.path');
  await runCommand('View: Close All Editors');
  writeJson(machineSettings, {});
  await statusItem('running').waitFor();
  log('mtlsguard.path cleared: the server runs again');
}

// What has the keyboard focus, for the log.
async function activeElement() {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return 'nothing';
    const cls = typeof el.className === 'string' ? el.className.split(/\s+/).slice(0, 3).join('.') : '';
    const label = el.getAttribute('aria-label') || '';
    return `${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''}${label ? ` "${label.slice(0, 60)}"` : ''}`;
  });
}

// Ctrl+. in the editor until the code action menu shows. VS Code drops a Ctrl+.
// request when the document's markers change before its answer comes (it asks
// again as an automatic request, which shows a light bulb, not the menu), and
// opening a problem does not always leave the keyboard focus in the editor (both
// seen in CI): so up to three tries, each logged with what had the focus and what
// the server was asked and answered.
async function openQuickFixMenu(editor, name) {
  const menu = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
  for (let attempt = 1; ; attempt++) {
    if (!(await editor.evaluate((el) => el.contains(document.activeElement)))) {
      log(`before Ctrl+.: the focus is on ${await activeElement()}; Ctrl+1`);
      await page.keyboard.press('Control+1');
      await waitFor('focus in the editor', async () => editor.evaluate((el) => el.contains(document.activeElement)));
    }
    await page.keyboard.press('Control+.');
    try {
      await menu.waitFor({ timeout: 15000 });
      if (attempt > 1) log(`Ctrl+. menu shown on try ${attempt}`);
      return menu;
    } catch (err) {
      log(`Ctrl+. try ${attempt}: no menu after 15 s; focus on ${await activeElement()}`);
      logTraceTail(12);
      await screenshot(`${name}-no-quickfix-menu-${attempt}`);
      if (attempt === 3) throw err;
      await page.keyboard.press('Escape');
    }
  }
}

// The LSP trace (mtlsguard.trace.server is "messages"): the output channel file
// VS Code writes under the user-data logs folder.
function traceLog() {
  return logText((name) => /mtlsguard trace\.log$/.test(name));
}

// The last `n` requests, responses and notifications of the trace, one line each (the
// whole trace goes to the artifacts at the end).
function logTraceTail(n) {
  // The client asks for workspace diagnostics every 2 s: those would be all there is.
  const heads = traceLog().split('\n').filter((l) => /^\[[0-9T:.Z-]+\] (Sending|Received) /.test(l)
    && !l.includes("'workspace/diagnostic - "));
  log(`last ${Math.min(n, heads.length)} of ${heads.length} LSP trace messages (workspace/diagnostic left out):`);
  for (const l of heads.slice(-n)) console.log(`  ${l}`);
}

async function scenario(s) {
  const onDisk = path.join(workspace, s.file);
  log(`--- ${s.name}: opening ${s.file}`);
  if (s.restart) {
    const before = serverStartLines().length;
    await runCommand('mtlsguard: Restart server');
    await waitFor('a second server start in the log', () => serverStartLines().length > before);
    log(`restarted: ${serverStartLines().at(-1).trim()}`);
  }
  if ((settings['mtlsguard.rules'] || {})[RULE] !== s.level) {
    // The extension forwards the change to the running server.
    settings['mtlsguard.rules'] = { [RULE]: s.level };
    await editSettings((json) => json['mtlsguard.rules']?.[RULE] === s.level);
  }
  await openFile(s.file);
  const editor = page.locator('.editor-group-container.active .monaco-editor').first();

  // 1. The squiggle appears on the clientCertMode line, with the configured severity.
  const squiggle = await waitFor(`a squiggly-${s.level} on the clientCertMode line`, async () => {
    const c = await squiggleOn(editor, 'clientCertMode');
    return c && c.includes(`squiggly-${s.level}`) ? c : null;
  });
  log(`squiggle: ${squiggle}`);

  // 2. The Problems panel lists the finding with its message.
  await runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const panel = page.locator('.markers-panel');
  await panel.waitFor();
  const index = await waitFor(`the problem under ${s.file} in the Problems panel`, () => problemRowIndex(s.file));
  const row = panel.locator(`.monaco-list-row[data-index="${index}"]`);
  const rowText = (await row.innerText()).replace(/\s+/g, ' ').trim();
  log(`problems panel: ${rowText}`);
  const label = await row.getAttribute('aria-label');
  log(`problem row aria-label: ${label}`);
  if (!label.startsWith(`${SEVERITY_LABEL[s.level]}:`)) throw new Error(`expected a ${s.level} problem: ${label}`);
  if (!rowText.includes('app-service-client-cert')) throw new Error(`problem row lacks the rule id: ${rowText}`);

  const where = /\[Ln (\d+), Col (\d+)\]/.exec(rowText);
  if (!where) throw new Error(`no position in problem row: ${rowText}`);

  // 3. Put the cursor on the problem (open it from the panel), then Ctrl+.
  // The panel's rows move while it fills (closed files' problems come from the workspace
  // pull): CI once opened the other file's problem. So the row is found again right
  // before each double click, and the tab that opens is checked, up to three times.
  const status = page.locator('#status\\.editor\\.selection');
  const activeTab = page.locator('.tabs-container .tab.active').first();
  // First let the panel settle: the same rows for 1.5 s.
  let rows = '';
  let since = Date.now();
  await waitFor('the Problems panel to settle', async () => {
    const now = (await panel.locator('.monaco-list-row').evaluateAll((els) =>
      els.map((e) => e.getAttribute('aria-label')))).join('\n');
    if (now !== rows) {
      rows = now;
      since = Date.now();
    }
    return Date.now() - since >= 1500;
  });
  for (let attempt = 1; ; attempt++) {
    const at = await waitFor(`the problem under ${s.file}`, () => problemRowIndex(s.file));
    await panel.locator(`.monaco-list-row[data-index="${at}"]`).dblclick();
    // Left on the row, the mouse brings up the row's own hover (a .monaco-hover too),
    // which Escape does not close and which sat over the editor in CI.
    await page.mouse.move(1, 1);
    try {
      await waitFor(`${s.file} with the cursor on line ${where[1]}`, async () =>
        ((await activeTab.getAttribute('aria-label')) || '').includes(s.file) && (await status.innerText()).includes(`Ln ${where[1]},`), 10000);
      break;
    } catch (err) {
      log(`opening the problem, try ${attempt}: the active tab is "${await activeTab.getAttribute('aria-label')}", ${(await status.innerText()).trim()}`);
      if (attempt === 3) throw err;
      // The other file's tab would stay open into the next scenario.
      if (!((await activeTab.getAttribute('aria-label')) || '').includes(s.file)) await runCommand('View: Close Editor');
      await runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    }
  }
  log(`cursor: ${(await status.innerText()).trim()}; focus in editor: ${await editor.evaluate((el) => el.contains(document.activeElement))}`);
  // Opening a problem does not always move the keyboard focus into the editor (seen in
  // CI: Ctrl+. then went to the Problems panel). Ctrl+1 focuses the editor group and
  // keeps the cursor and selection.
  if (!(await editor.evaluate((el) => el.contains(document.activeElement)))) {
    await page.keyboard.press('Control+1');
    await waitFor('focus in the editor', async () => editor.evaluate((el) => el.contains(document.activeElement)));
    log(`focused the editor: ${(await status.innerText()).trim()}`);
  }
  // The hover on the finding: the rule's page, rendered from the server's Markdown.
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = page.locator('.monaco-hover:not(.hidden)').first();
  const hoverText = await waitFor('the hover with the rule page', async () => {
    const t = (await hover.isVisible().catch(() => false)) ? await hover.innerText() : '';
    return t.includes(RULE) && /how to fix/i.test(t) ? t : null;
  });
  log(`hover: ${hoverText.split('\n').filter((l) => l.trim()).slice(0, 2).join(' / ')} (${hoverText.length} chars)`);
  await screenshot(`${s.name}-hover`);
  await page.keyboard.press('Escape');
  await waitFor('the hover to close', async () => !(await hover.isVisible().catch(() => false)));

  const menu = await openQuickFixMenu(editor, s.name);
  const items = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  log(`Ctrl+. menu: ${items.join(' | ')}`);
  await screenshot(`${s.name}-quickfix-menu`);
  const fix = menu.locator('.monaco-list-row', { hasText: s.fixTitle }).first();
  await fix.waitFor();
  await fix.click();
  await menu.waitFor({ state: 'hidden' });

  // 4. Save, and check the file on disk.
  await page.locator('.tabs-container .tab.active.dirty').waitFor();
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached' });
  const text = await waitFor(`${s.fixed} in ${onDisk}`, () => {
    const t = fs.readFileSync(onDisk, 'utf8');
    return t.includes(s.fixed) ? t : null;
  });
  if (text.includes('Optional')) throw new Error(`file still says Optional:\n${text}`);
  log(`on disk: ${text.split('\n').find((l) => l.includes('clientCertMode')).trim()}`);

  // 5. The problem is gone.
  await waitFor(`the problem under ${s.file} to go`, async () => (await problemRowIndex(s.file)) === null);
  await waitFor('the squiggle to go', async () => (await squiggleOn(editor, 'clientCertMode')) === null);
  log('problem cleared');

  if (s.syntaxTree) {
    await runCommand('mtlsguard: Show syntax tree');
    const tab = page.locator('.tabs-container .tab', { hasText: `${s.file}.tree` }).first();
    await tab.waitFor();
    const treeEditor = page.locator('.editor-group-container.active .monaco-editor').first();
    const tree = await waitFor('syntax tree text', async () => {
      const t = (await treeEditor.locator('.view-lines').innerText()).trim();
      return t.length > 0 ? t : null;
    });
    log(`syntax tree (${s.file}.tree): ${tree.split('\n').slice(0, 3).map((l) => l.trim()).join(' / ')} ...`);
    await runCommand('View: Close All Editors');
  }
}

let exitCode = 0;
try {
  const base = await startCodeServer();
  await openWorkbench(base);
  let checkedBinary = false;
  for (const s of SCENARIOS) {
    try {
      await scenario(s);
      if (!checkedBinary) {
        checkedBinary = true;
        const line = await waitFor('the server start line in the mtlsguard log', () => serverStartLines()[0], 10000);
        log(`extension log: ${line.trim()}`);
        if (!line.includes(path.join(extensionsDir, '')) || !/[\\/]bin[\\/]linux-x64[\\/]mtlsguard server/.test(line)) {
          throw new Error('the extension did not start the binary bundled in the .vsix');
        }
        await statusBarAndSettingsLog();
      }
      results.push({ name: s.name, ok: true });
      console.log(`ok - vscode ${s.name}`);
    } catch (err) {
      results.push({ name: s.name, ok: false });
      console.log(`not ok - vscode ${s.name}: ${err.stack || err}`);
      await screenshot(s.name);
      await dumpProblems();
      logTraceTail(12);
      await page.keyboard.press('Escape').catch(() => {});
    }
  }
  try {
    await missingBinary();
    results.push({ name: 'missing-binary', ok: true });
    console.log('ok - vscode missing-binary');
  } catch (err) {
    results.push({ name: 'missing-binary', ok: false });
    console.log(`not ok - vscode missing-binary: ${err.stack || err}`);
    await screenshot('missing-binary');
  }
} catch (err) {
  console.log(`not ok - vscode set-up: ${err.stack || err}`);
  await screenshot('setup');
  results.push({ name: 'setup', ok: false });
} finally {
  await cleanup();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (failed) {
  exitCode = 1;
  console.log(`code-server log: ${path.join(ARTIFACTS, 'code-server.log')}`);
}
console.log(`vscode: ${passed} passed, ${failed} failed`);
process.exit(exitCode || (passed === SCENARIOS.length + 1 ? 0 : 1));
