// wassl's engine in Node (through jco) against OpenSSL over real sockets.
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { loadEngine, connect, listen, pem } from '../src/node.js';
import { badCertName, TlsError } from '../src/engine.js';
import { makePki, openssl, freePort } from '../scripts/pki.js';

const pki = makePki();
const engine = await loadEngine();

test('a client talks to openssl s_server, verify_fun in JavaScript', async () => {
  const port = freePort();
  const server = await openssl(
    ['s_server', '-accept', String(port), '-cert', pki.cert, '-key', pki.key, '-rev', '-tls1_3'],
    'ACCEPT',
  );
  try {
    const seen = [];
    const s = await connect(engine, 'localhost', port, [await pem('cacertfile', pki.ca)], {
      verify(chain) {
        seen.push({ n: chain.chain.length, problem: badCertName(chain.problem), name: chain.serverName });
        return chain.problem ?? true;
      },
    });
    const info = s.tls.info();
    assert.equal(info.protocol, 'tlsv13');
    assert.equal(info.selectedCipherSuite.ianaName.startsWith('TLS_'), true);
    assert.deepEqual(seen, [{ n: 1, problem: 'valid', name: 'localhost' }]);
    assert.equal(s.tls.peerCertificates().length, 1);
    s.write('hello wassl\n');
    // -rev answers each line reversed.
    let got = '';
    while (!got.includes('\n')) got += new TextDecoder().decode(await s.read());
    assert.equal(got.trim(), 'lssaw olleh');
    await s.close();
  } finally {
    server.kill();
  }
});

test('verify_fun in JavaScript refuses the server: the handshake fails with its reason', async () => {
  const port = freePort();
  const server = await openssl(['s_server', '-accept', String(port), '-cert', pki.cert, '-key', pki.key], 'ACCEPT');
  try {
    await assert.rejects(
      connect(engine, 'localhost', port, [await pem('cacertfile', pki.ca)], {
        verify: () => ({ tag: 'other', val: 'not_today' }),
      }),
      (e) => {
        assert.ok(e instanceof TlsError, String(e));
        assert.equal(e.error.tag, 'tls-alert');
        assert.match(e.reason, /not_today/);
        return true;
      },
    );
    await server.waitFor('alert');
  } finally {
    server.kill();
  }
});

test('a server that openssl s_client connects to', async () => {
  const options = [await pem('certfile', pki.cert), await pem('keyfile', pki.key)];
  const echoed = [];
  const server = await listen(engine, 0, options, async (s) => {
    for (let d = await s.read(); d; d = await s.read()) {
      echoed.push(new TextDecoder().decode(d));
      s.write(d);
    }
    await s.close();
  });
  const { port } = server.address();
  try {
    const client = await openssl([
      's_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', pki.ca,
      '-verify_return_error', '-ign_eof',
    ]);
    client.stdin.end('ping from openssl\n');
    await client.waitFor('Verify return code: 0 (ok)');
    // s_client does not print what it sends: this line is the echo.
    await client.waitFor('---\nping from openssl');
    client.kill();
    assert.deepEqual(echoed, ['ping from openssl\n']);
  } finally {
    server.close();
  }
});

test('listen refuses bad options before it listens', async () => {
  const garbage = { tag: 'certfile', val: { path: 'garbage.pem', contents: new TextEncoder().encode('not a PEM file') } };
  await assert.rejects(listen(engine, 0, [garbage, await pem('keyfile', pki.key)], () => {}), (e) => {
    assert.ok(e instanceof TlsError, String(e));
    return true;
  });
});

test('a client whose sandbox cannot be made is disconnected and reported, not left waiting', async () => {
  const options = [await pem('certfile', pki.cert), await pem('keyfile', pki.key)];
  // The first sandbox (listen's check of the options) is made; later ones fail.
  let made = 0;
  const flaky = {
    connect: (...args) => (made++ === 0 ? engine.connect(...args) : Promise.reject(new Error('no sandbox left'))),
  };
  const errors = [];
  const server = await listen(flaky, 0, options, () => assert.fail('no connection expected'), {
    onError: (e) => errors.push(e.message),
  });
  try {
    const socket = net.connect(server.address().port, '127.0.0.1');
    await new Promise((resolve, reject) => {
      socket.on('close', resolve);
      socket.on('error', () => {});
      setTimeout(() => reject(new Error('the client was left waiting')), 5000).unref();
    });
    assert.deepEqual(errors, ['no sandbox left']);
  } finally {
    server.close();
  }
});
