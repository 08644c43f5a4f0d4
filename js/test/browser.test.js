// The demo page in real headless Chromium (Debian's, driven by
// playwright-core): both handshakes run, the page shows what happened,
// and a screenshot is saved (target/jco-browser.png).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { makePki, openssl, freePort } from '../scripts/pki.js';

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'target');

test('the page runs a TLS 1.3 handshake in the page and through the relay', async () => {
  assert.ok(existsSync(executablePath), `no Chromium at ${executablePath}: apt-get install chromium (.ci/setup does)`);
  const pki = makePki();
  const tlsPort = freePort();
  const s_server = await openssl(
    ['s_server', '-accept', String(tlsPort), '-cert', pki.cert, '-key', pki.key, '-rev', '-alpn', 'http/1.1'],
    'ACCEPT',
  );
  const server = await startServer({ pki, tlsPort });
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  after(async () => {
    await browser.close();
    server.close();
    s_server.kill();
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  // The engine compiles before the buttons work.
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });

  await page.click('#run-inpage');
  await page.waitForFunction(() => document.querySelector('#inpage-status').textContent !== 'running…' && document.querySelector('#inpage-status').textContent !== 'not run', null, { timeout: 30000 });
  assert.equal(await page.textContent('#inpage-status'), 'done', errors.join('\n'));
  assert.equal(await page.textContent('#inpage-version'), 'tlsv1.3');
  // No AES hardware in wasm: the engines prefer ChaCha20 in JavaScript hosts.
  assert.equal(await page.textContent('#inpage-suite'), 'TLS_CHACHA20_POLY1305_SHA256');
  // The server prefers h2, and the client offered it second.
  assert.equal(await page.textContent('#inpage-alpn'), 'h2');
  assert.equal(await page.textContent('#inpage-echo'), 'hello from the page');
  assert.match(await page.textContent('#inpage-verify'), /1 certificate\(s\) for localhost: valid → accept/);
  const log = await page.textContent('#inpage-log');
  // The encrypted handshake messages too, read with the logged secrets.
  for (const m of ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate (', 'CertificateVerify', 'Finished', 'application data']) {
    assert.ok(log.includes(m), `${m} in ${log}`);
  }
  assert.ok((await page.textContent('#relay-log')) !== null);

  await page.click('#run-relay');
  await page.waitForFunction(() => !['running…', 'not run'].includes(document.querySelector('#relay-status').textContent), null, { timeout: 30000 });
  assert.equal(await page.textContent('#relay-status'), 'done', errors.join('\n'));
  assert.equal(await page.textContent('#relay-version'), 'tlsv1.3');
  assert.equal(await page.textContent('#relay-alpn'), 'http/1.1');
  assert.equal(await page.textContent('#relay-suite'), 'TLS_CHACHA20_POLY1305_SHA256');
  const relayLog = await page.textContent('#relay-log');
  for (const m of ['ClientHello', 'ServerHello', 'EncryptedExtensions', 'CertificateVerify', 'Finished', 'NewSessionTicket', 'application data (24)']) {
    assert.ok(relayLog.includes(m), `${m} in ${relayLog}`);
  }
  // openssl s_server -rev reversed our line: a real server answered.
  assert.equal(await page.textContent('#relay-echo'), 'yaler eht hguorht olleh');

  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, 'jco-browser.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
