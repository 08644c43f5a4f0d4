// Throwaway certificates made by the openssl CLI: a CA and a `localhost`
// server certificate (ECDSA P-256), in a fresh temporary directory.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makePki() {
  const dir = mkdtempSync(join(tmpdir(), 'wassl-jco-'));
  const f = (n) => join(dir, n);
  const ossl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=wassl jco test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('ext.cnf'), '-out', f('server.pem'));
  // DER forms, for the browser page.
  ossl('x509', '-in', f('ca.pem'), '-outform', 'DER', '-out', f('ca.der'));
  ossl('x509', '-in', f('server.pem'), '-outform', 'DER', '-out', f('server.der'));
  ossl('pkcs8', '-topk8', '-nocrypt', '-in', f('server.key'), '-outform', 'DER', '-out', f('server.key.der'));
  return { dir, ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'), file: f };
}

/** Start an openssl program; resolves its process once `ready` is printed. */
export function openssl(args, ready) {
  const p = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d) => {
    out += d.toString();
  };
  p.stdout.on('data', onData);
  p.stderr.on('data', onData);
  p.output = () => out;
  p.waitFor = (needle, ms = 10000) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        if (out.includes(needle)) return resolve(out);
        if (Date.now() - t0 > ms) return reject(new Error(`no ${JSON.stringify(needle)} from openssl ${args[0]}:\n${out}`));
        setTimeout(tick, 20);
      };
      tick();
    });
  return ready ? p.waitFor(ready).then(() => p) : Promise.resolve(p);
}

export function freePort() {
  return 20000 + Math.floor(Math.random() * 20000);
}
