#include "server/core/client_admin.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "server/core/client_assertion.h"
#include "server/core/client_secret.h"
#include "server/core/config.h"
#include "server/core/device_authorization.h"
#include "server/core/oauth_error.h"
#include "server/core/random.h"
#include "server/core/redirect_uri.h"
#include "server/core/revocation.h"
#include "server/core/scope.h"
#include "server/core/status_macros.h"
#include "server/core/subject.h"
#include "server/jose/key_set.h"

namespace oauthd {
namespace {

using oauth::admin::v1::Client;

constexpr int kMaxListSize = 1000;
constexpr int kDefaultListSize = 100;
constexpr int64_t kMaxTtlSeconds = int64_t{366} * 24 * 3600;

bool ValidClientId(absl::string_view id) {
  return !id.empty() && id.size() <= kMaxClientIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                  c == '_' || c == '~' || c == '-';
         });
}

bool Has(const google::protobuf::RepeatedPtrField<std::string>& list,
         absl::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

absl::Status ValidateTtl(int64_t v, absl::string_view name) {
  if (v < 0 || v > kMaxTtlSeconds) {
    return InvalidRequest(absl::StrCat(name, " must be between 0 and ", kMaxTtlSeconds));
  }
  return absl::OkStatus();
}

constexpr size_t kMaxJwksBytes = 16 * 1024;
constexpr int kMaxCorsOrigins = 32;
constexpr size_t kMaxCorsOriginLength = 256;

// RFC 7591 §2: jwks holds the public keys of private_key_jwt; it is refused
// with any other method so that no registered key is silently unused.
absl::Status ValidateClientJwks(const Client& c) {
  const bool key_auth = c.token_endpoint_auth_method() == kPrivateKeyJwt;
  if (c.jwks().empty()) {
    if (key_auth) return InvalidRequest("private_key_jwt needs the client's public keys (jwks)");
    return absl::OkStatus();
  }
  if (!key_auth) return InvalidRequest("jwks is only used with private_key_jwt");
  if (c.jwks().size() > kMaxJwksBytes) return InvalidRequest("jwks is larger than 16 KiB");
  absl::StatusOr<jose::KeySet> keys = jose::KeySet::FromJwksJson(c.jwks());
  if (!keys.ok()) {
    return InvalidRequest(absl::StrCat("jwks: ", keys.status().message()));
  }
  return absl::OkStatus();
}

// An origin as browsers serialise it (RFC 6454 §6.2): lower-case http or
// https scheme, host, and a port only when not the scheme's default; no
// path, query, fragment, user info or trailing slash. Compared byte for byte
// with the Origin header, so anything else could never match.
absl::Status ValidateCorsOrigin(absl::string_view origin) {
  auto bad = [&](absl::string_view why) {
    return InvalidRequest(absl::StrCat("allowed_cors_origins: '", origin.substr(0, 80),
                                       "' is not an origin (", why, ")"));
  };
  if (origin.size() > kMaxCorsOriginLength) return bad("too long");
  absl::string_view rest = origin;
  bool https = false;
  if (absl::ConsumePrefix(&rest, "https://")) {
    https = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return bad("scheme must be http:// or https://, lower case");
  }
  if (rest.empty()) return bad("no host");
  absl::string_view host = rest;
  absl::string_view port;
  bool has_port = false;
  if (rest.front() == '[') {
    // A bracketed IPv6 address: browsers send it in lower case.
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) return bad("unterminated IPv6 address");
    host = rest.substr(0, close + 1);
    absl::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return bad("junk after the host");
      has_port = true;
      port = after;
    }
    const std::string address(host.substr(1, host.size() - 2));
    in6_addr parsed;
    if (!std::all_of(address.begin(), address.end(),
                     [](char ch) {
                       return absl::ascii_isdigit(static_cast<unsigned char>(ch)) ||
                              (ch >= 'a' && ch <= 'f') || ch == ':' || ch == '.';
                     }) ||
        inet_pton(AF_INET6, address.c_str(), &parsed) != 1) {
      return bad("not a lower-case IPv6 address in brackets");
    }
  } else {
    // A domain or IPv4 address: no ':' (the first one starts the port),
    // no brackets.
    if (const size_t colon = rest.find(':'); colon != absl::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      has_port = true;
    }
    for (char ch : host) {
      const bool ok = absl::ascii_islower(static_cast<unsigned char>(ch)) ||
                      absl::ascii_isdigit(static_cast<unsigned char>(ch)) || ch == '-' ||
                      ch == '.';
      if (!ok) return bad("host must be lower case letters, digits, '-', '.' or an [IPv6]");
    }
    if (host.empty()) return bad("no host");
  }
  if (has_port && port.empty()) return bad("empty port");
  if (!port.empty()) {
    if (port.size() > 5 || port.front() == '0' ||
        !std::all_of(port.begin(), port.end(),
                     [](char ch) { return absl::ascii_isdigit(static_cast<unsigned char>(ch)); })) {
      return bad("port must be 1-65535 without leading zeros");
    }
    const int number = std::stoi(std::string(port));
    if (number > 65535) return bad("port must be 1-65535");
    if ((https && number == 443) || (!https && number == 80)) {
      return bad("leave out the scheme's default port");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCorsOrigins(const Client& c) {
  if (c.allowed_cors_origins_size() > kMaxCorsOrigins) {
    return InvalidRequest(absl::StrCat("at most ", kMaxCorsOrigins, " allowed_cors_origins"));
  }
  for (const std::string& origin : c.allowed_cors_origins()) {
    RETURN_IF_ERROR(ValidateCorsOrigin(origin));
  }
  return absl::OkStatus();
}

absl::Status NotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("client '", id, "' does not exist"));
}

}  // namespace

