// The `wassl:tls/crypto` import in Node: the host's native crypto
// (`node:crypto`, that is OpenSSL) for what the engine would otherwise do in
// wasm, as the Rust host does with ring.
//
// Every call through jco has a cost, so only work large enough to pay for
// the crossing comes here (`npm run bench`; BENCHMARKS.md has the figures):
// - Record protection: AES-GCM, 8-11x the sandbox's. ChaCha20-Poly1305 keys
//   are declined: the engine's own, in wasm SIMD, is faster than a call.
// - Key exchange (X25519, P-256, P-384), signing (the key came from
//   JavaScript in the options anyway) and signature verification: within
//   10% of the sandbox in handshakes/s, with OpenSSL's code.
// - Hashing (SHA-2 and HMAC, ~60 small calls a handshake): not offered;
//   through jco it costs a quarter of the handshake rate.
// Every call is synchronous, as jco's imports must be: a browser's WebCrypto
// is asynchronous only, so the page keeps the engine's own crypto.
import crypto from 'node:crypto';

/** A Buffer as the plain Uint8Array jco lowers. */
const bytes = (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

// A WIT `result` error is a thrown plain value (not an Error) in jco.
const fail = (text) => {
  throw text;
};

/** DER length octets. */
function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const octets = [];
  for (let v = n; v > 0; v >>= 8) octets.unshift(v & 0xff);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

const der = (tag, body) => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);

/** Raw public key bits (what TLS and the engine pass) wrapped as an SPKI. */
const spki = (algorithmId, key) =>
  der(0x30, Buffer.concat([Buffer.from(algorithmId, 'hex'), der(0x03, Buffer.concat([Buffer.from([0]), key]))]));

// ---- key exchange ----

/** X25519's AlgorithmIdentifier: TLS sends the raw 32-byte key. */
const X25519 = '300506032b656e';
const ECDH_CURVES = { 0x0017: 'prime256v1', 0x0018: 'secp384r1' };

/** One ephemeral private key of a key exchange. */
export class KeyShare {
  #secretOf;
  #public;

  /** @param {number} group an IANA NamedGroup code */
  constructor(group) {
    if (group === 0x001d) {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('x25519');
      this.#public = bytes(publicKey.export({ type: 'spki', format: 'der' }).subarray(-32));
      this.#secretOf = (peer) => {
        if (peer.length !== 32) fail('bad X25519 key share');
        const theirs = crypto.createPublicKey({ key: spki(X25519, peer), format: 'der', type: 'spki' });
        const secret = crypto.diffieHellman({ privateKey, publicKey: theirs });
        // All zeros: a low-order peer point (RFC 7748 section 6.1).
        if (secret.every((b) => b === 0)) fail('X25519 shared secret is zero');
        return secret;
      };
    } else if (ECDH_CURVES[group]) {
      const ecdh = crypto.createECDH(ECDH_CURVES[group]);
      this.#public = bytes(ecdh.generateKeys());
      // computeSecret checks that the point is on the curve; TLS 1.3 and
      // RFC 8422 send uncompressed points only.
      this.#secretOf = (peer) => {
        if (peer[0] !== 4) fail('not an uncompressed point');
        return ecdh.computeSecret(peer);
      };
    } else {
      fail(`group ${group} is not offered`);
    }
  }

  publicKey() {
    return this.#public;
  }

  /** The shared secret with `peer`'s share; spends `share`. */
  static complete(share, peer) {
    const secretOf = share.#secretOf;
    share.#secretOf = () => fail('key share already used');
    try {
      return bytes(secretOf(Buffer.from(peer)));
    } catch (e) {
      fail(typeof e === 'string' ? e : `bad key share: ${e.message}`);
    }
  }
}

// ---- record protection ----

const AEAD = {
  'aes128-gcm': ['aes-128-gcm', 16],
  'aes256-gcm': ['aes-256-gcm', 32],
};
const TAG_LEN = 16;

/** A record protection key; nonces and additional data come from the engine. */
export class AeadKey {
  #cipher;
  #key;

  constructor(alg, key) {
    // chacha20-poly1305 among them: the engine then keeps its own.
    const [cipher, len] = AEAD[alg] ?? fail(`${alg} is left to the engine`);
    if (key.length !== len) fail(`${alg} takes a ${len}-byte key, not ${key.length}`);
    this.#cipher = cipher;
    this.#key = crypto.createSecretKey(Buffer.from(key));
  }

