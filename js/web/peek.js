// Shows what TLS 1.3 hides: the handshake messages inside encrypted records,
// read with the handshake secrets the client engine logged (its `keylog`
// hook, Erlang's keep_secrets). For this page's display only: tags are not
// checked and nothing here protects anything.

const enc = new TextEncoder();
const HS = { 1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket', 5: 'EndOfEarlyData', 8: 'EncryptedExtensions', 11: 'Certificate', 13: 'CertificateRequest', 15: 'CertificateVerify', 20: 'Finished', 24: 'KeyUpdate' };
const SUITES = {
  0x1301: { name: 'TLS_AES_128_GCM_SHA256', hash: 'SHA-256', keyLen: 16, aes: true },
  0x1302: { name: 'TLS_AES_256_GCM_SHA384', hash: 'SHA-384', keyLen: 32, aes: true },
  0x1303: { name: 'TLS_CHACHA20_POLY1305_SHA256', hash: 'SHA-256', keyLen: 32, aes: false },
};

function fromHex(h) {
  return new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
}

/** HKDF-Expand-Label (RFC 8446, 7.1), for outputs of one hash block. */
async function expandLabel(hash, secret, label, len) {
  const full = enc.encode(`tls13 ${label}`);
  const info = new Uint8Array([len >> 8, len & 255, full.length, ...full, 0, 1]);
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, info)).slice(0, len);
}

// ChaCha20 (RFC 8439): WebCrypto has no ChaCha, so a few lines of it here
// (words read in the platform's order: little-endian everywhere browsers run).
function chacha20(key, nonce, counter, data) {
  const k = new Uint32Array(key.buffer.slice(key.byteOffset, key.byteOffset + 32));
  const n = new Uint32Array(nonce.slice().buffer);
  const out = new Uint8Array(data.length);
  const rotl = (v, c) => (v << c) | (v >>> (32 - c));
  for (let off = 0; off < data.length; off += 64, counter++) {
    const s = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, ...k, counter, ...n]);
    const x = s.slice();
    const qr = (a, b, c, d) => {
      x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 16);
      x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 12);
      x[a] += x[b]; x[d] = rotl(x[d] ^ x[a], 8);
      x[c] += x[d]; x[b] = rotl(x[b] ^ x[c], 7);
    };
    for (let i = 0; i < 10; i++) {
      qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
      qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
    }
    const block = new Uint8Array(new Uint32Array(x.map((v, i) => v + s[i])).buffer);
    for (let i = 0; i < 64 && off + i < data.length; i++) out[off + i] = data[off + i] ^ block[i];
  }
  return out;
}

/** The handshake messages in `bytes` (type and length of each). */
function messages(bytes) {
  const out = [];
  for (let i = 0; i + 4 <= bytes.length; ) {
    const len = (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
    out.push({ name: HS[bytes[i]] ?? `handshake ${bytes[i]}`, length: len });
    i += 4 + len;
  }
  return out;
}

/**
 * Every record of the flights, with the handshake messages it carries:
 * `flights` is `[{dir: 'c2s' | 's2c', bytes}]` in order, `keylog` the NSS
 * key log lines of the connection. Returns `[{dir, bytes, records: [text]}]`.
 */
export async function reveal(flights, keylog) {
  const secrets = {};
  for (const line of keylog) {
    const [label, , secret] = line.split(' ');
    secrets[label] = fromHex(secret);
  }
  let suite = null;
  const state = {
    // Handshake keys until that side's Finished, then application keys.
    c2s: { labels: ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0'], phase: 0, seq: 0, keys: null },
    s2c: { labels: ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'], phase: 0, seq: 0, keys: null },
  };
  const shown = [];
  // A record may straddle two reads: keep each direction's tail.
  const tail = { c2s: new Uint8Array(), s2c: new Uint8Array() };
  for (const flight of flights) {
    const { dir } = flight;
    const bytes = new Uint8Array([...tail[dir], ...flight.bytes]);
    const texts = [];
    let i = 0;
    while (i + 5 <= bytes.length && i + 5 + ((bytes[i + 3] << 8) | bytes[i + 4]) <= bytes.length) {
      const type = bytes[i];
      const len = (bytes[i + 3] << 8) | bytes[i + 4];
      const body = bytes.slice(i + 5, i + 5 + len);
      const header = bytes.slice(i, i + 5);
      i += 5 + len;
      if (type === 22) {
        const ms = messages(body);
        if (ms[0]?.name === 'ServerHello') {
          // The suite: after version, random and the legacy session id.
          const sid = body[4 + 2 + 32];
          const at = 4 + 2 + 32 + 1 + sid;
          suite = SUITES[(body[at] << 8) | body[at + 1]] ?? null;
        }
        texts.push(...ms.map((m) => `${m.name} (${m.length})`));
      } else if (type === 20) {
        texts.push('change_cipher_spec (middlebox compatibility)');
      } else if (type === 21) {
        texts.push(`alert (${len})`);
      } else if (type === 23) {
        const st = state[dir];
        const secret = secrets[st.labels[st.phase]];
        if (st.phase > 1 || !suite || !secret) {
          texts.push(`application data (${len}, encrypted)`);
          continue;
        }
        st.keys ??= {
          key: await expandLabel(suite.hash, secret, 'key', suite.keyLen),
          iv: await expandLabel(suite.hash, secret, 'iv', 12),
        };
        const nonce = st.keys.iv.slice();
        for (let b = 0; b < 8; b++) nonce[11 - b] ^= Number((BigInt(st.seq) >> BigInt(8 * b)) & 255n);
        st.seq++;
        let plain;
        if (suite.aes) {
          const k = await crypto.subtle.importKey('raw', st.keys.key, 'AES-GCM', false, ['decrypt']);
          plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: header }, k, body));
        } else {
          plain = chacha20(st.keys.key, nonce, 1, body.slice(0, body.length - 16));
        }
        let end = plain.length - 1;
        while (end >= 0 && plain[end] === 0) end--;
        const inner = plain.slice(0, end);
        const ms = plain[end] === 22 ? messages(inner) : [];
        const what = { 21: `alert (${inner.length})`, 23: `application data (${inner.length})` }[plain[end]];
        texts.push(`encrypted: ${ms.map((m) => `${m.name} (${m.length})`).join(', ') || what || `content type ${plain[end]}`}`);
        if (ms.some((m) => m.name === 'Finished')) {
          st.phase = 1;
          st.seq = 0;
          st.keys = null;
        }
        // A KeyUpdate would change keys again: show the rest as opaque.
        if (ms.some((m) => m.name === 'KeyUpdate')) st.phase = 2;
      } else {
        texts.push(`record type ${type} (${len})`);
      }
    }
    tail[dir] = bytes.slice(i);
    shown.push({ dir, bytes: flight.bytes.length, records: texts });
  }
  return shown;
}
