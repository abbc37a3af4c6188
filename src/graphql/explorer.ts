import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * A small, self-contained GraphQL explorer for GET /graphql: query, variables and Bearer token
 * boxes, POSTed to /graphql. No external asset (many networks here have no internet); the CSP allows
 * exactly this page's inline script and style by hash and fetches to this origin only. The token is
 * kept in the page's memory only (never stored).
 */
const STYLE = `body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f4f5f7;color:#222}
h1{font-size:1.2rem;margin:0 0 .75rem}label{display:block;font-weight:600;margin:.5rem 0 .25rem}
textarea,input{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace;font-size:.85rem;padding:.4rem}
#query{height:16rem}#variables{height:5rem}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
pre{background:#fff;border:1px solid #ccc;padding:.5rem;min-height:24rem;overflow:auto;white-space:pre-wrap;margin:0}
button{margin-top:.75rem;padding:.5rem 1.2rem}`;

const SCRIPT =
  `(function(){\n` +
  `var $=function(id){return document.getElementById(id)};\n` +
  `$('run').addEventListener('click',function(){\n` +
  `  var out=$('result');var vars={};\n` +
  `  try{var v=$('variables').value.trim();if(v)vars=JSON.parse(v)}` +
  `catch(e){out.textContent='variables are not JSON: '+e.message;return}\n` +
  `  var headers={'content-type':'application/json'};var t=$('token').value.trim();` +
  `if(t)headers.authorization='Bearer '+t;\n` +
  `  out.textContent='…';\n` +
  `  fetch('/graphql',{method:'POST',headers:headers,body:JSON.stringify({query:$('query').value,variables:vars}` +
  `),credentials:'omit',cache:'no-store'})\n` +
  `    .then(function(r){return r.text().then(function(body){try{out.textContent=JSON.stringify(JSON.parse(body),` +
  `null,2)}catch(e){out.textContent=r.status+' '+body}})})\n` +
  `    .catch(function(e){out.textContent='request failed: '+e.message});\n` +
  `});\n` +
  `})();`;

const BODY =
  `<h1>token-ledger management API</h1>\n` +
  `<div class="grid"><div>\n` +
  `<label for="token">Bearer access token (scope ledger:admin or ledger:audit)</label>` +
  `<input id="token" type="password" autocomplete="off">\n` +
  `<label for="query">Query</label><textarea id="query" spellcheck="false">query Tokens {\n` +
  `  tokens(first: 10) {\n` +
  `    totalCount\n` +
  `    edges { node { jti kind clientId subject status issuedAt expiresAt revocationReason } }\n` +
  `    pageInfo { hasNextPage endCursor }\n` +
  `  }\n` +
  `}</textarea>\n` +
  `<label for="variables">Variables (JSON)</label><textarea id="variables" spellcheck="false">{}</textarea>\n` +
  `<button id="run" type="button">Run</button>\n` +
  `</div><div><label for="result">Result</label><pre id="result" aria-live="polite"></pre></div></div>`;

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const EXPLORER_HTML =
  `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
  `<meta name="viewport" content="width=device-width,initial-scale=1"><title>` +
  `GraphQL explorer · token-ledger</title><style>${STYLE}</style></head><body>${BODY}<script>${SCRIPT}</script>` +
  `</body></html>`;

const EXPLORER_CSP = [
  "default-src 'none'",
  `style-src ${sha(STYLE)}`,
  `script-src ${sha(SCRIPT)}`,
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function sendExplorer(reply: FastifyReply): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', EXPLORER_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .send(EXPLORER_HTML);
}
