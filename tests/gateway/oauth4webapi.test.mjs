// Every grant through the gateway with oauth4webapi, an unchanged, strict RFC
// client library, over HTTPS (a self-signed certificate trusted through
// NODE_EXTRA_CA_CERTS): discovery (RFC 8414), client_credentials, password
// (through the library's generic grant request: it has no ROPC helper),
// authorization_code with PKCE (the login page driven with plain HTTP),
// refresh with rotation, introspection (RFC 7662), revocation (RFC 7009), and
// local verification of the RFC 9068 access token against the JWKS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oauth from 'oauth4webapi';

import { startStack, submitLoginForm } from './harness.mjs';

const REDIRECT_URI = 'http://127.0.0.1:9/callback?tenant=acme';

let stack;
let as;
let basicClient;
let postClient;
let publicClient;
const USERNAME = 'alice';
const PASSWORD = `correct horse ${crypto.randomUUID()}`;

before(async () => {
  stack = await startStack({ tls: true });
  basicClient = stack.createClient({
    name: 'Basic App',
    grantTypes: ['client_credentials', 'password', 'authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    authMethod: 'client_secret_basic',
  });
  postClient = stack.createClient({
    name: 'Post App',
    grantTypes: ['client_credentials', 'password', 'refresh_token'],
    authMethod: 'client_secret_post',
  });
  publicClient = stack.createClient({
    name: 'Public SPA',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    authMethod: 'none',
  });
  stack.createUser(USERNAME, PASSWORD);
});

after(async () => {
  await stack?.close();
});

function client(record) {
  return { client_id: record.client_id };
}

async function login(record, clientAuth, scope = 'read write') {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', record.client_id);
  url.searchParams.set('redirect_uri', REDIRECT_URI);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  const { page, response } = await submitLoginForm(stack, url, { username: USERNAME, password: PASSWORD });
  assert.equal(page.status, 200, page.body);
  assert.equal(response.status, 303, response.body);
  const callback = new URL(response.headers.location);
  assert.equal(callback.origin + callback.pathname, 'http://127.0.0.1:9/callback');
  assert.equal(callback.searchParams.get('tenant'), 'acme', 'existing query kept');
  // Checks state and the RFC 9207 iss parameter.
  const params = oauth.validateAuthResponse(as, client(record), callback, state);
  const tokenResponse = await oauth.authorizationCodeGrantRequest(
    as, client(record), clientAuth, params, REDIRECT_URI, codeVerifier);
  return oauth.processAuthorizationCodeResponse(as, client(record), tokenResponse);
}

describe('oauth4webapi against the gateway', () => {
  test('discovery: RFC 8414 and the OpenID location', async () => {
    const issuer = new URL(stack.issuer);
    as = await oauth.processDiscoveryResponse(
      issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }));
    assert.equal(as.issuer, stack.issuer);
    assert.equal(as.token_endpoint, `${stack.issuer}/token`);
    assert.equal(as.authorization_endpoint, `${stack.issuer}/authorize`);
    assert.equal(as.introspection_endpoint, `${stack.issuer}/introspect`);
    assert.equal(as.revocation_endpoint, `${stack.issuer}/revoke`);
    assert.ok(as.jwks_uri.startsWith(stack.issuer));
    assert.ok(as.grant_types_supported.includes('authorization_code'));
    assert.ok(as.code_challenge_methods_supported.includes('S256'));
    const oidc = await oauth.processDiscoveryResponse(
      issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc' }));
    assert.equal(oidc.token_endpoint, as.token_endpoint);
  });

  test('client_credentials with client_secret_basic, token verified against the JWKS', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as, client(basicClient), oauth.ClientSecretBasic(basicClient.client_secret), { scope: 'read' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    const result = await oauth.processClientCredentialsResponse(as, client(basicClient), response);
    assert.equal(result.token_type, 'bearer');
    assert.ok(result.expires_in > 0);
    assert.equal(result.scope, 'read');
    const request = new Request('https://api.example/resource', {
      headers: { authorization: `Bearer ${result.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, basicClient.client_id);
    assert.equal(claims.client_id, basicClient.client_id);
    assert.equal(claims.iss, stack.issuer);
  });

  test('client_credentials with client_secret_post', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as, client(postClient), oauth.ClientSecretPost(postClient.client_secret), {});
    const result = await oauth.processClientCredentialsResponse(as, client(postClient), response);
    assert.ok(result.access_token);
  });

  test('a wrong secret is invalid_client (401 + WWW-Authenticate for Basic)', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as, client(basicClient), oauth.ClientSecretBasic('wrong'), {});
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate'), /^Basic realm=/);
    assert.equal((await response.clone().json()).error, 'invalid_client');
    // The library surfaces the RFC 6749 §5.2 challenge as such.
    await assert.rejects(
      oauth.processClientCredentialsResponse(as, client(basicClient), response),
      (err) => err instanceof oauth.WWWAuthenticateChallengeError &&
        err.cause[0].scheme === 'basic' && err.status === 401);
  });

  test('password grant (generic token endpoint request) and refresh rotation', async () => {
    const response = await oauth.genericTokenEndpointRequest(
      as, client(postClient), oauth.ClientSecretPost(postClient.client_secret), 'password',
      { username: USERNAME, password: PASSWORD, scope: 'read' });
    const tokens = await oauth.processGenericTokenEndpointResponse(as, client(postClient), response);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token, 'password grant with refresh_token allowed returns one');

    const refreshed = await oauth.processRefreshTokenResponse(as, client(postClient),
      await oauth.refreshTokenGrantRequest(
        as, client(postClient), oauth.ClientSecretPost(postClient.client_secret), tokens.refresh_token));
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
  });

  test('password grant with a wrong password is invalid_grant', async () => {
    const response = await oauth.genericTokenEndpointRequest(
      as, client(basicClient), oauth.ClientSecretBasic(basicClient.client_secret), 'password',
      { username: USERNAME, password: 'not it' });
    assert.equal(response.status, 400);
    await assert.rejects(
      oauth.processGenericTokenEndpointResponse(as, client(basicClient), response),
      (err) => err.error === 'invalid_grant');
  });

  test('authorization_code + PKCE (confidential client), refresh, introspection, revocation', async () => {
    const auth = oauth.ClientSecretBasic(basicClient.client_secret);
    const tokens = await login(basicClient, auth);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.scope, 'read write');

    const claims = await oauth.validateJwtAccessToken(as,
      new Request('https://api.example/', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      basicClient.client_id);
    assert.ok(claims.sub, 'the access token names the resource owner');

    const introspection = await oauth.processIntrospectionResponse(as, client(basicClient),
      await oauth.introspectionRequest(as, client(basicClient), auth, tokens.access_token));
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, basicClient.client_id);
    assert.equal(introspection.username, USERNAME);
    assert.equal(introspection.scope, 'read write');

    const refreshed = await oauth.processRefreshTokenResponse(as, client(basicClient),
      await oauth.refreshTokenGrantRequest(as, client(basicClient), auth, tokens.refresh_token));
    assert.ok(refreshed.access_token);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client(basicClient), auth, refreshed.access_token));
    const after = await oauth.processIntrospectionResponse(as, client(basicClient),
      await oauth.introspectionRequest(as, client(basicClient), auth, refreshed.access_token));
    assert.equal(after.active, false);

    // RFC 7009 §2.2: an unknown token is revoked successfully too.
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client(basicClient), auth, 'no-such-token'));

    // The code is single-use (the library would not even try; do it raw).
    const introspectRefresh = await oauth.processIntrospectionResponse(as, client(basicClient),
      await oauth.introspectionRequest(as, client(basicClient), auth, refreshed.refresh_token,
        { additionalParameters: { token_type_hint: 'refresh_token' } }));
    assert.equal(introspectRefresh.active, true);
  });

  test('authorization_code + PKCE for a public client (token_endpoint_auth_method none)', async () => {
    const tokens = await login(publicClient, oauth.None(), 'read');
    assert.ok(tokens.access_token);
    assert.equal(tokens.scope, 'read');
    if (tokens.refresh_token) {
      const refreshed = await oauth.processRefreshTokenResponse(as, client(publicClient),
        await oauth.refreshTokenGrantRequest(as, client(publicClient), oauth.None(), tokens.refresh_token));
      assert.ok(refreshed.access_token);
    }
  });

  test('reusing an authorization code is invalid_grant', async () => {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('client_id', basicClient.client_id);
    url.searchParams.set('redirect_uri', REDIRECT_URI);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    const { response } = await submitLoginForm(stack, url, { username: USERNAME, password: PASSWORD });
    const params = oauth.validateAuthResponse(as, client(basicClient), new URL(response.headers.location),
      oauth.expectNoState);
    const auth = oauth.ClientSecretBasic(basicClient.client_secret);
    await oauth.processAuthorizationCodeResponse(as, client(basicClient),
      await oauth.authorizationCodeGrantRequest(as, client(basicClient), auth, params, REDIRECT_URI, codeVerifier));
    const second = await oauth.authorizationCodeGrantRequest(
      as, client(basicClient), auth, params, REDIRECT_URI, codeVerifier);
    assert.equal(second.status, 400);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, client(basicClient), second),
      (err) => err.error === 'invalid_grant');
  });
});
