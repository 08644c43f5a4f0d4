// The engine in Node, in memory (client and server in this process, no
// sockets): full handshakes/s and bulk MiB/s with Node's native crypto as the
// host crypto (src/nodecrypto.js) and with every byte of crypto in the
// sandbox. `npm run bench` (after `npm run transpile`); each figure is the
// median of 5 runs. BENCHMARKS.md has the latest figures.
import { readFileSync } from 'node:fs';
import { loadEngine } from '../src/node.js';
import { noHostCrypto } from '../src/engine.js';
import { nodeCrypto } from '../src/nodecrypto.js';
import { makePki } from './pki.js';

const pki = makePki();
const file = (tag, path) => ({ tag, val: { path, contents: new Uint8Array(readFileSync(path)) } });
const serverOptions = [file('certfile', pki.cert), file('keyfile', pki.key)];
const clientOptions = [file('cacertfile', pki.ca)];

/** A client and a server engine connection, handshaken in memory. */
async function pair(engine, suite) {
  const ciphers = suite ? [{ tag: 'ciphers', val: [suite] }] : [];
  const client = await engine.connect('client', [...clientOptions, ...ciphers], { serverName: 'localhost' });
  const server = await engine.connect('server', [...serverOptions, ...ciphers]);
  let toServer = client.start();
  while (!(client.done && server.done)) {
    const s = server.feed(toServer);
    const c = client.feed(s.output);
    toServer = c.output;
  }
  if (toServer.length) server.feed(toServer);
  return { client, server };
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function handshakes(engine, n) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await pair(engine);
  return n / ((performance.now() - t) / 1000);
}

async function bulk(engine, suite, mib) {
  const { client, server } = await pair(engine, suite);
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const t = performance.now();
  let got = 0;
  for (let i = 0; i < mib * 16; i++) got += server.feed(client.send(chunk)).plaintext.length;
  if (got !== mib * 1024 * 1024) throw new Error(`${got} bytes arrived`);
  return mib / ((performance.now() - t) / 1000);
}

const withNode = await loadEngine({ crypto: nodeCrypto });
const inSandbox = await loadEngine({ crypto: noHostCrypto });
const rows = [
  ['full handshakes, TLS 1.3 ECDSA P-256', 'handshakes/s', (e) => handshakes(e, 100)],
  ['bulk, TLS 1.3 AES-128-GCM', 'MiB/s', (e) => bulk(e, 'TLS_AES_128_GCM_SHA256', e === withNode ? 256 : 8)],
  ['bulk, TLS 1.3 AES-256-GCM', 'MiB/s', (e) => bulk(e, 'TLS_AES_256_GCM_SHA384', e === withNode ? 256 : 8)],
  ['bulk, TLS 1.3 ChaCha20-Poly1305', 'MiB/s', (e) => bulk(e, 'TLS_CHACHA20_POLY1305_SHA256', e === withNode ? 256 : 64)],
];
console.log(`wassl in Node ${process.version} through jco, in memory, median of 5`);
console.log('workload'.padEnd(40), 'sandbox'.padStart(10), 'node:crypto'.padStart(12), 'unit'.padStart(14), 'ratio'.padStart(8));
for (const [name, unit, run] of rows) {
  const runs = async (e) => {
    const xs = [];
    for (let i = 0; i < 5; i++) xs.push(await run(e));
    return median(xs);
  };
  const sandbox = await runs(inSandbox);
  const node = await runs(withNode);
  console.log(name.padEnd(40), sandbox.toFixed(1).padStart(10), node.toFixed(1).padStart(12), unit.padStart(14), `${(node / sandbox).toFixed(2)}x`.padStart(8));
}
