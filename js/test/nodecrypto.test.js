// Node's native crypto as the engine's host crypto (src/nodecrypto.js): each
// operation against node:crypto's own and against bad input, then whole
// connections to openssl s_server with every suite, counting what ran here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { loadEngine, connect, pem } from '../src/node.js';
import { nodeCrypto, AeadKey, KeyShare } from '../src/nodecrypto.js';
import { noHostCrypto } from '../src/engine.js';
import { makePki, openssl, freePort } from '../scripts/pki.js';

const pki = makePki();

test('key shares agree, in every group; a used or bad share is refused', () => {
  for (const group of [0x001d, 0x0017, 0x0018]) {
    const a = nodeCrypto.startKeyExchange(group);
    const [bPublic, bSecret] = nodeCrypto.agree(group, a.publicKey());
    assert.deepEqual(KeyShare.complete(a, bPublic), bSecret, `group ${group}`);
    assert.throws(() => KeyShare.complete(a, bPublic), (e) => typeof e === 'string');
    const c = nodeCrypto.startKeyExchange(group);
    // X25519: u = 0, of low order (the secret would be zero); P-256/384: a
    // point off the curve.
    const bad = new Uint8Array(c.publicKey().length).fill(group === 0x001d ? 0 : 1);
    bad[0] = group === 0x001d ? 0 : 4;
    assert.throws(() => KeyShare.complete(c, bad), (e) => typeof e === 'string', `group ${group}`);
  }
  assert.throws(() => nodeCrypto.startKeyExchange(0x0100), (e) => typeof e === 'string');
});

test('AES-GCM records seal and open as node:crypto does; a flipped bit or short nonce gives none', () => {
  for (const [alg, cipher, len] of [
    ['aes128-gcm', 'aes-128-gcm', 16],
    ['aes256-gcm', 'aes-256-gcm', 32],
  ]) {
    const key = crypto.randomBytes(len);
    const nonce = crypto.randomBytes(12);
    const aad = Buffer.from('record header');
    const plain = crypto.randomBytes(1000);
    const k = nodeCrypto.newAeadKey(alg, new Uint8Array(key));
    const sealed = k.seal(nonce, aad, plain);
    const c = crypto.createCipheriv(cipher, key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    assert.deepEqual(Buffer.from(sealed), Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]), alg);
    assert.deepEqual(Buffer.from(k.open(nonce, aad, sealed)), plain, alg);
    const bad = new Uint8Array(sealed);
    bad[17] ^= 4;
    assert.equal(k.open(nonce, aad, bad), undefined, alg);
    assert.equal(k.open(nonce, Buffer.from('other header'), sealed), undefined, alg);
    assert.equal(k.seal(nonce.subarray(0, 11), aad, plain), undefined, alg);
    assert.throws(() => nodeCrypto.newAeadKey(alg, new Uint8Array(len - 1)), (e) => typeof e === 'string');
  }
  assert.ok(new AeadKey('aes128-gcm', new Uint8Array(16)) instanceof AeadKey);
  // Declined: the engine keeps its own (faster than a call through jco).
  assert.throws(() => nodeCrypto.newAeadKey('chacha20-poly1305', new Uint8Array(32)), (e) => typeof e === 'string');
});

