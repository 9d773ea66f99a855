// OIDC discovery (issue 18.5), checked the way a portal's standard library uses it: from
// the gateway's /.well-known/openid-configuration to its jwks_uri, then a real access token
// of a sign-in verified with npm `jose` (an independent JWT/JWK implementation, not
// dvcid's code): signature, issuer, audience, algorithm. A token changed by one byte, a
// wrong audience or a wrong issuer must not verify. No browser: plain HTTP to the stack.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { Stack } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await new Stack().start();
});
after(async () => {
  await stack?.stop();
});

test('a sign-in token verifies through discovery -> jwks_uri with jose', async () => {
  const account = await stack.register();
  const answer = await stack.signInAnswer(account);
  const token = answer.access_token;
  assert.equal(answer.token_type, 'Bearer');

  const d = await stack.request('GET', '/.well-known/openid-configuration');
  assert.equal(d.status, 200);
  const doc = d.body;
  // The dev stack sets neither gateway.public_url nor a URL issuer: the base is the Host.
  assert.equal(doc.issuer, 'dvcid');
  assert.equal(doc.jwks_uri, `${stack.url}/.well-known/jwks.json`);
  assert.deepEqual(doc.id_token_signing_alg_values_supported, ['EdDSA']);
  assert.deepEqual(doc.subject_types_supported, ['public']);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint']) {
    assert.equal(doc[k], undefined, `no ${k}: dvcid has none`);
  }
  assert.equal(d.headers.get('cache-control'), 'no-store', 'built from the Host: not cacheable');

  const jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
  const opts = { issuer: doc.issuer, audience: 'dvc-portals', algorithms: doc.id_token_signing_alg_values_supported };
  const { payload, protectedHeader } = await jwtVerify(token, jwks, opts);
  assert.equal(protectedHeader.alg, 'EdDSA');
  assert.ok(protectedHeader.kid, 'kid names the key');
  assert.equal(payload.iss, 'dvcid');
  assert.equal(payload.aud, 'dvc-portals');
  assert.match(payload.sub, /\S/);
  assert.deepEqual(payload.amr, ['pwd', 'otp']);
  assert.ok(payload.exp > Date.now() / 1000, 'not expired');
  assert.ok(payload.sub !== account.idNumber && !JSON.stringify(payload).includes(account.idNumber),
    'sub is opaque: the ID number is nowhere in the token');

  // One byte of the payload changed: the signature no longer matches.
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.sub = claims.sub.slice(0, -1) + (claims.sub.endsWith('A') ? 'B' : 'A');
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  assert.equal(decodeProtectedHeader(forged).kid, protectedHeader.kid);
  await assert.rejects(jwtVerify(forged, jwks, opts), errors.JWSSignatureVerificationFailed);
  await assert.rejects(jwtVerify(token, jwks, { ...opts, audience: 'another-portal' }), errors.JWTClaimValidationFailed);
  await assert.rejects(jwtVerify(token, jwks, { ...opts, issuer: 'https://evil.example' }), errors.JWTClaimValidationFailed);
});

test('a Host that is not host:port gets no discovery document', async () => {
  const net = await import('node:net');
  const reply = await new Promise((resolve, reject) => {
    const c = net.connect(stack.port, '127.0.0.1', () => {
      c.write('GET /.well-known/openid-configuration HTTP/1.1\r\nHost: evil.example/x\r\nConnection: close\r\n\r\n');
    });
    let data = '';
    c.on('data', (b) => { data += b; });
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.ok(!reply.includes('jwks_uri'));
});