absl::Status ValidateAndNormalizeClient(Client& c) {
  if (!ValidClientId(c.client_id())) {
    return InvalidRequest("client_id must be 1-128 characters of [A-Za-z0-9._~-]");
  }
  if (c.client_name().size() > 256) return InvalidRequest("client_name is too long");
  if (c.token_endpoint_auth_method().empty()) {
    c.set_token_endpoint_auth_method("client_secret_basic");
  }
  const std::string& method = c.token_endpoint_auth_method();
  if (method != "client_secret_basic" && method != "client_secret_post" &&
      method != kPrivateKeyJwt && method != "none") {
    return InvalidRequest(
        "token_endpoint_auth_method must be client_secret_basic, client_secret_post, "
        "private_key_jwt or none");
  }
  RETURN_IF_ERROR(ValidateClientJwks(c));
  RETURN_IF_ERROR(ValidateCorsOrigins(c));
  if (c.grant_types().empty()) c.add_grant_types("client_credentials");
  for (const std::string& g : c.grant_types()) {
    if (g != "client_credentials" && g != "password" && g != "authorization_code" &&
        g != "refresh_token" && g != kDeviceCodeGrantType) {
      return InvalidRequest(absl::StrCat("unknown grant type '", g, "'"));
    }
  }
  const bool is_public = method == "none";
  if (is_public && Has(c.grant_types(), "client_credentials")) {
    return InvalidRequest("a public client cannot use client_credentials");
  }
  // RFC 9700 §2.4: the password grant must not be used; we allow it only
  // to clients that authenticate, and not at all when it is turned off.
  if (Has(c.grant_types(), "password") && is_public) {
    return InvalidRequest(
        "a public client cannot use the password grant (it needs client authentication)");
  }
  if (is_public && c.has_require_pkce() && !c.require_pkce()) {
    return InvalidRequest("PKCE cannot be turned off for a public client");
  }
  if (Has(c.grant_types(), "authorization_code") && c.redirect_uris().empty()) {
    return InvalidRequest("authorization_code needs at least one redirect_uri");
  }
  for (const std::string& uri : c.redirect_uris()) {
    RETURN_IF_ERROR(ValidateRegisteredRedirectUri(uri));
  }
  for (const auto* list : {&c.allowed_scopes(), &c.default_scopes()}) {
    for (const std::string& s : *list) {
      absl::StatusOr<std::vector<std::string>> parsed = ParseScope(s);
      if (!parsed.ok() || parsed->size() != 1) {
        return InvalidRequest(absl::StrCat("invalid scope '", s, "'"));
      }
    }
  }
  for (const std::string& s : c.default_scopes()) {
    if (!Has(c.allowed_scopes(), s)) {
      return InvalidRequest(absl::StrCat("default scope '", s, "' is not allowed"));
    }
  }
  for (const std::string& a : c.audiences()) {
    if (a.empty() || a.size() > 512) return InvalidRequest("audience must be 1-512 bytes");
  }
  RETURN_IF_ERROR(ValidateTtl(c.access_token_ttl_seconds(), "access_token_ttl_seconds"));
  RETURN_IF_ERROR(ValidateTtl(c.refresh_token_ttl_seconds(), "refresh_token_ttl_seconds"));
  RETURN_IF_ERROR(ValidateTtl(c.refresh_family_ttl_seconds(), "refresh_family_ttl_seconds"));
  if (c.refresh_grace_seconds() < 0 || c.refresh_grace_seconds() > 300) {
    return InvalidRequest("refresh_grace_seconds must be between 0 and 300");
  }
  return absl::OkStatus();
}

