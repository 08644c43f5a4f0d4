// A Node project's use of the installed package: a verified client of
// `openssl s_server -www`, then a server that `openssl s_client` verifies.
//   node node.mjs S_SERVER_PORT CA.pem SERVER.pem SERVER.key
import { spawn } from 'node:child_process';
import { connect, listen } from 'wassl';

const [port, ca, cert, key] = process.argv.slice(2);

const s = await connect('localhost', Number(port), { verify: 'verify_peer', cacertfile: ca });
const info = s.tls.info();
console.log(`client: ${info.protocol} ${info.selectedCipherSuite.ianaName}`);
s.write('GET / HTTP/1.0\r\n\r\n');
let page = '';
for (let d = await s.read(); d; d = await s.read()) page += new TextDecoder().decode(d);
console.log(`client got: ${page.split('\r\n')[0]}`);

const server = await listen(0, { certfile: cert, keyfile: key }, async (c) => {
  c.write(`hello from the wassl package over ${c.tls.info().protocol}\n`);
  await c.close();
});
const client = spawn('openssl', [
  's_client', '-connect', `127.0.0.1:${server.address().port}`, '-servername', 'localhost',
  '-CAfile', ca, '-verify_return_error', '-ign_eof',
]);
client.stdin.end();
let out = '';
client.stdout.on('data', (d) => (out += d));
client.stderr.on('data', (d) => (out += d));
const code = await new Promise((r) => client.on('close', r));
server.close();
for (const line of out.split('\n')) {
  if (/Verify return code|hello from the wassl package/.test(line)) console.log(`s_client: ${line.trim()}`);
}
process.exit(code === 0 ? 0 : 1);
