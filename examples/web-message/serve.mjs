// Serves the example app on http://127.0.0.1:8080 (another origin than the server, as a real app).
//   ISSUER=http://127.0.0.1:3000 CLIENT_ID=example-spa node examples/web-message/serve.mjs
// The client must register the web_message response mode (it is an opt-in), e.g.
//   npx token-ledger clients create --client-id example-spa --grant-types authorization_code,refresh_token \
//     --redirect-uris http://127.0.0.1:8080/callback --response-modes query,web_message \
//     --token-endpoint-auth-method none --scope "openid profile email"
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const issuer = process.env.ISSUER ?? 'http://127.0.0.1:3000';
const clientId = process.env.CLIENT_ID ?? 'example-spa';
const port = Number(process.env.APP_PORT ?? 8080);
const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8')
  .replaceAll('__ISSUER__', issuer)
  .replaceAll('__CLIENT_ID__', clientId);

createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page);
}).listen(port, '127.0.0.1', () => console.log(`example app on http://127.0.0.1:${port}/ (issuer ${issuer}, client ${clientId})`));
