// Transpile wassl's guest component with jco into gen/ (an ES module with
// an `instantiate` function; WASI and wassl's imports are given at run time).
// The component comes from $WASSL_GUEST_WASM, or from the workspace's build
// (`cargo build -p wassl` builds it into target/guest/).
import { transpile } from '@bytecodealliance/jco';
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const wasmPath =
  process.env.WASSL_GUEST_WASM ??
  join(root, '..', '..', 'target', 'guest', 'wasm32-wasip2', 'guest', 'wassl_guest.wasm');
if (!existsSync(wasmPath)) {
  console.error(
    `no component at ${wasmPath}: run \`cargo build -p wassl\` first, or set WASSL_GUEST_WASM`,
  );
  process.exit(1);
}
const { files } = await transpile(await readFile(wasmPath), {
  name: 'wassl_guest',
  instantiation: { tag: 'async' },
  noTypescript: false,
  quiet: true,
});
const out = join(root, 'gen');
await rm(out, { recursive: true, force: true });
for (const [name, bytes] of Object.entries(files)) {
  const dest = join(out, name);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, bytes);
}
console.log(`transpiled ${wasmPath} into gen/ (${Object.keys(files).length} files)`);
