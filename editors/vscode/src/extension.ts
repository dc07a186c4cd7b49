import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
  ExecuteCommandRequest,
} from 'vscode-languageclient/node';

const SECTION = 'mtlsguard';
const SYNTAX_TREE_SCHEME = 'mtlsguard-syntax-tree';

let client: LanguageClient | undefined;
let outputChannel: vscode.LogOutputChannel;
let traceChannel: TraceChannel;

/** Settings sent to the server as initializationOptions and on didChangeConfiguration. */
export interface ServerSettings {
  showSyntaxErrors: boolean;
  rules: Record<string, string>;
}

export function readSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    showSyntaxErrors: config.get<boolean>('showSyntaxErrors', false),
    rules: { ...config.get<Record<string, string>>('rules', {}) },
  };
}

/**
 * The binary to start: `mtlsguard.path` if set, else the one bundled in the
 * extension's `bin/` folder if present, else `mtlsguard` from PATH.
 */
export function resolveServerPath(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace.getConfiguration(SECTION).get<string>('path', '').trim();
  if (configured) {
    return expandHome(configured);
  }
  const exe = process.platform === 'win32' ? 'mtlsguard.exe' : 'mtlsguard';
  const bundled = context.asAbsolutePath(path.join('bin', exe));
  if (isExecutable(bundled)) {
    return bundled;
  }
  return 'mtlsguard';
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

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const command = resolveServerPath(context);
  outputChannel.appendLine(`Starting ${command} server`);
  // TransportKind.stdio makes the client append `--stdio` itself.
  const run = { command, args: ['server'], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'bicep' },
      { scheme: 'untitled', language: 'bicep' },
      { scheme: 'file', language: 'json' },
      { scheme: 'file', language: 'jsonc' },
      { scheme: 'file', language: 'arm-template' },
      { scheme: 'untitled', language: 'json' },
      { scheme: 'untitled', language: 'jsonc' },
      { scheme: 'untitled', language: 'arm-template' },
    ],
    initializationOptions: () => readSettings(),
    // The server reads `{ mtlsguard: { ... } }` from didChangeConfiguration.
    synchronize: { configurationSection: SECTION },
    outputChannel,
    traceOutputChannel: traceChannel,
    diagnosticCollectionName: SECTION,
  };
  return new LanguageClient(SECTION, 'mtlsguard', serverOptions, clientOptions);
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  try {
    await client.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel.appendLine(`Failed to start the mtlsguard server: ${message}`);
    void vscode.window
      .showErrorMessage(
        `mtlsguard: could not start the language server (${message}). Set "mtlsguard.path" to the mtlsguard binary.`,
        'Open Settings',
      )
      .then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand('workbench.action.openSettings', 'mtlsguard.path');
        }
      });
  }
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
  context.subscriptions.push(outputChannel, traceChannel);

  const provider = new SyntaxTreeProvider();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SYNTAX_TREE_SCHEME, provider),
    vscode.commands.registerCommand('mtlsguard.restartServer', async () => {
      outputChannel.appendLine('Restarting the mtlsguard server');
      await stopClient();
      await startClient(context);
    }),
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
      }
    }),
    { dispose: () => void stopClient() },
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
