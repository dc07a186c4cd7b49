import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
} from 'vscode-languageclient/node';

const SECTION = 'mtlsguard';
const SYNTAX_TREE_SCHEME = 'mtlsguard-syntax-tree';
/** The official Bicep extension, which owns the `bicep` and `bicep-params` languages. */
const OFFICIAL_BICEP_EXTENSION = 'ms-azuretools.vscode-bicep';
/** Language ids as the official extensions name them, so documents reach us under either. */
const BICEP_LANGUAGES = ['bicep', 'bicep-params'];
const LANGUAGES = [...BICEP_LANGUAGES, 'json', 'jsonc', 'arm-template'];

let client: MtlsguardClient | undefined;
let outputChannel: vscode.LogOutputChannel;
let traceChannel: TraceChannel;
let status: ServerStatus;

/**
 * Settings sent to the server as initializationOptions, on didChangeConfiguration
 * and in answer to workspace/configuration: only the keys the server reads
 * (`mtlsguard.path` and `mtlsguard.trace.server` are the extension's own, and the
 * server would log each unknown key as a warning on every start).
 */
export interface ServerSettings {
  showSyntaxErrors: boolean;
  rules: Record<string, string>;
}

export function readSettings(scope?: vscode.Uri): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    showSyntaxErrors: config.get<boolean>('showSyntaxErrors', false),
    rules: { ...config.get<Record<string, string>>('rules', {}) },
  };
}

/** Where a platform package (`npm run package:linux-x64`) puts the binary. */
export function bundledServerPath(context: vscode.ExtensionContext): string | undefined {
  const exe = process.platform === 'win32' ? 'mtlsguard.exe' : 'mtlsguard';
  // Keyed by platform and arch: a binary for another platform in the folder
  // (a universal package built on the wrong machine) is never started.
  const bundled = context.asAbsolutePath(path.join('bin', `${process.platform}-${process.arch}`, exe));
  return isExecutable(bundled) ? bundled : undefined;
}

/**
 * The binary to start: `mtlsguard.path` if set (an explicit choice wins), else
 * the one bundled for this platform, else `mtlsguard` from PATH.
 */
export function resolveServerPath(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string>('path', '').trim();
  if (configured) {
    return expandHome(configured);
  }
  return bundledServerPath(context) ?? 'mtlsguard';
}

function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) {
    const home = process.env.HOME ?? process.env.USERPROFILE ?? '';
    return path.join(home, p.slice(1));
  }
  return p;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * vscode-languageclient shows its own error notification when the server cannot
 * be started, before start() rejects; startClient then shows one with an action
 * that leads to the fix. While starting, the client's notifications go to the
 * output channel only, so a missing binary makes one notification, not two.
 */
class MtlsguardClient extends LanguageClient {
  starting = false;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.starting ? false : showNotification);
  }
}

function createClient(context: vscode.ExtensionContext): MtlsguardClient {
  const command = resolveServerPath(context);
  outputChannel.appendLine(`Starting ${command} server`);
  // TransportKind.stdio makes the client append `--stdio` itself.
  const run = { command, args: ['server'], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    initializationOptions: () => readSettings(),
    // No `synchronize.configurationSection`: it would send the whole section,
    // mtlsguard.path included. onDidChangeConfiguration sends readSettings() instead,
    // and workspace/configuration is answered the same way.
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) {
            return answer;
          }
          return params.items.map((item, i): unknown =>
            item.section === SECTION
              ? readSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
              : answer[i],
          );
        },
      },
    },
    outputChannel,
    traceOutputChannel: traceChannel,
    diagnosticCollectionName: SECTION,
  };
  const created = new MtlsguardClient(SECTION, 'mtlsguard', serverOptions, clientOptions);
  created.onDidChangeState(({ newState }) => {
    if (client !== created) {
      return; // a client being replaced must not overwrite its successor's state
    }
    if (newState === State.Starting) {
      status.set('starting');
    } else if (newState === State.Running) {
      status.set('running', command);
    } else if (!created.starting) {
      status.set('stopped');
    }
  });
  return created;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const current = createClient(context);
  client = current;
  current.starting = true;
  try {
    await current.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel.appendLine(`Failed to start the mtlsguard server: ${message}`);
    status.set('error', message);
    void vscode.window
      .showErrorMessage(
        `mtlsguard: could not start the language server (${message}). Set "mtlsguard.path" to the mtlsguard binary.`,
        'Open Settings',
      )
      .then((choice) => {
        if (choice) {
          // mtlsguard.path is machine-scoped: a remote window (SSH, containers,
          // code-server) shows it in the remote's settings only, not in the user's.
          const command = vscode.env.remoteName ? 'workbench.action.openRemoteSettings' : 'workbench.action.openSettings';
          void vscode.commands.executeCommand(command, { query: `${SECTION}.path` });
        }
      });
  } finally {
    current.starting = false;
  }
}

