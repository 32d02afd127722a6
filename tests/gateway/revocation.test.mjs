// Grants and their revocation, end to end with plain HTTP against real redis,
// oauthd and gateway processes, with the admin side driven by a real
// oauthctl: every user authorization is a grant (grant_id in the tokens);
// disabling, deleting or re-passwording a user, "user revoke-grants",
// "grant revoke", "client revoke-grants", deleting a client and RFC 7009
// revocation of a refresh token each kill exactly the tokens they should and
// leave everyone else's alone. Also: refresh with a narrower scope narrows
// only the access token (RFC 6749 §6), and introspection answers only
// entitled callers (RFC 7662 §4).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sleep, startStack } from './harness.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let stack;
let app; // password + refresh_token, the client most tests log in with
let other; // a second such client: its tokens must survive revocations of app's users
let rs; // a resource server with --introspect_any_token
let stranger; // an authenticated confidential client entitled to nothing
let bystander; // tokens of an unrelated user, checked after every revocation

function basic(client) {
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(client.client_id)}:${enc(client.client_secret)}`).toString('base64')}`;
}

function post(path, client, params) {
  return stack.request(path, {
    method: 'POST',
    headers: { ...FORM, authorization: basic(client) },
    body: new URLSearchParams(params).toString(),
  });
}

// A new password for every user: long enough for the server's 8-byte minimum.
function newPassword() {
  return `pw-${crypto.randomUUID()}`;
}

function createUser(username) {
  const password = newPassword();
  stack.createUser(username, password);
  return password;
}

// The JSON claims of a JWT access token (no verification: we only read).
function claims(accessToken) {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}

// Password grant; resolves the token response, asserting success.
async function login(client, username, password, scope = 'read write') {
  const response = await post('/token', client, { grant_type: 'password', username, password, scope });
  assert.equal(response.status, 200, `login of ${username}: ${response.body}`);
  const body = JSON.parse(response.body);
  assert.ok(body.refresh_token, 'a refresh token');
  assert.ok(claims(body.access_token).grant_id, 'the access token names its grant');
  return body;
}

function refresh(client, refreshToken, scope) {
  return post('/token', client, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...(scope === undefined ? {} : { scope }),
  });
}

async function refreshOk(client, refreshToken, scope) {
  const response = await refresh(client, refreshToken, scope);
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body);
}

// RFC 6749 §5.2 error with the given status and code.
function assertError(response, status, error) {
  assert.equal(response.status, status, response.body);
  assert.equal(JSON.parse(response.body).error, error, response.body);
}

async function assertRefreshDead(client, refreshToken) {
  assertError(await refresh(client, refreshToken), 400, 'invalid_grant');
}

async function introspect(client, token) {
  const response = await post('/introspect', client, { token });
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body);
}

// Introspected by `client` (the token's own client unless said otherwise, so
// an inactive answer means revoked, not "not entitled").
async function assertActive(token, client) {
  const body = await introspect(client, token);
  assert.equal(body.active, true, `expected an active token, got ${JSON.stringify(body)}`);
  return body;
}

async function assertInactive(token, client) {
  assert.deepEqual(await introspect(client, token), { active: false });
}

// An admin command that revokes something. Revocation covers the very
// millisecond it happened in, so wait a little before any later login that
// must not be caught by it.
async function revokingAdmin(...args) {
  const out = stack.oauthctl(args);
  await sleep(15);
  return out;
}

function liveGrants(username) {
  // Proto JSON leaves out an empty list: {} when the user has no grant.
  return JSON.parse(stack.oauthctl(['--json', 'user', 'grants', username])).grants ?? [];
}

// The unrelated user's tokens at both clients, refresh and access, still live.
async function assertBystanderActive() {
  for (const { client, tokens } of bystander) {
    await assertActive(tokens.access_token, client);
    await assertActive(tokens.refresh_token, client);
  }
}

before(async () => {
  stack = await startStack();
  app = stack.createClient({ name: 'App', grantTypes: ['password', 'refresh_token'] });
  other = stack.createClient({ name: 'Other App', grantTypes: ['password', 'refresh_token'] });
  rs = stack.createClient({ name: 'Resource Server', grantTypes: ['client_credentials'], extra: ['--introspect_any_token'] });
  stranger = stack.createClient({ name: 'Stranger', grantTypes: ['client_credentials'] });
  const password = createUser('bystander');
  bystander = [
    { client: app, tokens: await login(app, 'bystander', password) },
    { client: other, tokens: await login(other, 'bystander', password) },
  ];
});

after(async () => {
  await stack?.close();
});

