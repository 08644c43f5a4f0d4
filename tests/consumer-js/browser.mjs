// Serve this project (page.html, node_modules, the PKI's DER files) and
// open the page in headless Chromium; print what the page reports.
//   node browser.mjs CHROMIUM PKI_DIR
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const [executablePath, pki] = process.argv.slice(2);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer(async (req, res) => {
  const path = normalize(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  const file = path.startsWith('pki/') ? join(pki, path.slice(4)) : join(process.cwd(), path || 'page.html');
  let body;
  try {
    body = await readFile(file);
  } catch {
    return res.writeHead(404).end();
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/page.html`);
  await page.waitForFunction(() => document.getElementById('out').textContent !== 'running', null, { timeout: 60000 });
  console.log(await page.textContent('#out'));
  for (const e of errors) console.log(`page error: ${e}`);
} finally {
  await browser.close();
  server.close();
}
