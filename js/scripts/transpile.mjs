// Transpile wassl's guest component with jco into gen/ (an ES module with
// an `instantiate` function; WASI and wassl's imports are given at run time).
// The component comes from $WASSL_GUEST_WASM, or is the one the Rust crate
// ships (host/component/wassl_guest.wasm, checked against the guest sources
// by the test command): neither npm install nor npm pack needs Rust.
import { transpile } from '@bytecodealliance/jco';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const wasmPath =
  process.env.WASSL_GUEST_WASM ??
  join(root, '..', 'host', 'component', 'wassl_guest.wasm');
if (!existsSync(wasmPath)) {
  console.error(
    `no component at ${wasmPath}: set WASSL_GUEST_WASM, or run \`WASSL_UPDATE_COMPONENT=1 cargo build -p wassl\``,
  );
  process.exit(1);
}
const { files } = await transpile(await readFile(wasmPath), {
  name: 'wassl_guest',
  instantiation: { tag: 'async' },
  noTypescript: false,
  quiet: true,
});
// Two patterns of jco's output are rewritten; if jco changes either, stop
// rather than ship the slow form.
const js = 'wassl_guest.js';
let code = new TextDecoder().decode(files[js]);
const stop = (what) => {
  console.error(`jco changed ${what}: check transpile.mjs`);
  process.exit(1);
};

// jco 1.35 probes for JSPI with `try { x = WebAssembly.promising(f) }
// catch { x = f }`, 14 times per instantiation. Node 20 has no
// WebAssembly.promising, so each probe throws, and V8 builds the TypeError's
// message by re-parsing the function around the call: the 17,000-line
// instantiation generator. That was ~50 ms of every connection's ~75 ms
// instantiation. Test for the function first instead; where it exists the
// code does what jco wrote.
const PROBE = /try \{\n\s*(\w+) = WebAssembly\.promising\(([^\n]*)\);\n\s*\} catch\(err\) \{\n\s*\1 = \2;\n\s*\}/g;
let probes = 0;
code = code.replace(PROBE, (_, name, f) => {
  probes++;
  return `${name} = typeof WebAssembly.promising === 'function' ? WebAssembly.promising(${f}) : ${f};`;
});
if (probes === 0 || code.includes('= WebAssembly.promising(')) stop('how it probes WebAssembly.promising');

// jco's `_debugLog` reads `process.env.JCO_DEBUG` on every call, a few
// dozen times per call into or out of the component, and in Node every
// read of `process.env` is a lookup in the C environment. Read it once,
// when the module loads (so JCO_DEBUG must be set before that).
const DEBUG_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';
if (code.split(DEBUG_CHECK).length !== 2) stop('its _debugLog');
code =
  'const _jcoDebugOnce = Boolean(globalThis?.process?.env?.JCO_DEBUG);\n' +
  code.replace(DEBUG_CHECK, 'if (!_jcoDebugOnce) { return; }');
files[js] = new TextEncoder().encode(code);
// How many core modules the component holds depends on what it links (three
// today; four when it still needed WASI preview 1's adapter): say which, for
// the engine to compile.
const cores = Object.keys(files).filter((n) => n.endsWith('.wasm'));
files['core-modules.js'] = new TextEncoder().encode(
  `// Written by scripts/transpile.mjs: the core modules in gen/.\nexport const coreModules = ${JSON.stringify(cores)};\n`,
);
const out = join(root, 'gen');
await rm(out, { recursive: true, force: true });
for (const [name, bytes] of Object.entries(files)) {
  const dest = join(out, name);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, bytes);
}
console.log(`transpiled ${wasmPath} into gen/ (${Object.keys(files).length} files)`);