test('signatures verify from the raw public key bits, as webpki passes them', () => {
  const message = Buffer.from('the handshake transcript');
  // The subjectPublicKey bits: the end of the SPKI (EC points, Ed25519),
  // or the RSAPublicKey after the BIT STRING's header and unused-bits octet.
  const raw = (publicKey) => {
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const jwk = publicKey.export({ format: 'jwk' });
    if (jwk.kty === 'RSA') return spki.subarray(spki.indexOf(Buffer.from([0x03, 0x82])) + 5);
    return spki.subarray(spki.length - (jwk.kty === 'OKP' ? 32 : jwk.crv === 'P-256' ? 65 : 97));
  };
  const cases = [
    ['ec', { namedCurve: 'P-256' }, 'ecdsa-p256-sha256', 'sha256', {}],
    ['ec', { namedCurve: 'P-384' }, 'ecdsa-p384-sha384', 'sha384', {}],
    ['ed25519', {}, 'ed25519', null, {}],
    ['rsa', { modulusLength: 2048 }, 'rsa-pss-sha256-legacy-key', 'sha256', { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
    ['rsa', { modulusLength: 2048 }, 'rsa-pkcs1-sha384', 'sha384', { padding: crypto.constants.RSA_PKCS1_PADDING }],
  ];
  for (const [type, params, alg, hash, options] of cases) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync(type, params);
    const signature = crypto.sign(hash, message, { key: privateKey, ...options });
    const bits = raw(publicKey);
    assert.equal(nodeCrypto.verifySignature(alg, bits, message, signature), true, alg);
    assert.equal(nodeCrypto.verifySignature(alg, bits, Buffer.from('another transcript'), signature), false, alg);
  }
  // ring takes no RSA keys under 2048 bits; neither does this.
  const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const spki = small.publicKey.export({ type: 'spki', format: 'der' });
  const bits = spki.subarray(spki.indexOf(Buffer.from([0x03, 0x81])) + 4);
  const sig = crypto.sign('sha256', message, { key: small.privateKey, padding: crypto.constants.RSA_PKCS1_PADDING });
  assert.equal(nodeCrypto.verifySignature('rsa-pkcs1-sha256', bits, message, sig), false);
  assert.equal(nodeCrypto.verifySignature('ecdsa-p256-sha256', new Uint8Array(65), message, sig), false);
});

test('private keys load once and sign with each of their schemes; others are refused', () => {
  const message = Buffer.from('the handshake transcript');
  const cases = [
    ['ec', { namedCurve: 'P-256' }, 'pkcs8', 3, [0x0403]],
    ['ec', { namedCurve: 'P-384' }, 'sec1', 3, [0x0503]],
    ['ed25519', {}, 'pkcs8', 7, [0x0807]],
    ['rsa', { modulusLength: 2048 }, 'pkcs1', 1, [0x0806, 0x0805, 0x0804, 0x0601, 0x0501, 0x0401]],
  ];
  for (const [type, params, format, algorithm, schemes] of cases) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync(type, params);
    const der = new Uint8Array(privateKey.export({ type: format, format: 'der' }));
    const loaded = nodeCrypto.loadSigningKey(format, der);
    assert.equal(loaded.algorithm, algorithm, type);
    assert.deepEqual(loaded.schemes, schemes, type);
    assert.deepEqual(Buffer.from(loaded.publicKey), publicKey.export({ type: 'spki', format: 'der' }), type);
    for (const scheme of schemes) {
      const signature = loaded.key.sign(scheme, message);
      const hash = { 0x04: 'sha256', 0x05: 'sha384', 0x06: 'sha512' }[scheme >> 8] ?? { 0x0804: 'sha256', 0x0805: 'sha384', 0x0806: 'sha512' }[scheme] ?? null;
      const pssScheme = scheme >= 0x0804 && scheme <= 0x0806;
      const options = type === 'ec' ? { dsaEncoding: 'der' }
        : pssScheme ? { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO }
        : type === 'rsa' ? { padding: crypto.constants.RSA_PKCS1_PADDING } : {};
      assert.ok(crypto.verify(hash, message, { key: publicKey, ...options }, signature), `${type} ${scheme.toString(16)}`);
    }
    assert.throws(() => loaded.key.sign(0x0203, message), (e) => typeof e === 'string', type);
  }
  assert.throws(() => nodeCrypto.loadSigningKey('pkcs8', new Uint8Array([48, 3, 2, 1, 0])), (e) => typeof e === 'string');
  const x448 = crypto.generateKeyPairSync('x448').privateKey.export({ type: 'pkcs8', format: 'der' });
  assert.throws(() => nodeCrypto.loadSigningKey('pkcs8', new Uint8Array(x448)), (e) => typeof e === 'string');
});

