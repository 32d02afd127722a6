#ifndef OAUTHD_TESTS_CORE_SERVICE_FIXTURE_H_
#define OAUTHD_TESTS_CORE_SERVICE_FIXTURE_H_

// An OAuthService on the memory store with a fake clock and a fresh ES256
// key, plus helpers to register clients and users.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "server/core/client_admin.h"
#include "server/core/oauth_error.h"
#include "server/core/oauth_service.h"
#include "server/core/user_admin.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"
#include "storage/memory/memory_store.h"

namespace oauthd::testing {

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    config_.issuer = "https://issuer.test";
    config_.password_hashing.log2_n = 10;  // fast in tests
    config_.user_failure_limit = 3;
    config_.user_total_failure_limit = 50;
    Clock clock = [this] { return absl::FromUnixSeconds(now_.load()); };
    store_ = storage::NewMemoryStore(clock);
    auto pem = jose::GeneratePrivateKeyPem(jose::Algorithm::kEs256);
    auto key = jose::SigningKey::FromPem(*pem);
    issuer_ = std::make_unique<TokenIssuer>(
        config_.issuer,
        std::vector<std::shared_ptr<const jose::SigningKey>>{
            std::make_shared<const jose::SigningKey>(*std::move(key))},
        clock);
    service_ = std::make_unique<OAuthService>(config_, *store_, *issuer_, clock);
    clients_ = std::make_unique<ClientAdmin>(config_, *store_, service_->clients(), clock);
    users_ = std::make_unique<UserAdmin>(config_, *store_, clock);
  }

  void Advance(absl::Duration d) { now_ += absl::ToInt64Seconds(d); }

  // Registers a client; returns its credentials.
  oauth::v1::ClientAuthentication AddClient(oauth::admin::v1::Client client) {
    oauth::admin::v1::CreateClientRequest request;
    *request.mutable_client() = std::move(client);
    auto created = clients_->Create(request);
    EXPECT_TRUE(created.ok()) << created.status();
    oauth::v1::ClientAuthentication auth;
    auth.set_client_id(created->client().client_id());
    auth.set_client_secret(created->client_secret());
    return auth;
  }

  oauth::v1::ClientAuthentication AddConfidential(std::vector<std::string> grants,
                                                  std::string id = "") {
    oauth::admin::v1::Client c;
    c.set_client_id(id);
    for (auto& g : grants) c.add_grant_types(g);
    c.add_redirect_uris("https://app.test/cb");
    c.add_allowed_scopes("read");
    c.add_allowed_scopes("write");
    c.add_default_scopes("read");
    return AddClient(c);
  }

  std::string AddUser(const std::string& name, const std::string& password) {
    auto u = users_->Create(name, password);
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? u->subject() : "";
  }

  static std::string ErrorOf(const absl::Status& s) { return ToOAuthError(s).error(); }

  ServerConfig config_;
  std::atomic<int64_t> now_{1800000000};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<TokenIssuer> issuer_;
  std::unique_ptr<OAuthService> service_;
  std::unique_ptr<ClientAdmin> clients_;
  std::unique_ptr<UserAdmin> users_;
};

}  // namespace oauthd::testing

#endif  // OAUTHD_TESTS_CORE_SERVICE_FIXTURE_H_
