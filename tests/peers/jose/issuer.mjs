// An independent JWT issuer for the interop tests, built on jose: it generates an RSA key (and an EC key), serves
// their JWKS over HTTP on 127.0.0.1 and signs RFC 9068 access tokens on request.
//
//   node issuer.mjs [issuer] [port]      prints {"port":..., "kid":...} on its first stdout line; exits when stdin closes
//   GET /.well-known/jwks.json           the public keys
//   GET /token?aud=&scope=&sub=&alg=RS256|ES256&expired=1
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';

const issuer = process.argv[2] ?? 'https://jose-peer.test';
const port = Number(process.argv[3] ?? 0);

const rsa = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
const ec = await jose.generateKeyPair('ES256', { extractable: true });
const rsaKid = `jose-rsa-${randomUUID().slice(0, 8)}`;
const ecKid = `jose-ec-${randomUUID().slice(0, 8)}`;
const jwks = {
  keys: [
    { ...(await jose.exportJWK(rsa.publicKey)), kid: rsaKid, alg: 'RS256', use: 'sig' },
    { ...(await jose.exportJWK(ec.publicKey)), kid: ecKid, alg: 'ES256', use: 'sig' },
  ],
};

async function sign(params) {
  const alg = params.get('alg') ?? 'RS256';
  const now = Math.floor(Date.now() / 1000);
  const jwt = new jose.SignJWT({ scope: params.get('scope') ?? '', client_id: 'jose-client' })
    .setProtectedHeader({ alg, kid: alg === 'ES256' ? ecKid : rsaKid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(params.get('aud') ?? 'api')
    .setSubject(params.get('sub') ?? 'jose-service')
    .setJti(randomUUID());
  if (params.get('expired')) {
    jwt.setIssuedAt(now - 7200).setExpirationTime(now - 3600);
  } else {
    jwt.setIssuedAt(now).setExpirationTime('5m');
  }
  return jwt.sign(alg === 'ES256' ? ec.privateKey : rsa.privateKey);
}

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url, 'http://127.0.0.1');
  try {
    if (url.pathname === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' });
      response.end(JSON.stringify(jwks));
    } else if (url.pathname === '/token') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(await sign(url.searchParams));
    } else {
      response.writeHead(404);
      response.end();
    }
  } catch (error) {
    response.writeHead(500);
    response.end(String(error));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port, kid: rsaKid }));
});

// The test owns this process: when it closes our stdin (or dies), we go.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
