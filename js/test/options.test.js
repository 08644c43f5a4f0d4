// Options in JavaScript shape: what they become for the engine, what is
// refused (Erlang's `{options, {Opt, Value}}`), and a handshake each way
// with nothing but the friendly form and the package's default engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, listen, tlsOptions, OptionError, pemDecode, TlsError } from '../src/node.js';
import { makePki, openssl, freePort } from '../scripts/pki.js';

const pki = makePki();

test('JavaScript-shaped options become the WIT list, hooks apart', () => {
  const der = new Uint8Array([1, 2, 3]);
  const verifyFun = () => true;
  const { options, hooks } = tlsOptions('client', {
    verify: 'verify_peer',
    cacerts: [der],
    versions: ['tlsv1.3', 'tlsv1.2'],
    serverNameIndication: 'disable',
    alpnAdvertisedProtocols: ['h2'],
    crlCheck: 'best_effort',
    earlyData: 'GET /',
    verifyFun,
    keylog: () => {},
  });
  assert.deepEqual(options, [
    { tag: 'verify', val: 'verify-peer' },
    { tag: 'cacerts', val: [der] },
    { tag: 'versions', val: ['tlsv13', 'tlsv12'] },
    { tag: 'server-name-indication', val: { tag: 'disable' } },
    { tag: 'alpn-advertised-protocols', val: [new TextEncoder().encode('h2')] },
    { tag: 'crl-check', val: 'best-effort' },
    { tag: 'send-early-data', val: new TextEncoder().encode('GET /') },
    { tag: 'keylog', val: true },
  ]);
  assert.equal(hooks.verify, verifyFun);
  // A server's early_data is a size; crl_check false is no option at all.
  assert.deepEqual(tlsOptions('server', { earlyData: 16384, crlCheck: false }).options, [{ tag: 'early-data', val: 16384 }]);
});

test('a bad option is refused as {options, {Opt, Value}}', () => {
  const refused = (opts, reason) =>
    assert.throws(() => tlsOptions('client', opts), (e) => {
      assert.ok(e instanceof OptionError, String(e));
      assert.equal(e.reason, reason);
      return true;
    });
  refused({ verify: 'verify_maybe' }, '{options,{verify,"verify_maybe"}}');
  refused({ versions: ['tlsv1.1'] }, '{options,{versions,["tlsv1.1"]}}');
  refused({ honorCipherOrder: 'yes' }, '{options,{honor_cipher_order,"yes"}}');
  refused({ alpnAdvertisedProtocols: [''] }, '{options,{alpn_advertised_protocols,[""]}}');
  refused({ nosuchOption: 1 }, '{options,{nosuch_option,1}}');
  // What rustls cannot do is named, not ignored.
  refused({ pskIdentity: 'id' }, '{options,{psk_identity,"id"}}');
  refused({ protocol: 'dtls' }, '{options,{protocol,"dtls"}}');
  assert.throws(() => tlsOptions('client', { srpIdentity: ['u', 'p'] }), /SRP: rustls has none/);
  // A path needs Node's file reading, which tlsOptions (browser-safe) does not do.
  refused({ certfile: 'server.pem' }, '{options,{certfile,"server.pem"}}');
});

test('certsKeys from PEM files: chain and key kind read from the blocks', () => {
  const contents = new Uint8Array(readFileSync(pki.key));
  const { options } = tlsOptions('server', {
    certsKeys: [{ certfile: { path: pki.cert, contents: new Uint8Array(readFileSync(pki.cert)) }, keyfile: { path: pki.key, contents } }],
  });
  const [{ chain, key }] = options[0].val;
  assert.equal(chain.length, 1);
  assert.deepEqual(chain[0], pemDecode(readFileSync(pki.cert, 'utf8'))[0].der);
  // openssl req writes PKCS#8 ("PRIVATE KEY").
  assert.equal(key.kind, 'private-key-info');
});

test('connect(host, port, options) verifies openssl s_server with friendly options', async () => {
  const port = freePort();
  const server = await openssl(
    ['s_server', '-accept', String(port), '-cert', pki.cert, '-key', pki.key, '-rev', '-alpn', 'h2'],
    'ACCEPT',
  );
  try {
    const s = await connect('localhost', port, {
      verify: 'verify_peer',
      cacertfile: pki.ca,
      versions: ['tlsv1.3'],
      alpnAdvertisedProtocols: ['http/1.1', 'h2'],
    });
    const info = s.tls.info();
    assert.equal(info.protocol, 'tlsv13');
    assert.equal(new TextDecoder().decode(info.negotiatedProtocol), 'h2');
    s.write('friendly\n');
    let got = '';
    while (!got.includes('\n')) got += new TextDecoder().decode(await s.read());
    assert.equal(got.trim(), 'yldneirf');
    await s.close();
    // Without the CA the same server is refused: verify_peer is real.
    await assert.rejects(connect('localhost', port, { verify: 'verify_peer', cacerts: [] }), (e) => {
      assert.ok(e instanceof TlsError, String(e));
      assert.match(e.reason, /unknown_ca/);
      return true;
    });
  } finally {
    server.kill();
  }
});

test('listen(port, options, onConnection) serves openssl s_client from PEM paths', async () => {
  const server = await listen(0, { certfile: pki.cert, keyfile: pki.key, versions: ['tlsv1.2'] }, async (s) => {
    s.write(`${s.tls.info().protocol}\n`);
    await s.close();
  });
  try {
    const client = await openssl([
      's_client', '-connect', `127.0.0.1:${server.address().port}`, '-servername', 'localhost', '-CAfile', pki.ca,
      '-verify_return_error', '-ign_eof',
    ]);
    client.stdin.end();
    await client.waitFor('Verify return code: 0 (ok)');
    await client.waitFor('tlsv12');
    assert.match(client.output(), /Protocol\s*: TLSv1\.2/);
    client.kill();
  } finally {
    server.close();
  }
});
