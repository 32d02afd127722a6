#ifndef OAUTHD_SERVER_OAUTHD_KEY_FILE_WATCHER_H_
#define OAUTHD_SERVER_OAUTHD_KEY_FILE_WATCHER_H_

// Re-reads the --signing_keys files every `reload_interval` and hands their
// keys to the SigningKeyRing when any file's content changed; ticks the ring
// every second so a waiting key starts signing on time and expired retired
// keys leave the JWKS.
//
// Files are read by path each time, so every way of replacing a file is
// seen: rewritten in place, renamed over, or — as Kubernetes updates a
// mounted Secret — a symlink swap (`key.pem -> ..data/key.pem`, `..data`
// re-pointed atomically). A file that cannot be read or parsed (mid-update,
// removed, garbage) changes nothing: the keys in use stay, one line says
// why (once per distinct problem), and the next read tries again.
//
// One background thread; the destructor stops and joins it.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/core/signing_key_ring.h"

namespace oauthd {

class KeyFileWatcher {
 public:
  // `initial_contents`: the files' contents the ring was built from (same
  // order as `files`).
  KeyFileWatcher(std::vector<std::string> files, std::vector<std::string> initial_contents,
                 SigningKeyRing& ring, absl::Duration reload_interval);
  ~KeyFileWatcher();

 private:
  void Run();
  void Reload();

  const std::vector<std::string> files_;
  std::vector<std::string> contents_;
  SigningKeyRing& ring_;
  const absl::Duration reload_interval_;
  std::string last_problem_;
  absl::Notification stop_;
  std::thread thread_;
};

// The whole file, or an error naming it.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

}  // namespace oauthd

#endif  // OAUTHD_SERVER_OAUTHD_KEY_FILE_WATCHER_H_
