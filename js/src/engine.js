// wassl's TLS engine in JavaScript: the guest component transpiled by jco,
// one instance (one sandbox) per connection, as on the Rust host. Works in
// Node and in browsers: the caller says how to load the core wasm modules.
//
// The engine is sans-I/O: feed it the bytes read from the peer, write out
// what it returns. The imported `wassl:tls/verify` interface is implemented
// here, per connection, by plain JavaScript callbacks (`verify`, `keylog`).
import { instantiate } from '../gen/wassl_guest.js';
import { coreModules } from '../gen/core-modules.js';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { tlsOptions } from './options.js';

/** An error of the engine, shaped like Erlang's `{error, Reason}`. */
export class TlsError extends Error {
  constructor(error, output) {
    super(reasonText(error));
    /** The WIT `tls-error`: `{tag: 'tls-alert', val: {description, code, origin, text}}`, ... */
    this.error = error;
    /** The alert record(s) to send the peer before closing. */
    this.output = output ?? new Uint8Array();
  }
  /** Erlang's term, e.g. `{tls_alert,{unknown_ca,"TLS client: ..."}}`. */
  get reason() {
    return reasonText(this.error);
  }
}

function reasonText(e) {
  if (e?.tag === 'tls-alert') return `{tls_alert,{${e.val.description},${JSON.stringify(e.val.text.trim())}}}`;
  if (e?.tag === 'einval') return 'einval';
  if (e?.tag === 'closed') return 'closed';
  // The WIT `option-error` of `Config.create`.
  if (e && typeof e.name === 'string' && 'detail' in e) return `{options,{${e.name},${e.value}}}: ${e.detail}`;
  return String(e);
}

/** Run an export; a WIT `err` becomes a TlsError. */
function call(f) {
  try {
    return f();
  } catch (e) {
    if (e && Object.prototype.hasOwnProperty.call(e, 'payload')) {
      const p = e.payload;
      if (p && 'error' in p && 'output' in p) throw new TlsError(p.error, p.output);
      throw new TlsError(p);
    }
    throw e;
  }
}

/** Erlang's name of a `bad-cert` (`unknown_ca`, `{bad_cert, ...}` reasons). */
export function badCertName(b) {
  if (!b) return 'valid';
  return b.tag === 'other' ? b.val : b.tag.replaceAll('-', '_');
}

// The `wassl:tls/crypto` import of a host with no native crypto (a browser:
// WebCrypto is asynchronous, jco's imports are not): no capability flags, so
// the engine does key exchange, signatures, hashing and record AEAD with its
// own ring build. The rest is never called. Node has `nodeCrypto`
// (nodecrypto.js).
const unsupported = () => {
  throw 'no host crypto';
};
class NoResource {
  constructor() {
    unsupported();
  }
}
export const noHostCrypto = {
  capabilities: () => ({ keyExchange: false, signing: false, verification: false, hashing: false, recordProtection: false }),
  startKeyExchange: unsupported,
  agree: unsupported,
  loadSigningKey: unsupported,
  newAeadKey: unsupported,
  digest: unsupported,
  hmac: unsupported,
  tls12Prf: unsupported,
  verifySignature: () => false,
  KeyShare: NoResource,
  SigningKey: NoResource,
  AeadKey: NoResource,
  HashContext: NoResource,
};

export class Engine {
  /**
   * @param {(path: string) => Promise<WebAssembly.Module>} compile
   *   compiles one of the core modules in gen/ (`wassl_guest.core.wasm`...)
   * @param {object} [crypto] the `wassl:tls/crypto` import: the host's
   *   native crypto (`nodeCrypto` in Node), none by default
   */
  static async load(compile, crypto = noHostCrypto) {
    const modules = new Map();
    for (const n of coreModules) modules.set(n, await compile(n));
    return new Engine(modules, crypto);
  }