  seal(nonce, aad, plaintext) {
    if (nonce.length !== 12) return undefined;
    const c = crypto.createCipheriv(this.#cipher, this.#key, nonce, { authTagLength: TAG_LEN });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return bytes(out);
  }

  open(nonce, aad, sealed) {
    if (nonce.length !== 12 || sealed.length < TAG_LEN) return undefined;
    const body = sealed.subarray(0, sealed.length - TAG_LEN);
    const d = crypto.createDecipheriv(this.#cipher, this.#key, nonce, { authTagLength: TAG_LEN });
    d.setAAD(aad, { plaintextLength: body.length });
    d.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
    const out = d.update(body);
    try {
      d.final();
    } catch {
      return undefined;
    }
    return bytes(out);
  }
}

// ---- verification ----

/** AlgorithmIdentifiers of the keys. */
const EC_P256 = '301306072a8648ce3d020106082a8648ce3d030107';
const EC_P384 = '301006072a8648ce3d020106052b81040022';
const ED25519 = '300506032b6570';
const RSA = '300d06092a864886f70d0101010500';

/** webpki's algorithms as `crypto.verify` takes them. */
const ecdsa = (key, hash) => ({ key, hash, options: { dsaEncoding: 'der' } });
const pss = (hash, saltLength) => ({
  key: RSA,
  hash,
  options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength },
});
const pkcs1 = (hash) => ({ key: RSA, hash, options: { padding: crypto.constants.RSA_PKCS1_PADDING } });
const VERIFY = {
  'ecdsa-p256-sha256': ecdsa(EC_P256, 'sha256'),
  'ecdsa-p256-sha384': ecdsa(EC_P256, 'sha384'),
  'ecdsa-p384-sha256': ecdsa(EC_P384, 'sha256'),
  'ecdsa-p384-sha384': ecdsa(EC_P384, 'sha384'),
  ed25519: { key: ED25519, hash: null, options: {} },
  'rsa-pss-sha256-legacy-key': pss('sha256', 32),
  'rsa-pss-sha384-legacy-key': pss('sha384', 48),
  'rsa-pss-sha512-legacy-key': pss('sha512', 64),
  'rsa-pkcs1-sha256': pkcs1('sha256'),
  'rsa-pkcs1-sha384': pkcs1('sha384'),
  'rsa-pkcs1-sha512': pkcs1('sha512'),
  // The same keys: "absent params" is about the certificate's encoding.
  'rsa-pkcs1-sha256-absent-params': pkcs1('sha256'),
  'rsa-pkcs1-sha384-absent-params': pkcs1('sha384'),
  'rsa-pkcs1-sha512-absent-params': pkcs1('sha512'),
};

function verifySignature(alg, publicKey, message, signature) {
  const how = VERIFY[alg];
  if (!how) return false;
  try {
    const key = crypto.createPublicKey({ key: spki(how.key, publicKey), format: 'der', type: 'spki' });
    // ring takes RSA keys of 2048 to 8192 bits only.
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (how.key === RSA && !(bits >= 2048 && bits <= 8192)) return false;
    return crypto.verify(how.hash, message, { key, ...how.options }, signature);
  } catch {
    return false;
  }
}

// ---- signing ----

/** TLS SignatureScheme codes and how `crypto.sign` makes each. */
const PSS = crypto.constants.RSA_PKCS1_PSS_PADDING;
const PKCS1 = crypto.constants.RSA_PKCS1_PADDING;
const SIGN = {
  0x0403: ['sha256', { dsaEncoding: 'der' }],
  0x0503: ['sha384', { dsaEncoding: 'der' }],
  0x0603: ['sha512', { dsaEncoding: 'der' }],
  0x0807: [null, {}],
  0x0806: ['sha512', { padding: PSS, saltLength: 64 }],
  0x0805: ['sha384', { padding: PSS, saltLength: 48 }],
  0x0804: ['sha256', { padding: PSS, saltLength: 32 }],
  0x0601: ['sha512', { padding: PKCS1 }],
  0x0501: ['sha384', { padding: PKCS1 }],
  0x0401: ['sha256', { padding: PKCS1 }],
};
/** Per key type: rustls's SignatureAlgorithm code and the schemes, in ring's order. */
const CURVE_SCHEME = { prime256v1: 0x0403, secp384r1: 0x0503, secp521r1: 0x0603 };
const RSA_SCHEMES = [0x0806, 0x0805, 0x0804, 0x0601, 0x0501, 0x0401];

/** A private key held here, parsed once when the engine loads it. */
export class SigningKey {
  #key;
  #schemes;

  constructor(key, schemes) {
    this.#key = key;
    this.#schemes = schemes;
  }

  sign(scheme, message) {
    if (!this.#schemes.includes(scheme)) fail('the key does not sign with this scheme');
    const [hash, options] = SIGN[scheme];
    return bytes(crypto.sign(hash, message, { key: this.#key, ...options }));
  }
}

function loadSigningKey(format, der) {
  let key;
  try {
    key = crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: format });
  } catch (e) {
    fail(`unparseable private key: ${e.message}`);
  }
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const [algorithm, schemes] =
    type === 'rsa' ? [1, RSA_SCHEMES]
    : type === 'ec' && CURVE_SCHEME[curve] ? [3, [CURVE_SCHEME[curve]]]
    : type === 'ed25519' ? [7, [0x0807]]
    : fail(`no signing with ${type} ${curve ?? ''} keys`.trim());
  const publicKey = bytes(crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }));
  return { key: new SigningKey(key, schemes), algorithm, publicKey, schemes };
}

/** The `wassl:tls/crypto` import object for jco. */
export const nodeCrypto = {
  capabilities: () => ({ keyExchange: true, signing: true, verification: true, hashing: false, recordProtection: true }),
  startKeyExchange: (group) => new KeyShare(group),
  agree(group, peer) {
    const share = new KeyShare(group);
    const ours = share.publicKey();
    return [ours, KeyShare.complete(share, peer)];
  },
  loadSigningKey,
  newAeadKey: (alg, key) => new AeadKey(alg, key),
  digest: () => fail('hashing is not offered'),
  hmac: () => fail('hashing is not offered'),
  tls12Prf: () => fail('hashing is not offered'),
  verifySignature,
  KeyShare,
  SigningKey,
  AeadKey,
  // Never made: hashing is not offered.
  HashContext: class {
    constructor() {
      fail('hashing is not offered');
    }
  },
};
