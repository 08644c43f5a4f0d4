// wassl in a browser (or any host with `fetch` and no `node:` modules): the
// engine, its core modules fetched from the package's gen/ directory. There
// are no sockets here: feed each connection the bytes of whatever transport
// the page has (a WebSocket relay, a WebTransport stream, another engine).
import { Engine } from './engine.js';

export * from './engine.js';
export { tlsOptions, OptionError, pemDecode } from './options.js';

/**
 * The engine, compiled once; `base` is where gen/ is served (the package's
 * own gen/ next to this file by default). All crypto runs in the sandbox:
 * WebCrypto is asynchronous and the component's imports are not.
 */
export async function loadEngine({ base = new URL('../gen/', import.meta.url) } = {}) {
  return Engine.load(async (name) => {
    const res = await fetch(new URL(name, base));
    if (!res.ok) throw new Error(`wassl: fetching ${name} from ${base}: HTTP ${res.status}`);
    // compileStreaming needs the application/wasm type, which not every server sends.
    return res.headers.get('content-type')?.startsWith('application/wasm')
      ? WebAssembly.compileStreaming(res)
      : WebAssembly.compile(await res.arrayBuffer());
  });
}
