// Builds a platform package of the extension with the mtlsguard binary inside:
//
//   npm run package:linux-x64        # -> mtlsguard-linux-x64.vsix
//
// Builds `cargo build --release -p mtlsguard` (unless MTLSGUARD_BIN names a
// binary to bundle), strips a copy of it into bin/<target>/ and runs
// `vsce package --target <target>`. The release profile keeps line tables for
// backtraces, which makes the binary six times larger than the stripped one a
// user needs; the workspace's own binary is left as it is.
//
// Only the machine's own platform can be built: cargo cross-compilation needs a
// toolchain per target, which a developer machine rarely has.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_VSIX_BYTES = 6 * 1024 * 1024;
const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(extensionDir, '..', '..');

// Thrown, not exit(): the finally below must remove the bundled binary.
class PackageError extends Error {}
function fail(message) {
  throw new PackageError(message);
}
process.on('uncaughtException', (err) => {
  console.error(`package: ${err instanceof PackageError ? err.message : err.stack}`);
  process.exit(1);
});

function run(command, args, options = {}) {
  console.log(`package: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} exited with ${result.status}`);
}

function hasTool(tool) {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

const target = process.argv[2];
const host = `${process.platform}-${process.arch}`;
if (!target) fail('usage: node scripts/package-platform.mjs <target>, e.g. linux-x64');
if (target !== host) fail(`cannot build a ${target} package on ${host}: run this on a ${target} machine`);

let binary = process.env.MTLSGUARD_BIN;
if (binary) {
  binary = path.resolve(binary);
} else {
  run('cargo', ['build', '--release', '-p', 'mtlsguard'], { cwd: repoRoot });
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR) : path.join(repoRoot, 'target');
  binary = path.join(targetDir, 'release', process.platform === 'win32' ? 'mtlsguard.exe' : 'mtlsguard');
}
if (!fs.existsSync(binary)) fail(`no binary at ${binary}`);

const exe = process.platform === 'win32' ? 'mtlsguard.exe' : 'mtlsguard';
const binDir = path.join(extensionDir, 'bin', target);
const bundled = path.join(binDir, exe);
const vsix = path.join(extensionDir, `mtlsguard-${target}.vsix`);
fs.rmSync(binDir, { recursive: true, force: true });
fs.mkdirSync(binDir, { recursive: true });
try {
  fs.copyFileSync(binary, bundled);
  fs.chmodSync(bundled, 0o755);
  if (process.platform !== 'win32') {
    const strip = hasTool('strip') ? ['strip', []] : hasTool('objcopy') ? ['objcopy', ['--strip-all']] : null;
    if (!strip) fail('neither strip nor objcopy is installed (binutils)');
    run(strip[0], [...strip[1], bundled]);
  }
  console.log(`package: bundled ${binary} as bin/${target}/${exe} (${(fs.statSync(bundled).size / 1048576).toFixed(1)} MiB)`);
  fs.rmSync(vsix, { force: true });
  run(path.join(extensionDir, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--target', target, '-o', vsix],
    { cwd: extensionDir });
} finally {
  // A binary left in bin/ would end up in the next universal `npm run package`.
  fs.rmSync(binDir, { recursive: true, force: true });
}
const size = fs.statSync(vsix).size;
console.log(`package: ${path.relative(process.cwd(), vsix) || vsix}: ${(size / 1048576).toFixed(1)} MiB`);
if (size > MAX_VSIX_BYTES) fail(`${vsix} is larger than ${MAX_VSIX_BYTES / 1048576} MiB: is the binary stripped?`);
