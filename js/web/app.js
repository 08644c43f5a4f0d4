// The demo page: wassl engines (one sandbox per connection) driven by the page.
import { Engine, badCertName } from '/src/engine.js';
import { reveal } from '/web/peek.js';

const $ = (id) => document.getElementById(id);
const enc = new TextEncoder();
const dec = new TextDecoder();

const engine = await Engine.load(async (name) => WebAssembly.compileStreaming(fetch(`/gen/${name}`)));
const der = async (name) => new Uint8Array(await (await fetch(`/pki/${name}`)).arrayBuffer());

/** Rows for every flight: direction, the records and the handshake
 * messages inside them (decrypted with the client's logged secrets), bytes. */
async function showFlights(table, flights, keylog) {
  for (const f of await reveal(flights.filter((f) => f.bytes.length), keylog)) {
    const row = table.insertRow();
    row.className = f.dir;
    row.insertCell().textContent = f.dir === 'c2s' ? 'client → server' : 'server → client';
    row.insertCell().textContent = f.records.join(', ');
    row.insertCell().textContent = String(f.bytes);
  }
}

async function fingerprint(bytes) {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(h.slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join(':') + '…';
}

async function showInfo(dl, tls, decisions, echo) {
  const info = tls.info();
  const chain = tls.peerCertificates();
  const rows = [
    ['version', info.protocol === 'tlsv13' ? 'tlsv1.3' : 'tlsv1.2', 'version'],
    ['cipher suite', info.selectedCipherSuite.ianaName, 'suite'],
    ['key exchange', info.ecc ?? '-', 'group'],
    ['ALPN', info.negotiatedProtocol ? dec.decode(info.negotiatedProtocol) : 'none', 'alpn'],
    ['certificate chain', (await Promise.all(chain.map(async (c, i) => `#${i} ${c.length} bytes, SHA-256 ${await fingerprint(c)}`))).join(' | '), 'chain'],
    ['verify_fun decisions', decisions.join('; '), 'verify'],
    ['echo', echo, 'echo'],
  ];
  dl.replaceChildren();
  for (const [k, v, id] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dd.id = `${dl.id.split('-')[0]}-${id}`;
    dl.append(dt, dd);
  }
}

/** A client whose verify_fun (JavaScript) records what it decided. */
async function client(decisions, alpn, keylog) {
  const ca = await der('ca.der');
  return engine.connect(
    'client',
    [
      { tag: 'cacerts', val: [ca] },
      { tag: 'alpn-advertised-protocols', val: alpn.map((p) => enc.encode(p)) },
      // keep_secrets: the secrets come to `keylog`, so the page can show
      // the encrypted handshake messages.
      { tag: 'keylog', val: true },
    ],
    {
      serverName: 'localhost',
      keylog: (line) => keylog.push(line),
      verify(chain) {
        const verdict = chain.problem ? badCertName(chain.problem) : 'valid';
        decisions.push(`${chain.chain.length} certificate(s) for ${chain.serverName}: ${verdict} → ${chain.problem ? 'fail' : 'accept'}`);
        return chain.problem ?? true;
      },
    },
  );
}

$('run-inpage').onclick = async () => {
  const status = $('inpage-status');
  status.textContent = 'running…';
  try {
    const flights = [];
    const keylog = [];
    const decisions = [];
    const note = (dir, bytes) => flights.push({ dir, bytes });
    const server = await engine.connect('server', [
      { tag: 'cert', val: [await der('server.der')] },
      { tag: 'key', val: { kind: 'private-key-info', der: await der('server.key.der') } },
      { tag: 'alpn-preferred-protocols', val: [enc.encode('h2'), enc.encode('http/1.1')] },
    ]);
    const c = await client(decisions, ['http/1.1', 'h2'], keylog);
    // Pump flights between the two engines until both are done.
    let toServer = c.start();
    for (let i = 0; i < 10 && (c.handshaking || server.handshaking || toServer.length); i++) {
      note('c2s', toServer);
      const s = server.feed(toServer);
      note('s2c', s.output);
      toServer = c.feed(s.output).output;
    }
    note('c2s', toServer);
    // Echo: client → server → client.
    const request = c.send(enc.encode('hello from the page'));
    note('c2s', request);
    const got = server.feed(request).plaintext;
    const reply = server.send(got);
    note('s2c', reply);
    const echo = dec.decode(c.feed(reply).plaintext);
    await showFlights($('inpage-log'), flights, keylog);
    await showInfo($('inpage-info'), c, decisions, echo);
    status.textContent = 'done';
  } catch (e) {
    status.textContent = `failed: ${e.reason ?? e}`;
    console.error(e);
  }
};

$('run-relay').onclick = async () => {
  const status = $('relay-status');
  status.textContent = 'running…';
  const flights = [];
  const keylog = [];
  const note = (dir, bytes) => flights.push({ dir, bytes });
  const decisions = [];
  try {
    const c = await client(decisions, ['http/1.1'], keylog);
    const ws = new WebSocket(`ws://${location.host}/relay`);
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('relay unreachable'));
    });
    let plaintext = '';
    const done = new Promise((resolve, reject) => {
      ws.onmessage = (m) => {
        const bytes = new Uint8Array(m.data);
        note('s2c', bytes);
        try {
          const p = c.feed(bytes);
          note('c2s', p.output);
          if (p.output.length) ws.send(p.output);
          plaintext += dec.decode(p.plaintext);
          if (p.handshakeDone && !c.sentLine) {
            c.sentLine = true;
            const line = c.send(enc.encode('hello through the relay\n'));
            note('c2s', line);
            ws.send(line);
          }
          if (plaintext.includes('\n')) resolve(plaintext.trim());
        } catch (e) {
          reject(e);
        }
      };
    });
    const hello = c.start();
    note('c2s', hello);
    ws.send(hello);
    const echo = await done;
    ws.send(c.closeNotify());
    ws.close();
    await showFlights($('relay-log'), flights, keylog);
    await showInfo($('relay-info'), c, decisions, echo);
    status.textContent = 'done';
  } catch (e) {
    status.textContent = `failed: ${e.reason ?? e}`;
    console.error(e);
  }
};

// Ready: the engine is compiled and the buttons work.
for (const b of document.querySelectorAll('button')) b.disabled = false;
document.body.dataset.ready = 'yes';

