// In the page: a client and a server engine from the installed package,
// each in its own sandbox, joined by plain arrays; verified with the CA.
import { loadEngine } from 'wassl';

const der = async (name) => new Uint8Array(await (await fetch(`/pki/${name}`)).arrayBuffer());
const out = document.getElementById('out');
try {
  const engine = await loadEngine();
  const server = await engine.connect('server', {
    cert: await der('server.der'),
    key: { type: 'PrivateKeyInfo', der: await der('server.key.der') },
  });
  const client = await engine.connect('client', { verify: 'verify_peer', cacerts: [await der('ca.der')] }, { serverName: 'localhost' });
  let toServer = client.start();
  let toClient = new Uint8Array();
  for (let i = 0; i < 10 && (client.handshaking || server.handshaking); i++) {
    toClient = server.feed(toServer).output;
    toServer = client.feed(toClient).output;
  }
  server.feed(toServer);
  const echoed = new TextDecoder().decode(server.feed(client.send(new TextEncoder().encode('hello, page'))).plaintext);
  const info = client.info();
  out.textContent = `page: ${info.protocol} ${info.selectedCipherSuite.ianaName} echo=${echoed}`;
} catch (e) {
  out.textContent = `page error: ${e?.reason ?? e}`;
}