/** nodeCrypto, counting the calls of each operation. */
function counting() {
  const calls = {};
  const count = (name) => (calls[name] = (calls[name] ?? 0) + 1);
  const wrapped = {};
  for (const [name, f] of Object.entries(nodeCrypto)) {
    wrapped[name] = typeof f === 'function' && !/^[A-Z]/.test(name) ? (...a) => (count(name), f(...a)) : f;
  }
  class CountedKey extends AeadKey {
    seal(...a) {
      count('seal');
      return super.seal(...a);
    }
    open(...a) {
      count('open');
      return super.open(...a);
    }
  }
  wrapped.AeadKey = CountedKey;
  wrapped.newAeadKey = (alg, key) => (count('newAeadKey'), new CountedKey(alg, key));
  return { crypto: wrapped, calls };
}

test('every suite against openssl s_server with Node doing the crypto, multi-record lines both ways', async () => {
  const line = 'abcdefghijklmnopqrstuvwxyz'.repeat(400) + '\n';
  const reversed = [...line.trimEnd()].reverse().join('') + '\n';
  for (const [flag, suite] of [
    ['-tls1_3', 'TLS_AES_128_GCM_SHA256'],
    ['-tls1_3', 'TLS_AES_256_GCM_SHA384'],
    ['-tls1_3', 'TLS_CHACHA20_POLY1305_SHA256'],
    ['-tls1_2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
    ['-tls1_2', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  ]) {
    const { crypto: counted, calls } = counting();
    const engine = await loadEngine({ crypto: counted });
    const port = freePort();
    const server = await openssl(
      ['s_server', '-accept', String(port), '-cert', pki.cert, '-key', pki.key, '-rev', flag],
      'ACCEPT',
    );
    try {
      const s = await connect(engine, 'localhost', port, [
        await pem('cacertfile', pki.ca),
        { tag: 'ciphers', val: [suite] },
      ]);
      assert.equal(s.tls.info().selectedCipherSuite.ianaName, suite);
      for (let round = 0; round < 3; round++) {
        s.write(line);
        let got = '';
        while (!got.endsWith('\n')) got += new TextDecoder().decode(await s.read());
        assert.equal(got, reversed, `${suite} round ${round}`);
      }
      await s.close();
    } finally {
      server.kill();
    }
    // The key exchange and the signature checks ran in Node, and so did
    // every AES-GCM record; ChaCha20-Poly1305 keys were declined and the
    // engine's own protected those records.
    const seen = `${suite} ${JSON.stringify(calls)}`;
    assert.ok(calls.startKeyExchange >= 1 && calls.verifySignature >= 2, seen);
    assert.equal(calls.digest ?? 0, 0, seen);
    assert.ok(calls.newAeadKey >= 2, seen);
    if (suite.includes('CHACHA20')) assert.ok(!calls.seal && !calls.open, seen);
    else assert.ok(calls.seal >= 3 && calls.open >= 3, seen);
  }
});

test('hostCrypto false keeps a connection in the sandbox', async () => {
  const { crypto: counted, calls } = counting();
  const engine = await loadEngine({ crypto: counted });
  const port = freePort();
  const server = await openssl(['s_server', '-accept', String(port), '-cert', pki.cert, '-key', pki.key, '-rev'], 'ACCEPT');
  try {
    const s = await connect(engine, 'localhost', port, [await pem('cacertfile', pki.ca)], { hostCrypto: false });
    s.write('in the sandbox\n');
    let got = '';
    while (!got.endsWith('\n')) got += new TextDecoder().decode(await s.read());
    assert.equal(got, 'xobdnas eht ni\n');
    await s.close();
  } finally {
    server.kill();
  }
  assert.deepEqual(calls, {});
  assert.equal(noHostCrypto.capabilities().recordProtection, false);
});
