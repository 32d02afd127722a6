// private_key_jwt (RFC 7523 §2.2) and the enforced registration method
// (RFC 7591 §2) through the real gateway, oauthd and redis, over HTTPS:
//  - oauth4webapi, unchanged, authenticates with PrivateKeyJwt (WebCrypto
//    keys, ES256 / RS256 / Ed25519 — which it signs as "alg":"Ed25519", the
//    RFC 9864 name of EdDSA) for client_credentials, introspection and
//    revocation; the keys come from `oauthctl keys generate` and are
//    registered with `oauthctl client create --jwks_file`;
//  - a replayed assertion, and a secret sent the way the client did not
//    register, are 401 invalid_client;
//  - `oauthctl token --private_key_file` gets a token over gRPC;
//  - the metadata lists the method and its algorithms.

import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { startStack } from './harness.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let stack;
let as;
const keyClients = {}; // alg -> {record, keyFile, cryptoKey, kid}
let basicClient;
let postClient;

const SUBTLE_ALGORITHMS = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
};

// The PEM private key as a non-extractable WebCrypto signing key, as an
// application using oauth4webapi would hold it.
async function importPem(pemFile, alg) {
  const der = nodeCrypto.createPrivateKey(fs.readFileSync(pemFile)).export({ format: 'der', type: 'pkcs8' });
  return crypto.subtle.importKey('pkcs8', der, SUBTLE_ALGORITHMS[alg], false, ['sign']);
}

function basic(id, secret) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

before(async () => {
  stack = await startStack({ tls: true });
  for (const alg of ['ES256', 'RS256', 'EdDSA']) {
    const keyFile = path.join(stack.workDir, `client-${alg}.pem`);
    const generated = stack.oauthctl(['keys', 'generate', `--alg=${alg}`, `--out=${keyFile}`]);
    const kid = generated.match(/kid (\S+)\)/)[1];
    const record = stack.createClient({
      name: `Key client ${alg}`,
      grantTypes: ['client_credentials'],
      scopes: ['read'],
      authMethod: 'private_key_jwt',
      extra: [`--jwks_file=${keyFile}`, '--introspect_any_token'],
    });
    assert.equal(record.client_secret, '', 'a key client gets no secret');
    keyClients[alg] = { record, keyFile, kid, cryptoKey: await importPem(keyFile, alg) };
  }
  basicClient = stack.createClient({ name: 'Basic', authMethod: 'client_secret_basic' });
  postClient = stack.createClient({ name: 'Post', authMethod: 'client_secret_post' });
  const issuer = new URL(stack.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }));
});

after(async () => {
  await stack?.close();
});

async function clientCredentials(alg, { withKid = true } = {}) {
  const { record, cryptoKey, kid } = keyClients[alg];
  const auth = oauth.PrivateKeyJwt(withKid ? { key: cryptoKey, kid } : cryptoKey);
  const response = await oauth.clientCredentialsGrantRequest(
    as, { client_id: record.client_id }, auth, new URLSearchParams({ scope: 'read' }));
  return oauth.processClientCredentialsResponse(as, { client_id: record.client_id }, response);
}

describe('private_key_jwt with oauth4webapi', () => {
  test('metadata lists private_key_jwt and its algorithms', () => {
    for (const list of [as.token_endpoint_auth_methods_supported,
      as.introspection_endpoint_auth_methods_supported, as.revocation_endpoint_auth_methods_supported]) {
      assert.ok(list.includes('private_key_jwt'), JSON.stringify(list));
    }
    for (const list of [as.token_endpoint_auth_signing_alg_values_supported,
      as.introspection_endpoint_auth_signing_alg_values_supported,
      as.revocation_endpoint_auth_signing_alg_values_supported]) {
      assert.deepEqual([...list].sort(), ['ES256', 'Ed25519', 'EdDSA', 'RS256']);
    }
  });

  for (const alg of ['ES256', 'RS256', 'EdDSA']) {
    test(`client_credentials with an ${alg} key (with and without kid)`, async () => {
      // WebCrypto's ECDSA picks a high or a low S at random: several rounds
      // cover both forms.
      for (let i = 0; i < 6; i++) {
        const tokens = await clientCredentials(alg, { withKid: i % 2 === 0 });
        assert.equal(tokens.token_type.toLowerCase(), 'bearer');
        assert.equal(tokens.scope, 'read');
        assert.ok(tokens.access_token);
      }
    });
  }

  test('introspection and revocation authenticate with assertions too', async () => {
    const { record, cryptoKey, kid } = keyClients.EdDSA;
    const client = { client_id: record.client_id };
    const auth = oauth.PrivateKeyJwt({ key: cryptoKey, kid });
    const tokens = await clientCredentials('ES256');
    const introspection = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token));
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, keyClients.ES256.record.client_id);
    // RFC 7009 §2.1: only the client the token was issued to may revoke it.
    const owner = keyClients.ES256;
    const revoked = await oauth.revocationRequest(as, { client_id: owner.record.client_id },
      oauth.PrivateKeyJwt({ key: owner.cryptoKey, kid: owner.kid }), tokens.access_token);
    assert.equal(revoked.status, 200, await revoked.text());
    const after = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token));
    assert.equal(after.active, false);
  });
});

