#ifndef OAUTHD_STORAGE_STORE_H_
#define OAUTHD_STORAGE_STORE_H_

#include <memory>

#include "absl/status/status.h"
#include "storage/client_store.h"
#include "storage/code_store.h"
#include "storage/counter_store.h"
#include "storage/device_store.h"
#include "storage/refresh_token_store.h"
#include "storage/replay_store.h"
#include "storage/revocation_store.h"
#include "storage/user_store.h"

namespace oauthd::storage {

// All stores of one backend. The accessors return references valid for the
// Store's lifetime; all are thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  virtual ClientStore& clients() = 0;
  virtual UserStore& users() = 0;
  virtual CodeStore& codes() = 0;
  virtual RefreshTokenStore& refresh_tokens() = 0;
  virtual RevocationStore& revocations() = 0;
  virtual CounterStore& counters() = 0;
  virtual ReplayStore& replays() = 0;
  virtual DeviceStore& devices() = 0;

  // OK when the backend answers now (used by the health service).
  virtual absl::Status Ping() = 0;
};

}  // namespace oauthd::storage

#endif  // OAUTHD_STORAGE_STORE_H_