  constructor(modules, crypto = noHostCrypto) {
    this.modules = modules;
    this.crypto = crypto;
    // No files, no environment: the engine needs only clocks and randomness.
    this.wasi = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['wassl'], enableNetwork: false } }).getImportObject();
  }

  /**
   * A new sandbox holding one connection.
   * @param {'client'|'server'} role
   * @param {object|Array} options options in JavaScript shape (options.js:
   *   `{verify: 'verify_peer', cacerts: [der]}`, hooks included), or WIT
   *   `tls-option`s, e.g. `{tag: 'cacerts', val: [der]}`
   * @param {object} hooks `serverName` (client), `verify(chain) => true | badCert`,
   *   `keylog(line)`, `trace(event)`, `session(s)` (a client's new ticket
   *   or TLS 1.2 session: `{version, sessionId, maxEarlyData, lifetime, value}`;
   *   offer `value` again with the `client-sessions` option), `hostCrypto`
   *   (false: all crypto in this sandbox, as wassl's `{host_crypto, false}`)
   */
  async connect(role, opts, moreHooks = {}) {
    const { options, hooks: given } = tlsOptions(role, opts);
    const hooks = { ...given, ...moreHooks };
    const trace = hooks.trace ?? (() => {});
    const verify = {
      verifyPeer(chain) {
        const decision = hooks.verify ? hooks.verify(chain) : chain.problem ? chain.problem : true;
        trace({ kind: 'verify', chain: chain.chain, problem: badCertName(chain.problem), decision: decision === true ? 'valid' : badCertName(decision) });
        // jco: a thrown plain value is the `err` of `result<_, bad-cert>`.
        if (decision !== true) throw decision;
      },
      partialChain: () => undefined,
      sniFun: () => ({ tag: 'use-default' }),
      keylog(label, random, secret) {
        hooks.keylog?.(`${label} ${hex(random)} ${hex(secret)}`);
      },
      sessionPut: () => false,
      sessionGet: () => undefined,
      sessionTake: () => undefined,
      newClientSession(session) {
        hooks.session?.(session);
      },
    };
    // `hostCrypto: false` is wassl's `{host_crypto, false}`: all crypto in the sandbox.
    const crypto = hooks.hostCrypto === false ? noHostCrypto : this.crypto;
    const imports = { ...this.wasi, 'wassl:tls/types': {}, 'wassl:tls/verify': verify, 'wassl:tls/crypto': crypto };
    const root = await instantiate((n) => this.modules.get(n), imports);
    const cfg = call(() => root.options.Config.create(role, withDefaults(role, options)));
    const conn = call(() =>
      role === 'client'
        ? root.handshake.Connection.client(cfg, hooks.serverName ?? 'localhost')
        : root.handshake.Connection.server(cfg),
    );
    return new TlsConnection(root, conn, role, trace);
  }
}

/**
 * Without a host record layer the engine's own ChaCha20-Poly1305 (wasm SIMD)
 * is the fastest AEAD: AES in wasm has no hardware help, and AES-GCM through
 * Node's crypto pays jco's cost per call (`npm run bench`). Unless the caller
 * chose `ciphers`, prefer it (and, on a server, honour that order).
 */
export const CHACHA_FIRST = [
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
];

function withDefaults(role, options) {
  if (options.some((o) => o.tag === 'ciphers')) return options;
  const extra = [{ tag: 'ciphers', val: CHACHA_FIRST }];
  if (role === 'server' && !options.some((o) => o.tag === 'honor-cipher-order')) {
    extra.push({ tag: 'honor-cipher-order', val: true });
  }
  return [...extra, ...options];
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One connection; see `Engine.connect`. */
export class TlsConnection {
  constructor(root, conn, role, trace) {
    this.root = root;
    this.conn = conn;
    this.role = role;
    this.trace = trace;
    this.done = false;
  }

  /** Bytes read from the peer in; records to send and plaintext out. */
  feed(bytes) {
    const p = call(() => this.conn.feed(bytes));
    if (p.handshakeDone && !this.done) {
      this.done = true;
      this.trace({ kind: 'established', info: this.info() });
    }
    return p;
  }

  /** A client's first flight (its ClientHello). */
  start() {
    return this.feed(new Uint8Array()).output;
  }

  get handshaking() {
    return this.conn.isHandshaking();
  }

  /** Application data into records. */
  send(data) {
    return call(() => this.root.records.send(this.conn, data));
  }

  /** The close_notify record. */
  closeNotify() {
    return this.root.records.closeNotify(this.conn);
  }

  /** `connection_information/1`. */
  info() {
    return call(() => this.root.records.connectionInformation(this.conn));
  }

  /** The peer's chain, DER, leaf first. */
  peerCertificates() {
    return this.root.records.peerCertificates(this.conn);
  }

  /** `export_key_materials/4`. */
  exportKeyingMaterial(label, context, length) {
    return call(() => this.root.records.exportKeyingMaterial(this.conn, label, context, length));
  }
}

/** The TLS records in `bytes` (whole ones), for showing what crosses the wire. */
export function records(bytes) {
  const names = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };
  const hs = { 1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 8: 'EncryptedExtensions', 11: 'Certificate', 13: 'CertificateRequest', 15: 'CertificateVerify', 20: 'Finished' };
  const out = [];
  let i = 0;
  while (i + 5 <= bytes.length) {
    const type = bytes[i];
    const len = (bytes[i + 3] << 8) | bytes[i + 4];
    const r = { type: names[type] ?? String(type), length: len };
    // Only the first flights travel in the clear; the rest is encrypted.
    if (type === 22 && i + 5 < bytes.length) r.message = hs[bytes[i + 5]] ?? `handshake ${bytes[i + 5]}`;
    out.push(r);
    i += 5 + len;
  }
  return out;
}
