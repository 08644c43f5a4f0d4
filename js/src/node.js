// wassl in Node: the engine over `net` sockets.
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { Engine, TlsError } from './engine.js';
import { nodeCrypto } from './nodecrypto.js';

export * from './engine.js';
export { tlsOptions, OptionError, pemDecode } from './options.js';
export { nodeCrypto };

/**
 * The engine, its core modules compiled from gen/. `crypto` is the
 * `wassl:tls/crypto` import: Node's native crypto (nodecrypto.js) unless
 * given, `noHostCrypto` for all crypto in the sandbox.
 */
export async function loadEngine({ crypto = nodeCrypto } = {}) {
  const compile = async (name) => WebAssembly.compile(await readFile(new URL(`../gen/${name}`, import.meta.url)));
  return Engine.load(compile, crypto);
}

let shared;
/** The engine `connect`/`listen` use when given none: loaded once. */
export function defaultEngine() {
  shared ??= loadEngine();
  return shared;
}

const FILES = ['cacertfile', 'certfile', 'keyfile'];

/**
 * Options in JavaScript shape with their file paths read: `certfile:
 * 'server.pem'` becomes `{path, contents}`, here and in `certsKeys` and
 * `sniHosts` entries. WIT option lists pass through.
 */
export async function readOptionFiles(opts) {
  if (!opts || Array.isArray(opts) || typeof opts !== 'object') return opts;
  const read = async (v) => (typeof v === 'string' ? { path: v, contents: new Uint8Array(await readFile(v)) } : v);
  const entry = async (e) => (e && typeof e === 'object' ? { ...e, certfile: await read(e.certfile), keyfile: await read(e.keyfile) } : e);
  const out = { ...opts };
  for (const k of FILES) if (typeof out[k] === 'string') out[k] = await read(out[k]);
  if (Array.isArray(out.certsKeys)) out.certsKeys = await Promise.all(out.certsKeys.map(entry));
  if (out.sniHosts && typeof out.sniHosts === 'object') {
    const hosts = {};
    for (const [name, es] of Object.entries(out.sniHosts)) hosts[name] = await Promise.all((Array.isArray(es) ? es : [es]).map(entry));
    out.sniHosts = hosts;
  }
  return out;
}

const isEngine = (e) => e !== null && typeof e === 'object' && typeof e.connect === 'function';

/** A PEM file as the `cacertfile`/`certfile`/`keyfile` options take it. */
export async function pem(tag, path) {
  return { tag, val: { path, contents: new Uint8Array(await readFile(path)) } };
}

/**
 * A TLS connection over a TCP socket: `await handshake()`, `write(data)`,
 * `await read()` (a chunk of plaintext, or null once the peer closed),
 * `await close()`.
 */
export class TlsSocket {
  constructor(socket, tls) {
    this.socket = socket;
    this.tls = tls;
    this.chunks = [];
    this.waiters = [];
    this.closed = false;
    this.error = null;
    socket.on('data', (d) => this.#onData(d));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (e) => this.#fail(e));
    this.established = new Promise((resolve, reject) => {
      this.#established = { resolve, reject };
    });
  }

  #established;

  #onData(d) {
    if (this.error) return;
    let p;
    try {
      p = this.tls.feed(new Uint8Array(d));
    } catch (e) {
      if (e instanceof TlsError && e.output.length) this.socket.write(e.output);
      this.socket.end();
      this.#fail(e);
      return;
    }
    if (p.output.length) this.socket.write(p.output);
    if (p.handshakeDone) this.#established.resolve(this);
    if (p.plaintext.length) this.#push(p.plaintext);
    if (p.peerClosed) this.#onEnd();
  }

  #onEnd() {
    if (!this.tls.done) this.#established.reject(new TlsError({ tag: 'closed' }));
    this.closed = true;
    this.#push(null);
  }

  #fail(e) {
    this.error = e;
    this.#established.reject(e);
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  #push(chunk) {
    const w = this.waiters.shift();
    if (w) w.resolve(chunk);
    else this.chunks.push(chunk);
  }

  /** Resolves once the handshake is done. */
  async handshake() {
    if (this.tls.role === 'client') this.socket.write(this.tls.start());
    return this.established;
  }

  write(data) {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.socket.write(this.tls.send(bytes));
  }

  /** The next plaintext chunk, or null at the end. */
  read() {
    if (this.error) return Promise.reject(this.error);
    if (this.chunks.length) return Promise.resolve(this.chunks.shift());
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Send close_notify and end the TCP stream. */
  async close() {
    if (!this.error) this.socket.write(this.tls.closeNotify());
    this.socket.end();
  }
}

/**
 * `ssl:connect/4`: a TLS client over a new TCP connection.
 * `connect(host, port, options)`, or `connect(engine, host, port, options, hooks)`.
 */
export async function connect(...args) {
  if (!isEngine(args[0])) args.unshift(await defaultEngine());
  const [engine, host, port, opts = {}, hooks = {}] = args;
  const options = await readOptionFiles(opts);
  const tls = await engine.connect('client', options, { serverName: host, ...hooks });
  const socket = net.connect(port, host);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const s = new TlsSocket(socket, tls);
  await s.handshake();
  return s;
}

/**
 * `ssl:listen/2` + `handshake`: `onConnection(tlsSocket)` for every client.
 * `listen(port, options, onConnection)`, or `listen(engine, port, options,
 * onConnection, hooks)`; port 0 takes any free port (`server.address()`).
 * Like `ssl:listen/2`, bad options reject here, before anything listens.
 * A client whose sandbox cannot be made is disconnected and reported to
 * `hooks.onError`, not left waiting.
 */
export async function listen(...args) {
  if (!isEngine(args[0])) args.unshift(await defaultEngine());
  const [engine, port, opts, onConnection, moreHooks = {}] = args;
  const options = await readOptionFiles(opts);
  // onError may come with the options, in JavaScript shape.
  const hooks = { onError: opts?.onError, ...moreHooks };
  await engine.connect('server', options, hooks);
  const server = net.createServer(async (socket) => {
    socket.pause();
    let tls;
    try {
      tls = await engine.connect('server', options, hooks);
    } catch (e) {
      socket.destroy();
      hooks.onError?.(e);
      return;
    }
    const s = new TlsSocket(socket, tls);
    socket.resume();
    s.handshake().then(() => onConnection(s), (e) => hooks.onError?.(e));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
