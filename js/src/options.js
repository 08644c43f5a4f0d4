// `ssl` options in JavaScript shape: `{verify: 'verify_peer', cacerts: [der],
// alpnAdvertisedProtocols: ['h2']}` becomes the WIT `tls-option` list the
// engine takes. Keys are the Erlang option names in camelCase, values what
// the Erlang manual allows, written as JavaScript (strings for atoms,
// Uint8Array for DER, arrays for lists). Callbacks (`verifyFun`, `keylog`...)
// are hooks, not engine options: they are handed back separately.
//
// Works in Node and in browsers: file options carry their contents (the Node
// layer reads paths before it calls here).

/** A bad option, shaped like Erlang's `{error, {options, {Opt, Value}}}`. */
export class OptionError extends Error {
  constructor(name, value, detail) {
    super(`{options,{${name},${show(value)}}}${detail ? `: ${detail}` : ''}`);
    this.name = 'OptionError';
    /** The option's Erlang name, e.g. `certfile`. */
    this.option = name;
    this.value = value;
    this.detail = detail ?? '';
  }
  /** Erlang's term, e.g. `{options,{verify,verify_maybe}}`. */
  get reason() {
    return `{options,{${this.option},${show(this.value)}}}`;
  }
}

function show(v) {
  if (v instanceof Uint8Array) return `<<${v.length} bytes>>`;
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Keys that are callbacks or connection settings, not engine options. */
export const HOOKS = ['verifyFun', 'keylog', 'onSession', 'trace', 'hostCrypto', 'onError', 'serverName'];

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const utf8 = (s) => new TextEncoder().encode(s);

function fail(key, value, detail) {
  throw new OptionError(snake(key), value, detail);
}

const isBytes = (v) => v instanceof Uint8Array;
function bool(key, v) {
  if (typeof v !== 'boolean') fail(key, v, 'expected true or false');
  return v;
}
function strings(key, v) {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(key, v, 'expected a list of strings');
  return v;
}
function ders(key, v) {
  const list = isBytes(v) ? [v] : v;
  if (!Array.isArray(list) || !list.every(isBytes)) fail(key, v, 'expected DER as Uint8Array, or a list of them');
  return list;
}
function oneOf(key, v, allowed) {
  if (!(v in allowed)) fail(key, v, `expected one of ${Object.keys(allowed).join(', ')}`);
  return allowed[v];
}

/** A file option: `{path, contents}` (Node fills `contents` from a path). */
function file(key, v) {
  if (v && typeof v === 'object' && typeof v.path === 'string' && isBytes(v.contents)) return v;
  fail(key, v, typeof v === 'string' ? 'a path needs Node (wassl/node reads it); in a browser give {path, contents}' : 'expected {path, contents}');
}

const KEY_KINDS = { RSAPrivateKey: 'rsa-private-key', ECPrivateKey: 'ec-private-key', PrivateKeyInfo: 'private-key-info' };

/** `{key, {Tag, Der}}`: `{type: 'ECPrivateKey' | 'RSAPrivateKey' | 'PrivateKeyInfo', der}`. */
function privateKey(key, v) {
  if (!v || !isBytes(v.der) || !(v.type in KEY_KINDS)) fail(key, v, `expected {type: ${Object.keys(KEY_KINDS).join(' | ')}, der}`);
  return { kind: KEY_KINDS[v.type], der: v.der };
}

/** PEM text into its blocks: `[{label, der}]`. */
export function pemDecode(text) {
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  const out = [];
  for (const m of s.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    const bin = atob(m[2].replace(/\s+/g, ''));
    out.push({ label: m[1], der: Uint8Array.from(bin, (c) => c.charCodeAt(0)) });
  }
  return out;
}

const PEM_KEYS = { 'RSA PRIVATE KEY': 'RSAPrivateKey', 'EC PRIVATE KEY': 'ECPrivateKey', 'PRIVATE KEY': 'PrivateKeyInfo' };

/** One `certs_keys` entry: `{cert | certfile, key | keyfile}`. */
function certKey(key, v) {
  if (!v || typeof v !== 'object') fail(key, v, 'expected {cert | certfile, key | keyfile}');
  const chain = v.cert
    ? ders(key, v.cert)
    : v.certfile
      ? pemDecode(file(key, v.certfile).contents).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der)
      : fail(key, v, 'no cert or certfile');
  let k;
  if (v.key) k = privateKey(key, v.key);
  else if (v.keyfile) {
    const b = pemDecode(file(key, v.keyfile).contents).find((b) => b.label in PEM_KEYS);
    if (!b) fail(key, v.keyfile.path, 'no unencrypted private key in the file');
    k = { kind: KEY_KINDS[PEM_KEYS[b.label]], der: b.der };
  } else fail(key, v, 'no key or keyfile');
  if (!chain.length) fail(key, v, 'no certificate');
  return { chain, key: k };
}

// Erlang options rustls cannot honour: refused by name, with why.
const REFUSED = {
  pskIdentity: 'PSK cipher suites: rustls has none',
  srpIdentity: 'SRP: rustls has none',
  userLookupFun: 'PSK and SRP: rustls has neither',
  secureRenegotiate: 'renegotiation: rustls never renegotiates',
  clientRenegotiation: 'renegotiation: rustls never renegotiates',
};

