// The browser demo's server: static files (the page, the engine, gen/, the
// WASI shim), throwaway certificates under /pki/, and a WebSocket relay at
// /relay that joins the page to a real TLS server over TCP.
//
//   npm run serve            # prints the page's address; Ctrl-C stops it
//
// Run alone, it also starts `openssl s_server -rev` as the real server
// behind the relay. Tests import `startServer` and choose their own.
import http from 'node:http';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { makePki, openssl, freePort } from './pki.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.der': 'application/octet-stream', '.css': 'text/css' };
// Only what the page needs is served.
const allowed = ['web/', 'src/', 'gen/', 'node_modules/@bytecodealliance/preview2-shim/dist/'];

/** Serve the page on `port` (0: any); the relay connects to `tlsPort` only. */
export async function startServer({ port = 0, pki, tlsPort }) {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let path = url.pathname === '/' ? 'web/index.html' : normalize(url.pathname).replace(/^\/+/, '');
    if (path.startsWith('pki/')) {
      const name = { 'pki/ca.der': 'ca.der', 'pki/server.der': 'server.der', 'pki/server.key.der': 'server.key.der' }[path];
      if (!name) return res.writeHead(404).end();
      path = pki.file(name);
    } else if (!allowed.some((a) => path.startsWith(a)) || path.includes('..')) {
      return res.writeHead(404).end();
    } else {
      path = join(root, path);
    }
    try {
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  // The relay: WebSocket binary messages <-> one TCP connection to the TLS server.
  const wss = new WebSocketServer({ server, path: '/relay' });
  wss.on('connection', (ws) => {
    const tcp = net.connect(tlsPort, '127.0.0.1');
    tcp.on('data', (d) => ws.send(d));
    tcp.on('end', () => ws.close());
    tcp.on('error', () => ws.close());
    ws.on('message', (m) => tcp.write(m));
    ws.on('close', () => tcp.end());
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pki = makePki();
  const tlsPort = freePort();
  const s_server = await openssl(
    ['s_server', '-accept', String(tlsPort), '-cert', pki.cert, '-key', pki.key, '-rev', '-alpn', 'http/1.1'],
    'ACCEPT',
  );
  const server = await startServer({ port: Number(process.env.PORT ?? 8080), pki, tlsPort });
  console.log(`open http://127.0.0.1:${server.address().port}/ (openssl s_server -rev on port ${tlsPort} behind the relay)`);
  process.on('SIGINT', () => {
    s_server.kill();
    process.exit(0);
  });
}