/** Sends the server the settings it reads, as `{ settings: { mtlsguard: {...} } }`. */
async function sendSettings(): Promise<void> {
  if (client?.isRunning()) {
    await client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [SECTION]: readSettings() },
    });
  }
}

type ServerState = 'starting' | 'running' | 'stopped' | 'error';

/** The status bar item: the server's state; a click shows the output channel. */
class ServerStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('mtlsguard.status', vscode.StatusBarAlignment.Right, 100);
  private static readonly ICONS: Record<ServerState, string> = {
    starting: '$(sync~spin)',
    running: '$(check)',
    stopped: '$(circle-slash)',
    error: '$(error)',
  };

  constructor() {
    this.item.name = 'mtlsguard';
    this.item.command = 'mtlsguard.showOutput';
    this.set('stopped');
    this.item.show();
  }

  set(state: ServerState, detail?: string): void {
    this.item.text = `${ServerStatus.ICONS[state]} mtlsguard`;
    this.item.tooltip = `mtlsguard server: ${state}${detail ? ` (${detail})` : ''}. Click to show the output.`;
    this.item.accessibilityInformation = { label: `mtlsguard server: ${state}` };
    this.item.backgroundColor = state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

/**
 * Brackets and comments for Bicep when no extension that owns the language is there
 * (selections are surrounded with the auto-closing pairs, VS Code's default).
 */
const BICEP_LANGUAGE_CONFIGURATION: vscode.LanguageConfiguration = {
  comments: { lineComment: '//', blockComment: ['/*', '*/'] },
  brackets: [
    ['{', '}'],
    ['[', ']'],
    ['(', ')'],
  ],
  autoClosingPairs: [
    { open: '{', close: '}' },
    { open: '[', close: ']' },
    { open: '(', close: ')' },
    { open: "'", close: "'", notIn: [vscode.SyntaxTokenType.String, vscode.SyntaxTokenType.Comment] },
  ],
};

/**
 * package.json declares `bicep` and `bicep-params` with the official extension's ids,
 * aliases and file extensions and nothing else, so VS Code merges the two
 * declarations instead of giving `.bicepparam` two languages. The editing
 * behaviour (comments, brackets) is the official extension's when it is
 * installed; only without it does this set our own.
 */
function bicepLanguageConfiguration(): vscode.Disposable {
  let registered: vscode.Disposable[] = [];
  const update = (): void => {
    const official = vscode.extensions.getExtension(OFFICIAL_BICEP_EXTENSION) !== undefined;
    if (official && registered.length) {
      for (const d of registered) {
        d.dispose();
      }
      registered = [];
    } else if (!official && !registered.length) {
      registered = BICEP_LANGUAGES.map((id) => vscode.languages.setLanguageConfiguration(id, BICEP_LANGUAGE_CONFIGURATION));
    }
  };
  update();
  const listener = vscode.extensions.onDidChange(update);
  return {
    dispose: () => {
      for (const d of [listener, ...registered]) {
        d.dispose();
      }
    },
  };
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (err) {
      outputChannel.appendLine(`Error while stopping the server: ${String(err)}`);
    }
  }
}

/**
 * The LSP trace channel. vscode-languageclient only traces when its trace
 * channel's log level is Trace, and a LogOutputChannel's level can only be
 * changed by the user through "Developer: Set Log Level". This adapter over a
 * plain output channel reports Trace whenever `mtlsguard.trace.server` is not
 * "off", so the setting alone switches tracing on and off.
 */