const VERSIONS = { 'tlsv1.2': 'tlsv12', 'tlsv1.3': 'tlsv13' };

// Each option: its JavaScript value into the WIT variant's `val`.
const CONVERT = {
  verify: (k, v) => oneOf(k, v, { verify_peer: 'verify-peer', verify_none: 'verify-none' }),
  cacerts: ders,
  cacertfile: file,
  cert: ders,
  certfile: file,
  key: privateKey,
  keyfile: file,
  versions: (k, v) => {
    if (!Array.isArray(v) || !v.length) fail(k, v, "expected a list such as ['tlsv1.3', 'tlsv1.2']");
    if (!v.every((x) => x in VERSIONS)) fail(k, v, "TLS 1.2 and 1.3 only ('tlsv1.2', 'tlsv1.3'): older versions are refused by design (RFC 8996)");
    return v.map((x) => VERSIONS[x]);
  },
  serverNameIndication: (k, v) => {
    if (v === 'disable' || v === false) return { tag: 'disable' };
    if (typeof v === 'string' && v) return { tag: 'host', val: v };
    fail(k, v, "expected a host name, or 'disable'");
  },
  alpnAdvertisedProtocols: (k, v) => alpn(k, v),
  alpnPreferredProtocols: (k, v) => alpn(k, v),
  failIfNoPeerCert: bool,
  crlCheck: (k, v) => (v === false ? undefined : oneOf(k, v, { true: 'all', peer: 'peer', best_effort: 'best-effort' })),
  crls: ders,
  certsKeys: (k, v) => {
    if (!Array.isArray(v) || !v.length) fail(k, v, 'expected a list of {cert | certfile, key | keyfile}');
    return v.map((e) => certKey(k, e));
  },
  sniHosts: (k, v) => {
    if (!v || typeof v !== 'object') fail(k, v, 'expected {hostName: [{cert, key}], ...}');
    return Object.entries(v).map(([name, entries]) => [name, (Array.isArray(entries) ? entries : [entries]).map((e) => certKey(k, e))]);
  },
  ciphers: strings,
  honorCipherOrder: bool,
  supportedGroups: strings,
  eccs: strings,
  honorEccOrder: bool,
  middleboxCompMode: bool,
  certificateAuthorities: bool,
  signatureAlgs: strings,
  sessionTickets: (k, v) => oneOf(k, v, { disabled: 'disabled', stateless: 'stateless', stateful: 'stateful' }),
  reuseSessions: bool,
  ticketKeys: ders,
  clientSessions: (k, v) => ({
    keepTickets: bool(k, v?.keepTickets ?? false),
    keepTls12: bool(k, v?.keepTls12 ?? false),
    offer: ders(k, v?.offer ?? []),
  }),
};

function alpn(key, v) {
  if (!Array.isArray(v) || !v.length) fail(key, v, "expected a list such as ['h2', 'http/1.1']");
  return v.map((p) => {
    const b = typeof p === 'string' ? utf8(p) : p;
    if (!isBytes(b) || b.length === 0 || b.length > 255) fail(key, v, 'each protocol is 1 to 255 bytes');
    return b;
  });
}

/**
 * Options in JavaScript shape into `{options, hooks}`: the WIT list for the
 * engine and the callbacks. An array is taken as WIT options already.
 * Unknown keys and bad values throw an `OptionError`.
 */
export function tlsOptions(role, opts = {}) {
  if (Array.isArray(opts)) return { options: opts, hooks: {} };
  if (!opts || typeof opts !== 'object') throw new OptionError('options', opts, 'expected an object');
  const options = [];
  const hooks = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (HOOKS.includes(k)) {
      hooks[k] = v;
    } else if (k === 'earlyData') {
      // `{early_data, enabled}` with a size on a server; the data itself on a client.
      if (role === 'server') {
        if (!Number.isInteger(v) || v < 0) fail(k, v, 'a server takes the bytes it accepts (an integer)');
        options.push({ tag: 'early-data', val: v });
      } else {
        options.push({ tag: 'send-early-data', val: typeof v === 'string' ? utf8(v) : ders(k, v)[0] });
      }
    } else if (k in REFUSED) {
      fail(k, v, REFUSED[k]);
    } else if (k === 'protocol') {
      if (v !== 'tls') fail(k, v, 'DTLS: rustls has none');
    } else if (k in CONVERT) {
      const val = CONVERT[k](k, v);
      if (val !== undefined) options.push({ tag: kebab(k), val });
    } else {
      fail(k, v, 'unknown option');
    }
  }
  // A verify_fun is Erlang's way to decide: without it the engine's verdict stands.
  if (hooks.verifyFun) hooks.verify = hooks.verifyFun;
  if (hooks.onSession) hooks.session = hooks.onSession;
  // Secrets reach `keylog` only when asked for (`keep_secrets`).
  if (hooks.keylog && !options.some((o) => o.tag === 'keylog')) options.push({ tag: 'keylog', val: true });
  return { options, hooks };
}