absl::StatusOr<oauth::admin::v1::CreateClientResponse> ClientAdmin::Create(
    const oauth::admin::v1::CreateClientRequest& request) {
  storage::ClientRecord record;
  Client& c = *record.mutable_client();
  c = request.client();
  // The "c_" prefix keeps a generated id from starting with '-', which command
  // lines (oauthctl, shells) would take for a flag; it mirrors users' "u_".
  if (c.client_id().empty()) c.set_client_id(absl::StrCat("c_", RandomToken(16)));
  // Checked on create only, so a client stored before the rule can still be
  // updated (its client_credentials grant is refused instead).
  if (IsUserSubjectForm(c.client_id())) {
    return InvalidRequest(
        "client_id must not begin with \"u_\": that form is reserved for user subjects");
  }
  RETURN_IF_ERROR(ValidateAndNormalizeClient(c));
  if (Has(c.grant_types(), "password") && !config_.password_grant) {
    return InvalidRequest("the password grant is turned off on this server (--password_grant)");
  }
  const int64_t now = absl::ToUnixSeconds(clock_());
  c.set_create_time(now);
  c.set_update_time(now);
  c.set_token_endpoint_auth_method_enforced(true);
  oauth::admin::v1::CreateClientResponse response;
  if (c.token_endpoint_auth_method() != "none" &&
      c.token_endpoint_auth_method() != kPrivateKeyJwt) {
    std::string secret = GenerateClientSecret();
    HashedSecret hashed = HashClientSecret(secret);
    record.set_secret_salt(hashed.salt);
    record.set_secret_hash(hashed.hash);
    response.set_client_secret(std::move(secret));
  }
  absl::Status created = store_.Create(record);
  if (absl::IsAlreadyExists(created)) {
    return absl::AlreadyExistsError(
        absl::StrCat("client '", c.client_id(), "' already exists"));
  }
  RETURN_IF_ERROR(created);
  registry_.Invalidate(c.client_id());
  *response.mutable_client() = c;
  return response;
}

absl::StatusOr<Client> ClientAdmin::Get(absl::string_view client_id) {
  ASSIGN_OR_RETURN(std::optional<storage::ClientRecord> record, store_.Get(client_id));
  if (!record) return NotFound(client_id);
  return record->client();
}

absl::StatusOr<oauth::admin::v1::ListClientsResponse> ClientAdmin::List(
    const oauth::admin::v1::ListClientsRequest& request) {
  int size = request.page_size() <= 0 ? kDefaultListSize
                                      : std::min(request.page_size(), kMaxListSize);
  ASSIGN_OR_RETURN(std::vector<storage::ClientRecord> records,
                   store_.List(request.page_token(), size + 1));
  oauth::admin::v1::ListClientsResponse response;
  for (int i = 0; i < static_cast<int>(records.size()) && i < size; ++i) {
    *response.add_clients() = records[i].client();
  }
  if (static_cast<int>(records.size()) > size) {
    response.set_next_page_token(records[size - 1].client().client_id());
  }
  return response;
}

absl::StatusOr<Client> ClientAdmin::Update(
    const oauth::admin::v1::UpdateClientRequest& request) {
  const std::string& id = request.client().client_id();
  ASSIGN_OR_RETURN(std::optional<storage::ClientRecord> record, store_.Get(id));
  if (!record) return NotFound(id);
  Client updated = record->client();
  const Client& patch = request.client();
  if (request.update_mask().paths().empty()) {
    updated = patch;
  } else {
    for (const std::string& path : request.update_mask().paths()) {
      if (path == "client_id" || path == "create_time" || path == "update_time" ||
          path == "token_endpoint_auth_method_enforced") {
        return InvalidRequest(absl::StrCat("field '", path, "' cannot be updated"));
      }
      if (!google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(
              Client::descriptor(), path, nullptr)) {
        return InvalidRequest(absl::StrCat("unknown field '", path, "' in update_mask"));
      }
    }
    google::protobuf::util::FieldMaskUtil::MergeOptions options;
    options.set_replace_repeated_fields(true);
    options.set_replace_message_fields(true);
    google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, request.update_mask(),
                                                         options, &updated);
  }
  updated.set_client_id(id);
  updated.set_create_time(record->client().create_time());
  const std::string& old_method = record->client().token_endpoint_auth_method();
  const bool method_set =
      request.update_mask().paths().empty() ||
      std::find(request.update_mask().paths().begin(), request.update_mask().paths().end(),
                "token_endpoint_auth_method") != request.update_mask().paths().end();
  // Output only: kept, and turned on once the method is given explicitly.
  updated.set_token_endpoint_auth_method_enforced(
      record->client().token_endpoint_auth_method_enforced() || method_set);
  RETURN_IF_ERROR(ValidateAndNormalizeClient(updated));
  if ((updated.token_endpoint_auth_method() == "none") != (old_method == "none")) {
    return InvalidRequest(
        "a client cannot switch between public and confidential; create a new one");
  }
  if (old_method == kPrivateKeyJwt && updated.token_endpoint_auth_method() != kPrivateKeyJwt) {
    // It has no secret to fall back on.
    return InvalidRequest(
        "a private_key_jwt client cannot switch to a secret; create a new client");
  }
  if (updated.token_endpoint_auth_method() == kPrivateKeyJwt) {
    // Moving to keys: the secret stops working at once.
    record->clear_secret_salt();
    record->clear_secret_hash();
  }
  updated.set_update_time(absl::ToUnixSeconds(clock_()));
  *record->mutable_client() = updated;
  absl::Status status = store_.Update(*record);
  if (absl::IsNotFound(status)) return NotFound(id);
  RETURN_IF_ERROR(status);
  registry_.Invalidate(id);
  return updated;
}