describe('revocation of grants', () => {
  test('user disable kills the user\'s refresh and access tokens; a login after enable works', async () => {
    const password = createUser('dora');
    const tokens = await login(app, 'dora', password);
    const atOther = await login(other, 'dora', password);
    await assertActive(tokens.access_token, app);

    await revokingAdmin('user', 'disable', 'dora');
    await assertRefreshDead(app, tokens.refresh_token);
    await assertInactive(tokens.access_token, app);
    // Every client's grants of the user, not only one.
    await assertInactive(atOther.access_token, other);
    await assertRefreshDead(other, atOther.refresh_token);
    // A disabled user cannot log in.
    assertError(await post('/token', app, { grant_type: 'password', username: 'dora', password }), 400, 'invalid_grant');
    await assertBystanderActive();

    stack.oauthctl(['user', 'enable', 'dora']);
    const fresh = await login(app, 'dora', password);
    await assertActive(fresh.access_token, app);
    await refreshOk(app, fresh.refresh_token);
    // Enabling again does not bring the old tokens back.
    await assertInactive(tokens.access_token, app);
    await assertRefreshDead(app, tokens.refresh_token);
  });

  test('user delete kills the user\'s tokens; a user created again under the same name does not get them', async () => {
    let password = createUser('dan');
    const tokens = await login(app, 'dan', password);

    await revokingAdmin('user', 'delete', 'dan');
    await assertRefreshDead(app, tokens.refresh_token);
    await assertInactive(tokens.access_token, app);
    await assertBystanderActive();

    password = createUser('dan');
    await assertRefreshDead(app, tokens.refresh_token);
    await assertInactive(tokens.access_token, app);
    await assertActive((await login(app, 'dan', password)).access_token, app);
  });

  test('RFC 7009 revocation of a rotated refresh token kills the whole grant, not the user\'s other grants', async () => {
    const password = createUser('rita');
    const first = await login(app, 'rita', password);
    const second = await login(app, 'rita', password); // another device: another grant
    const grantId = claims(first.access_token).grant_id;
    assert.notEqual(claims(second.access_token).grant_id, grantId);

    const rotated = await refreshOk(app, first.refresh_token);
    assert.notEqual(rotated.refresh_token, first.refresh_token, 'rotated');
    assert.equal(claims(rotated.access_token).grant_id, grantId, 'the same grant after rotation');
    assert.equal((await assertActive(rotated.access_token, app)).grant_id, grantId);

    const revoked = await post('/revoke', app, { token: rotated.refresh_token });
    assert.equal(revoked.status, 200, revoked.body);
    assert.equal(revoked.body, '');
    // Access tokens from before and after the rotation die with the grant.
    await assertInactive(first.access_token, app);
    await assertInactive(rotated.access_token, app);
    await assertInactive(rotated.refresh_token, app);
    await assertRefreshDead(app, rotated.refresh_token);

    // Only the other grant is left where the user is signed in.
    assert.deepEqual(liveGrants('rita').map((g) => g.grant_id), [claims(second.access_token).grant_id]);
    await assertActive(second.access_token, app);
    await refreshOk(app, second.refresh_token);
    await assertBystanderActive();
  });

  test('refresh with a narrower scope narrows only the access token (RFC 6749 §6)', async () => {
    const password = createUser('nora');
    const tokens = await login(app, 'nora', password, 'read write');
    assert.equal(tokens.scope, 'read write');

    const narrow = await refreshOk(app, tokens.refresh_token, 'read');
    assert.equal(narrow.scope, 'read');
    assert.equal(claims(narrow.access_token).scope, 'read');
    assert.equal((await assertActive(narrow.access_token, app)).scope, 'read');
    // The successor refresh token still carries the whole grant...
    assert.equal((await assertActive(narrow.refresh_token, app)).scope, 'read write');
    // ...so refreshing it without a scope gives the original scope again.
    const full = await refreshOk(app, narrow.refresh_token);
    assert.equal(full.scope, 'read write');
    assert.equal(claims(full.access_token).scope, 'read write');

    // Never more than was granted.
    const readOnly = await login(app, 'nora', password, 'read');
    assertError(await refresh(app, readOnly.refresh_token, 'read write'), 400, 'invalid_scope');
  });

  test('client delete kills its tokens; a client created again under the same id cannot use them', async () => {
    const id = 'revocation-doomed-app';
    const create = () => stack.createClient({ name: 'Doomed', grantTypes: ['password', 'refresh_token'], extra: [`--id=${id}`] });
    const doomed = create();
    const password = createUser('carl');
    const tokens = await login(doomed, 'carl', password);
    const atApp = await login(app, 'carl', password); // the same user at another client
    await assertActive(tokens.access_token, doomed);

    await revokingAdmin('client', 'delete', id);
    const reborn = create();
    assert.equal(reborn.client_id, id);
    assert.notEqual(reborn.client_secret, doomed.client_secret);
    await assertRefreshDead(reborn, tokens.refresh_token);
    // Inactive both to the new client of that id and to an all-seeing one.
    await assertInactive(tokens.access_token, reborn);
    await assertInactive(tokens.access_token, rs);

    // The new client works, and nobody else lost anything.
    const fresh = await login(reborn, 'carl', password);
    await assertActive(fresh.access_token, reborn);
    await assertActive(atApp.access_token, app);
    await refreshOk(app, atApp.refresh_token);
    await assertBystanderActive();
  });

  test('introspection answers only the token\'s client, its audience and --introspect_any_token clients (RFC 7662 §4)', async () => {
    // A client whose tokens are for an API that is itself a client.
    const api = stack.createClient({ name: 'Orders API', grantTypes: ['client_credentials'], extra: ['--id=orders-api'] });
    const spa = stack.createClient({
      name: 'Orders UI', grantTypes: ['password', 'refresh_token'], extra: ['--audiences=orders-api'],
    });
    const password = createUser('ivy');
    const tokens = await login(app, 'ivy', password);
    const forApi = await login(spa, 'ivy', password);
    assert.equal(claims(forApi.access_token).aud, 'orders-api');

    // A live token, yet the stranger learns nothing about it.
    assert.deepEqual(await introspect(stranger, tokens.access_token), { active: false });
    assert.deepEqual(await introspect(stranger, tokens.refresh_token), { active: false });
    assert.deepEqual(await introspect(stranger, forApi.access_token), { active: false });
    // Nor does a client about another client's token that is not for it.
    assert.deepEqual(await introspect(api, tokens.access_token), { active: false });

    const own = await assertActive(tokens.access_token, app);
    assert.equal(own.client_id, app.client_id);
    assert.equal(own.username, 'ivy');
    assert.equal(own.grant_id, claims(tokens.access_token).grant_id);
    const any = await assertActive(tokens.access_token, rs);
    assert.equal(any.client_id, app.client_id);
    assert.equal((await assertActive(tokens.refresh_token, rs)).token_type, 'refresh_token');
    const audience = await assertActive(forApi.access_token, api);
    assert.equal(audience.client_id, spa.client_id);
    await assertActive(forApi.access_token, spa);
  });

  test('user set-password and user revoke-grants each kill the user\'s grants; user grants lists them', async () => {
    let password = createUser('sam');
    const tokens = await login(app, 'sam', password);
    const grants = liveGrants('sam');
    assert.equal(grants.length, 1, JSON.stringify(grants));
    assert.equal(grants[0].grant_id, claims(tokens.access_token).grant_id);
    assert.equal(grants[0].client_id, app.client_id);
    assert.deepEqual(grants[0].scopes, ['read', 'write']);

    const oldPassword = password;
    password = newPassword();
    await revokingAdmin('user', 'set-password', 'sam', `--password=${password}`);
    await assertRefreshDead(app, tokens.refresh_token);
    await assertInactive(tokens.access_token, app);
    assert.deepEqual(liveGrants('sam'), []);
    assertError(await post('/token', app, { grant_type: 'password', username: 'sam', password: oldPassword }),
      400, 'invalid_grant');
    await assertBystanderActive();

    // Signed in again, at two clients, then signed out everywhere.
    const again = await login(app, 'sam', password);
    const elsewhere = await login(other, 'sam', password);
    assert.deepEqual(liveGrants('sam').map((g) => g.grant_id).sort(),
      [claims(again.access_token).grant_id, claims(elsewhere.access_token).grant_id].sort());
    await revokingAdmin('user', 'revoke-grants', 'sam');
    await assertRefreshDead(app, again.refresh_token);
    await assertInactive(again.access_token, app);
    await assertRefreshDead(other, elsewhere.refresh_token);
    await assertInactive(elsewhere.access_token, other);
    assert.deepEqual(liveGrants('sam'), []);
    await assertBystanderActive();

    // The password still works: revoking grants is not disabling.
    await assertActive((await login(app, 'sam', password)).access_token, app);
  });

  test('grant revoke kills one grant; client revoke-grants kills every token of one client', async () => {
    const password = createUser('gus');
    const one = await login(app, 'gus', password);
    const two = await login(app, 'gus', password);
    const atOther = await login(other, 'gus', password);

    await revokingAdmin('grant', 'revoke', claims(one.access_token).grant_id);
    await assertInactive(one.access_token, app);
    await assertRefreshDead(app, one.refresh_token);
    await assertActive(two.access_token, app);
    assert.equal(liveGrants('gus').length, 2);

    // A client of its own, so that the shared clients' tokens are unaffected.
    const victim = stack.createClient({ name: 'Victim', grantTypes: ['password', 'refresh_token', 'client_credentials'] });
    const userTokens = await login(victim, 'gus', password);
    const ccResponse = await post('/token', victim, { grant_type: 'client_credentials' });
    assert.equal(ccResponse.status, 200, ccResponse.body);
    const ccToken = JSON.parse(ccResponse.body).access_token;
    await assertActive(ccToken, victim);

    await revokingAdmin('client', 'revoke-grants', victim.client_id);
    await assertInactive(userTokens.access_token, victim);
    await assertRefreshDead(victim, userTokens.refresh_token);
    await assertInactive(ccToken, victim); // tokens without a grant too
    await assertActive(two.access_token, app);
    await assertActive(atOther.access_token, other);
    await assertBystanderActive();
    // The client itself still works.
    await assertActive((await login(victim, 'gus', password)).access_token, victim);
  });
});