class TraceChannel implements vscode.LogOutputChannel {
  private readonly channel = vscode.window.createOutputChannel('mtlsguard trace');
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  readonly onDidChangeLogLevel = this.levelChanged.event;
  readonly name = this.channel.name;
  private level = TraceChannel.configuredLevel();

  private static configuredLevel(): vscode.LogLevel {
    const trace = vscode.workspace.getConfiguration(SECTION).get<string>('trace.server', 'off');
    return trace === 'off' ? vscode.LogLevel.Info : vscode.LogLevel.Trace;
  }

  get logLevel(): vscode.LogLevel {
    return this.level;
  }

  refresh(): void {
    const level = TraceChannel.configuredLevel();
    if (level !== this.level) {
      this.level = level;
      this.levelChanged.fire(level);
    }
  }

  private write(tag: string, message: string | Error, args: unknown[]): void {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    const extra = args.length ? ' ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : '';
    this.channel.appendLine(`[${new Date().toISOString()}] ${tag}${text}${extra}`);
  }

  trace(message: string, ...args: unknown[]): void {
    this.write('', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.write('[debug] ', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.write('[info] ', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.write('[warn] ', message, args);
  }
  error(error: string | Error, ...args: unknown[]): void {
    this.write('[error] ', error, args);
  }
  append(value: string): void {
    this.channel.append(value);
  }
  appendLine(value: string): void {
    this.channel.appendLine(value);
  }
  replace(value: string): void {
    this.channel.replace(value);
  }
  clear(): void {
    this.channel.clear();
  }
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean') {
      this.channel.show(columnOrPreserveFocus);
    } else {
      this.channel.show(columnOrPreserveFocus, preserveFocus);
    }
  }
  hide(): void {
    this.channel.hide();
  }
  dispose(): void {
    this.levelChanged.dispose();
    this.channel.dispose();
  }
}

class SyntaxTreeProvider implements vscode.TextDocumentContentProvider {
  private readonly trees = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    this.trees.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.trees.get(uri.toString()) ?? '';
  }
}

async function showSyntaxTree(provider: SyntaxTreeProvider): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('mtlsguard: open a Bicep or ARM JSON file first.');
    return;
  }
  if (!client || !client.isRunning()) {
    void vscode.window.showErrorMessage('mtlsguard: the language server is not running.');
    return;
  }
  const documentUri = editor.document.uri.toString();
  const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
    command: 'mtlsguard.syntaxTree',
    arguments: [documentUri],
  });
  const text = typeof result === 'string' ? result : JSON.stringify(result, null, 2);
  const base = path.posix.basename(editor.document.uri.path) || 'untitled';
  const uri = vscode.Uri.from({ scheme: SYNTAX_TREE_SCHEME, path: `/${base}.tree`, query: documentUri });
  provider.set(uri, text);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel('mtlsguard', { log: true });
  traceChannel = new TraceChannel();
  status = new ServerStatus();
  context.subscriptions.push(outputChannel, traceChannel, status, bicepLanguageConfiguration());

  const provider = new SyntaxTreeProvider();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SYNTAX_TREE_SCHEME, provider),
    vscode.commands.registerCommand('mtlsguard.restartServer', async () => {
      outputChannel.appendLine('Restarting the mtlsguard server');
      await stopClient();
      await startClient(context);
    }),
    vscode.commands.registerCommand('mtlsguard.showOutput', () => outputChannel.show(true)),
    vscode.commands.registerCommand('mtlsguard.showSyntaxTree', async () => {
      try {
        await showSyntaxTree(provider);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        void vscode.window.showErrorMessage(`mtlsguard: syntax tree request failed: ${message}`);
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(`${SECTION}.trace.server`)) {
        traceChannel.refresh();
      }
      // The binary changed: the running server has to be replaced.
      if (event.affectsConfiguration(`${SECTION}.path`)) {
        outputChannel.appendLine('mtlsguard.path changed; restarting the server');
        await stopClient();
        await startClient(context);
      } else if (
        event.affectsConfiguration(`${SECTION}.rules`) ||
        event.affectsConfiguration(`${SECTION}.showSyntaxErrors`)
      ) {
        await sendSettings();
      }
    }),
    { dispose: () => void stopClient() },
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