absl::Status ClientAdmin::Delete(absl::string_view client_id) {
  // Revoke first: if deleting then fails, the client lost its tokens but
  // still exists, which is safe to retry; the other order could leave live
  // tokens of a client that is gone.
  ASSIGN_OR_RETURN(std::optional<storage::ClientRecord> record, store_.Get(client_id));
  if (!record) return NotFound(client_id);
  RETURN_IF_ERROR(
      RevokeOwnerNow(revocations_, config_, clock_, storage::Owner::kClient, client_id));
  absl::Status status = store_.Delete(client_id);
  registry_.Invalidate(client_id);
  if (absl::IsNotFound(status)) return NotFound(client_id);
  return status;
}

absl::Status ClientAdmin::RevokeGrants(absl::string_view client_id) {
  ASSIGN_OR_RETURN(std::optional<storage::ClientRecord> record, store_.Get(client_id));
  if (!record) return NotFound(client_id);
  return RevokeOwnerNow(revocations_, config_, clock_, storage::Owner::kClient, client_id);
}

absl::StatusOr<oauth::admin::v1::CreateClientResponse> ClientAdmin::RotateSecret(
    absl::string_view client_id, std::optional<int64_t> previous_secret_ttl_seconds) {
  absl::Duration overlap = config_.previous_secret_ttl;
  if (previous_secret_ttl_seconds.has_value()) {
    if (*previous_secret_ttl_seconds < 0 || *previous_secret_ttl_seconds > kMaxTtlSeconds) {
      return InvalidRequest(
          absl::StrCat("previous_secret_ttl_seconds must be between 0 and ", kMaxTtlSeconds));
    }
    overlap = absl::Seconds(*previous_secret_ttl_seconds);
  }
  ASSIGN_OR_RETURN(std::optional<storage::ClientRecord> record, store_.Get(client_id));
  if (!record) return NotFound(client_id);
  if (record->client().token_endpoint_auth_method() == "none") {
    return InvalidRequest("a public client has no secret");
  }
  if (record->client().token_endpoint_auth_method() == kPrivateKeyJwt) {
    return InvalidRequest(
        "a private_key_jwt client has no secret; register new keys with UpdateClient (jwks)");
  }
  const absl::Time now = clock_();
  // The current secret becomes the previous one (hash and salt as stored:
  // the secret itself was never kept); an older previous one ends here.
  int64_t previous_expire_ms = 0;
  if (overlap > absl::ZeroDuration() && !record->secret_hash().empty()) {
    previous_expire_ms = absl::ToUnixMillis(now + overlap);
    record->set_previous_secret_salt(record->secret_salt());
    record->set_previous_secret_hash(record->secret_hash());
  } else {
    record->clear_previous_secret_salt();
    record->clear_previous_secret_hash();
  }
  record->set_previous_secret_expire_time_ms(previous_expire_ms);
  std::string secret = GenerateClientSecret();
  HashedSecret hashed = HashClientSecret(secret);
  record->set_secret_salt(hashed.salt);
  record->set_secret_hash(hashed.hash);
  record->mutable_client()->set_update_time(absl::ToUnixSeconds(now));
  absl::Status status = store_.Update(*record);
  if (absl::IsNotFound(status)) return NotFound(client_id);
  RETURN_IF_ERROR(status);
  registry_.Invalidate(client_id);
  oauth::admin::v1::CreateClientResponse response;
  *response.mutable_client() = record->client();
  response.set_client_secret(std::move(secret));
  // Rounded up so that "until" is never earlier than the real end.
  response.set_previous_secret_expire_time(previous_expire_ms == 0 ? 0
                                                                   : (previous_expire_ms + 999) / 1000);
  return response;
}

}  // namespace oauthd
