#ifndef OAUTHD_TESTS_STORAGE_SENTINEL_TOPOLOGY_H_
#define OAUTHD_TESTS_STORAGE_SENTINEL_TOPOLOGY_H_

// Test helper: a Redis primary, one replica and (optionally) three Sentinels,
// all real processes on free loopback ports, nothing persisted.
//
// Sentinels monitor the primary as "mymaster" with quorum 2, a short
// down-after-milliseconds and failover-timeout, so a crash fails over in a
// few seconds. Start() returns once the replica is in sync and every Sentinel
// knows the replica and the two other Sentinels (what a failover needs).
//
// Example:
//   auto topo = SentinelTopology::Start();
//   ASSERT_TRUE(topo.ok()) << topo.status();
//   RedisOptions o;
//   o.sentinels = (*topo)->sentinels();
//   ... NewRedisStore(o) ...
//   ASSERT_TRUE((*topo)->Failover().ok());
//
// Must be used from the test's main thread (children die with it).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis/redis_options.h"
#include "tests/support/child_process.h"
#include "tests/support/redis_server.h"

namespace oauthd::storage::testing_internal {

struct SentinelTopologyOptions {
  bool with_sentinels = true;
  std::string master_name = "mymaster";
  absl::Duration down_after = absl::Milliseconds(1000);
  absl::Duration failover_timeout = absl::Milliseconds(3000);
};

class SentinelTopology {
 public:
  static absl::StatusOr<std::unique_ptr<SentinelTopology>> Start(
      SentinelTopologyOptions options = {});
  ~SentinelTopology();

  // The two data nodes; which one is the primary changes with failovers.
  test_support::RedisServer& node(int i) { return *nodes_[i]; }
  // Index of the node whose ROLE is "master" (-1 if none or both).
  int PrimaryIndex();
  std::vector<HostPort> sentinels() const;

  // One command to Sentinel `i`, rendered like RedisServer::Command.
  absl::StatusOr<std::string> SentinelCommand(int i,
                                              const std::vector<std::string>& args);

  // Waits until the primary answers writes, the replica is in sync, and each
  // Sentinel names the primary, knows the replica and two other Sentinels.
  absl::Status WaitStable(absl::Duration timeout);
  // SENTINEL FAILOVER (retried while a Sentinel says it cannot yet), then
  // waits until every Sentinel names the other node. Returns its index.
  absl::StatusOr<int> Failover(absl::Duration timeout = absl::Seconds(20));
  // Waits until every Sentinel names node `index` as the primary.
  absl::Status WaitForPrimary(int index, absl::Duration timeout);

  // Kills every Sentinel (the data nodes keep running).
  void KillSentinels();

  std::string Logs() const;  // the tail of every process's output

 private:
  SentinelTopology() = default;
  absl::Status StartSentinel(int primary_port);

  SentinelTopologyOptions options_;
  std::vector<std::unique_ptr<test_support::RedisServer>> nodes_;
  std::vector<std::unique_ptr<test_support::ChildProcess>> sentinel_processes_;
  std::vector<int> sentinel_ports_;
};

}  // namespace oauthd::storage::testing_internal

#endif  // OAUTHD_TESTS_STORAGE_SENTINEL_TOPOLOGY_H_
