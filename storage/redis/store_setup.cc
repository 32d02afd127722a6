#include "storage/redis/store_setup.h"

#include "storage/redis/scripts.h"

namespace oauthd::storage::redis_internal {

ConnectionConfig MakeConnectionConfig(const RedisOptions& o) {
  ConnectionConfig c;
  c.host = o.host;
  c.port = o.port;
  // With Sentinel, a connection must reach the primary. With a fixed URL a
  // replica is refused too, but a server that does not allow ROLE (a proxy,
  // a restrictive ACL) is accepted: writes to a replica still fail READONLY.
  c.role_check = o.sentinels.empty() ? RoleCheck::kIfSupported
                                     : RoleCheck::kRequired;
  c.user = o.user;
  c.password = o.password;
  c.db = o.db;
  c.connect_timeout = o.connect_timeout;
  c.command_timeout = o.command_timeout;
  c.metrics = o.metrics.get();
  for (const auto& script : Scripts()) {
    c.scripts.push_back(script.body);
    c.script_shas.push_back(script.sha1);
  }
  return c;
}

std::unique_ptr<PrimaryLocator> MakeLocator(const RedisOptions& o) {
  if (o.sentinels.empty()) return NewFixedLocator(o.host, o.port);
  SentinelLocatorOptions s;
  s.sentinels = o.sentinels;
  s.master_name = o.master_name;
  s.timeout = o.connect_timeout;
  s.retry_interval = o.sentinel_retry_interval;
  s.watch = o.sentinel_watch;
  s.failover_wait = o.failover_wait;
  return NewSentinelLocator(std::move(s));
}

}  // namespace oauthd::storage::redis_internal