describe('assertions and methods refused over HTTP', () => {
  // A raw assertion request with `assertion`, as the library would send it.
  async function assertionRequest(clientId, assertion) {
    return stack.request('/token', {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({
        grant_type: 'client_credentials', scope: 'read', client_id: clientId,
        client_assertion_type: JWT_BEARER, client_assertion: assertion,
      }).toString(),
    });
  }

  // Builds an assertion the way oauth4webapi does, capturing it.
  async function captureAssertion(alg, modify) {
    const { record, cryptoKey, kid } = keyClients[alg];
    const auth = oauth.PrivateKeyJwt({ key: cryptoKey, kid }, modify ? { [oauth.modifyAssertion]: modify } : {});
    const body = new URLSearchParams();
    await auth(as, { client_id: record.client_id }, body, new Headers());
    return body.get('client_assertion');
  }

  function assertInvalidClient(r, description) {
    assert.equal(r.status, 401, r.body);
    const body = JSON.parse(r.body);
    assert.equal(body.error, 'invalid_client');
    if (description) assert.match(body.error_description, description);
  }

  test('a replayed assertion is 401 invalid_client', async () => {
    const assertion = await captureAssertion('ES256');
    const first = await assertionRequest(keyClients.ES256.record.client_id, assertion);
    assert.equal(first.status, 200, first.body);
    assertInvalidClient(await assertionRequest(keyClients.ES256.record.client_id, assertion), /already used/);
  });

  test('wrong audience, expired, too long-lived: 401 invalid_client, jti not used up', async () => {
    const id = keyClients.RS256.record.client_id;
    assertInvalidClient(await assertionRequest(id, await captureAssertion('RS256', (h, p) => { p.aud = 'https://elsewhere.example'; })), /aud/);
    assertInvalidClient(await assertionRequest(id, await captureAssertion('RS256', (h, p) => { p.exp = p.iat - 120; })), /expired/);
    assertInvalidClient(await assertionRequest(id, await captureAssertion('RS256', (h, p) => { p.exp = p.iat + 3600; })), /ahead/);
    assertInvalidClient(await assertionRequest(id, await captureAssertion('RS256', (h, p) => { p.iss = 'someone-else'; })), /iss/);
    // The endpoint URL is an accepted audience.
    const ok = await assertionRequest(id, await captureAssertion('RS256', (h, p) => { p.aud = `${stack.issuer}/token`; }));
    assert.equal(ok.status, 200, ok.body);
  });

  test('signed by another client\'s key: 401 invalid_client', async () => {
    const assertion = await captureAssertion('EdDSA', (h, p) => {
      p.iss = keyClients.ES256.record.client_id;
      p.sub = keyClients.ES256.record.client_id;
    });
    assertInvalidClient(await assertionRequest(keyClients.ES256.record.client_id, assertion));
  });

  test('client_secret_basic client sending its secret in the body: 401 invalid_client', async () => {
    const r = await stack.request('/token', {
      method: 'POST', headers: FORM,
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: basicClient.client_id, client_secret: basicClient.client_secret }).toString(),
    });
    assertInvalidClient(r, /registered for client_secret_basic/);
    const good = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, authorization: basic(basicClient.client_id, basicClient.client_secret) },
      body: 'grant_type=client_credentials&scope=read',
    });
    assert.equal(good.status, 200, good.body);
  });

  test('client_secret_post client sending its secret in Basic: 401 invalid_client with WWW-Authenticate', async () => {
    const r = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, authorization: basic(postClient.client_id, postClient.client_secret) },
      body: 'grant_type=client_credentials',
    });
    assertInvalidClient(r, /registered for client_secret_post/);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="oauthd"');
    for (const endpoint of ['/introspect', '/revoke']) {
      const other = await stack.request(endpoint, {
        method: 'POST', headers: { ...FORM, authorization: basic(postClient.client_id, postClient.client_secret) },
        body: 'token=x',
      });
      assertInvalidClient(other, /registered for client_secret_post/);
    }
  });

  test('private_key_jwt client sending a secret: 401 invalid_client', async () => {
    const id = keyClients.ES256.record.client_id;
    const r = await stack.request('/token', {
      method: 'POST', headers: { ...FORM, authorization: basic(id, 'anything') },
      body: 'grant_type=client_credentials',
    });
    assertInvalidClient(r);
    const post = await stack.request('/token', {
      method: 'POST', headers: FORM,
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: 'anything' }).toString(),
    });
    assertInvalidClient(post);
  });

  test('a secret client sending an assertion: 401 invalid_client', async () => {
    const assertion = await captureAssertion('ES256', (h, p) => {
      p.iss = basicClient.client_id;
      p.sub = basicClient.client_id;
    });
    assertInvalidClient(await assertionRequest(basicClient.client_id, assertion));
  });
});

describe('oauthctl', () => {
  test('token --private_key_file over gRPC', () => {
    const { record, keyFile } = keyClients.EdDSA;
    const out = JSON.parse(stack.oauthctl(['--json', 'token', `--client_id=${record.client_id}`, `--private_key_file=${keyFile}`, '--scope=read']));
    assert.ok(out.accessToken || out.access_token, JSON.stringify(out));
  });

  test('client get shows the method, its enforcement and the keys', () => {
    const { record } = keyClients.ES256;
    const out = stack.oauthctl(['client', 'get', record.client_id]);
    assert.match(out, /auth method:\s+private_key_jwt\n/);
    assert.match(out, /jwks:\s+\{"keys":\[\{"kty":"EC"/);
  });
});
