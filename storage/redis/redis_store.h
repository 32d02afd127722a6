#ifndef OAUTHD_STORAGE_REDIS_REDIS_STORE_H_
#define OAUTHD_STORAGE_REDIS_REDIS_STORE_H_

// Redis implementation of every store interface (hiredis, synchronous
// connections from a bounded pool).
//
// Key schema (P = RedisOptions::key_prefix, default "oauth:"):
//
// | key                          | type   | value                                   | TTL |
// |------------------------------|--------|-----------------------------------------|-----|
// | P client:<client_id>         | string | serialized ClientRecord                 | none |
// | P clients                    | zset   | client ids, all score 0 (List by lex)   | none |
// | P user:<username>            | string | serialized UserRecord                   | none |
// | P users                      | zset   | usernames, all score 0                  | none |
// | P code:<code_hash>           | hash   | client_id redirect_uri                  | code TTL (PX), kept |
// |                              |        | redirect_in_request(0/1) scope subject  | when the code is |
// |                              |        | username audiences code_challenge       | spent |
// |                              |        | code_challenge_method auth_time         |     |
// |                              |        | grant_id granted_ms; once spent: spent=1|     |
// | P rt:{<family_id>}:<hash>    | hash   | client_id subject username scope        | token TTL (EXPIRE) |
// |                              |        | audiences issued_at expires_at          |     |
// |                              |        | family_expires_at; once rotated:        |     |
// |                              |        | rotated_at sealed_successor             |     |
// |                              |        | successor_scope successor_expires_at    |     |
// |                              |        | successor (its hash)                    |     |
// | P grant:{<family_id>}        | hash   | the grant (family id = grant id):       | EXAT grant_expires_at; kept on revoke; 24 h for a never-seen grant |
// |                              |        | state (active|revoked) client_id        |     |
// |                              |        | subject scope granted_ms last_used      |     |
// | P grants:<subject>           | zset   | grant ids scored by grant end (listing) | EXAT its last grant's end |
// | P revoked:<jti>              | string | "1"                                     | remaining token lifetime (PX) |
// | P nbf:user:<subject>         | string | not-before instant, unix ms (never back)| owner revocation TTL (PX) |
// | P nbf:client:<client_id>     | string | not-before instant, unix ms             | owner revocation TTL (PX) |
// | P counter:<key>              | string | INCR count                              | window (PX), set on first increment |
// | P used:<key>                 | string | "1" (ReplayStore: jti:<client>:<jti>)    | the assertion's remaining life (PX), SET NX |
// | P rv:jti, P rv:grant,        | zset   | the revocation feed index (feed.h):     | PEXPIREAT its last entry's end |
// | P rv:owner                   |        | what the revocation views resync from   |     |
// | P revocations                | channel| Pub/Sub: one message per revocation     | -   |
//
// - Only hashes of secrets appear in keys: codes and refresh tokens are named
//   by the SHA-256 hex their callers pass. Audiences are stored as
//   length-prefixed strings ("<len>:<bytes>" repeated).
// - The braces are Redis Cluster hash tags: a token and its grant share a
//   slot, so Rotate/Create/Lookup (one Lua script each) are cluster-safe. The
//   subject's grant index is another slot: it is written in the same round
//   trip as the grant (pipelined), not in its script; ListGrants reads the
//   grants it names (like List reads records), which needs a one-slot prefix
//   on a cluster. RevocationStore::Check pipelines four single-key reads.
//   Client and user records and their index zsets are in different slots; to
//   run those on a cluster, use a prefix with a hash tag (e.g. "{oauth}:"),
//   which puts all oauthd keys in one slot.
// - Every operation is one round trip: multi-key steps are Lua scripts (see
//   scripts.cc), loaded with SCRIPT LOAD on every new connection and called
//   with EVALSHA; on NOSCRIPT (SCRIPT FLUSH, failover to a replica that never
//   saw them) the same connection retries once with EVAL, which also caches it.
//
// Behaviour shared with the memory store (storage/memory/memory_store.h) and
// enforced by tests/storage/:
// - Empty ids/hashes/keys in writes, TTLs under 1 ms, List limits < 1, a
//   refresh grant without expires_at/family_expires_at: INVALID_ARGUMENT,
//   nothing changes.
// - CodeStore::Redeem checks in this order: unknown/expired -> kNotFound;
//   spent -> kAlreadyRedeemed (with `code` and the issued_* identifiers);
//   client_id; redirect_uri (only if the authorization request named one);
//   PKCE (S256 compares the stored challenge with code_verifier_s256, plain
//   with code_verifier; a challenge with no verifier, a verifier with no
//   challenge, or an unknown method -> kVerifierMismatch). Failures change
//   nothing; success marks the code spent and keeps its TTL.
// - RefreshTokenStore::Create: FAILED_PRECONDITION when the family is already
//   revoked (e.g. a replayed code revoked it first), ALREADY_EXISTS when the
//   token hash exists; starts the family marker if there is none.
// - RefreshTokenStore::Rotate checks in this order: family missing or revoked,
//   token missing -> kNotFound; client -> kClientMismatch; scope (space
//   separated tokens, each must be granted; "" keeps the grant; duplicates are
//   dropped) -> kScopeWidened; expires_at or family_expires_at <= now ->
//   kNotFound. Then: not yet rotated -> kRotated, successor TTL =
//   min(successor_ttl_seconds, family_expires_at - now); rotated and within
//   grace -> kGraceReplay with the first rotation's sealed successor and the
//   successor's grant; otherwise the family is revoked -> kReuseDetected with
//   the presented token's grant. Only kRotated and kReuseDetected write.
//   The same call repeated (same token and successor hash) after its
//   rotation was made answers kRotated again and writes nothing.
//   ALREADY_EXISTS if the successor hash already exists (nothing changes).
// - Lookup: a live token whose family marker is "active", else nullopt.
//
// Primary and failover (docs/high-availability.md):
// - With RedisOptions::sentinels, the primary is asked from Redis Sentinel and
//   asked again after a connection error, READONLY, MASTERDOWN/NOREPLICAS, an
//   unacknowledged WAIT or a ROLE mismatch; connections to a former primary
//   are dropped (primary_locator.h). Without Sentinels the URL's server is
//   used. Either way every new connection asks ROLE and a replica is refused
//   (UNAVAILABLE), so a write never goes to a replica; with a fixed URL a
//   server that does not allow ROLE is accepted (a replica would still answer
//   writes with READONLY, which is UNAVAILABLE too).
// - With RedisOptions::wait_replicas > 0, security-relevant writes (Redeem,
//   Rotate, RevokeFamily, Revoke, client/user Update and Delete) are refused
//   (UNAVAILABLE, nothing written) while fewer replicas are online (ROLE),
//   pipeline `WAIT` behind them and fail with UNAVAILABLE unless enough
//   replicas acknowledged the write: two round trips instead of one.
//   Creating codes, refresh tokens, clients and users and counting failures
//   do not wait: losing one of those makes a credential fail, never work
//   again.
// - With RedisOptions::failover_wait > 0, calls ride out a failover instead
//   of failing: they wait for the new primary while the Sentinels announce
//   one, and WAIT-protected writes wait for replicas to be online and to
//   acknowledge. A repeatable write (Rotate, Revoke, RevokeFamily,
//   RevokeOwner, client/user Update) whose answer a failover took (sent to
//   the old primary, not acknowledged before the failover was announced) is
//   sent again to the new primary; Rotate recognises its own repeat.
//
// Errors: UNAVAILABLE (retryable) when Redis cannot be reached, times out, is
// loading/read-only, is a replica, or (with WAIT) did not replicate a write in
// time; INTERNAL for undecodable data or unexpected replies.
// The store never blocks longer than pool_wait_timeout + connect_timeout +
// 2 * command_timeout per call (with Sentinels, plus up to two rounds of
// questions of 2 * connect_timeout per Sentinel, only after a failure), and
// recovers by itself when Redis returns or a new primary is elected.
//
// Thread safety: all methods may be called concurrently; each call leases its
// own connection.
//
// Process-wide effect: NewRedisStore sets SIGPIPE to SIG_IGN if it is still
// SIG_DFL, because hiredis writes to sockets with write(2) and a write to a
// connection Redis has closed would otherwise kill the process.

#include <memory>

#include "absl/status/statusor.h"
#include "storage/redis/redis_options.h"
#include "storage/store.h"

namespace oauthd::storage {

// A store on the Redis described by `options`. INVALID_ARGUMENT for bad
// options (see ValidateRedisOptions). Redis need not be up: connections are
// opened on demand, calls fail with UNAVAILABLE until it answers. Call
// Ping() to check it at start-up.
//
// Example:
//   ASSIGN_OR_RETURN(RedisOptions options, ParseRedisUrl(flags.redis_url));
//   options.pool_size = 32;
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, NewRedisStore(options));
absl::StatusOr<std::unique_ptr<Store>> NewRedisStore(const RedisOptions& options);

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_REDIS_REDIS_STORE_H_
