// Compiled by `npm test` (tsc -p types): the declarations must describe
// how the README uses the package; a wrong type here fails the test.
import { connect, listen, loadEngine, tlsOptions, OptionError, type TlsOptions } from 'wassl';

const opts: TlsOptions = {
  verify: 'verify_peer',
  cacertfile: 'ca.pem',
  versions: ['tlsv1.3'],
  alpnAdvertisedProtocols: ['h2', 'http/1.1'],
  verifyFun: (chain) => (chain.problem ? chain.problem : true),
};

export async function client(): Promise<string | undefined> {
  const s = await connect('localhost', 4433, opts);
  s.write('hello');
  const chunk = await s.read();
  const info = s.tls.info();
  await s.close();
  return chunk ? `${info.protocol} ${info.selectedCipherSuite.ianaName}` : undefined;
}

export async function server(): Promise<number> {
  const srv = await listen(0, { certfile: 'server.pem', keyfile: 'server.key' }, (s) => s.write('hi'));
  const addr = srv.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

export async function sansIo(): Promise<Uint8Array> {
  const engine = await loadEngine();
  const c = await engine.connect('client', { cacerts: [new Uint8Array(1)] }, { serverName: 'localhost' });
  return c.start();
}

export function bad(): string {
  try {
    tlsOptions('client', { verify: 'verify_peer' });
    return '';
  } catch (e) {
    return e instanceof OptionError ? e.reason : String(e);
  }
}
