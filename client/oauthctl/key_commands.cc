// oauthctl keys generate | jwks: signing keys for oauthd.

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "client/oauthctl/cli.h"
#include "oauth/admin/v1/admin.grpc.pb.h"
#include "server/jose/jwks.h"
#include "server/jose/key_generation.h"
#include "server/jose/signing_key.h"

ABSL_FLAG(std::string, alg, "ES256", "signature algorithm: ES256, RS256 or EdDSA");
ABSL_FLAG(std::string, out, "", "the PEM file to write (created with mode 0600)");
ABSL_FLAG(bool, force, false, "overwrite an existing --out file");

namespace oauthctl {
namespace {

std::string Iso(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// oauthctl keys status: the admin API's GetSigningKeys.
int KeysStatus() {
  oauth::admin::v1::GetSigningKeysResponse response;
  auto ctx = NewContext(/*admin=*/true);
  grpc::Status status = oauth::admin::v1::AdminService::NewStub(AdminChannel())
                            ->GetSigningKeys(ctx.get(), {}, &response);
  if (!status.ok()) return ReportError(status);
  if (JsonOutput()) {
    PrintJson(response);
    return kExitOk;
  }
  for (const auto& k : response.keys()) {
    std::string when;
    if (k.state() == "signing") {
      when = "signs since " + Iso(k.signs_since());
    } else if (k.state() == "next") {
      when = "signs from " + Iso(k.signs_from());
    } else if (k.state() == "retiring") {
      when = "published until " + Iso(k.published_until());
    } else {
      when = "published since " + Iso(k.published_since());
    }
    std::printf("%s  %-5s  %-9s  %s  %s\n", k.kid().c_str(), k.alg().c_str(),
                k.state().c_str(), when.c_str(), k.file().c_str());
  }
  return kExitOk;
}

}  // namespace

int RunKeysCommand(const Args& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  if (verb == "generate") {
    absl::StatusOr<oauthd::jose::Algorithm> alg =
        oauthd::jose::ParseAlgorithm(absl::GetFlag(FLAGS_alg));
    if (!alg.ok()) return UsageError("--alg must be ES256, RS256 or EdDSA");
    const std::string out = absl::GetFlag(FLAGS_out);
    if (out.empty()) return UsageError("keys generate needs --out FILE");
    struct stat existing;
    if (!absl::GetFlag(FLAGS_force) && stat(out.c_str(), &existing) == 0) {
      return UsageError(out + " exists; a signing key is not overwritten without --force");
    }
    absl::StatusOr<std::string> pem = oauthd::jose::GeneratePrivateKeyPem(*alg);
    if (!pem.ok()) {
      std::fprintf(stderr, "oauthctl: %s\n", std::string(pem.status().message()).c_str());
      return kExitRpcError;
    }
    const mode_t old = umask(077);
    std::ofstream file(out, std::ios::trunc);
    umask(old);
    if (!(file << *pem) || !file.flush()) {
      std::fprintf(stderr, "oauthctl: cannot write %s\n", out.c_str());
      return kExitRpcError;
    }
    auto key = oauthd::jose::SigningKey::FromPem(*pem, out);
    std::printf("wrote %s key to %s (kid %s)\n", absl::GetFlag(FLAGS_alg).c_str(), out.c_str(),
                key.ok() ? key->kid().c_str() : "?");
    return kExitOk;
  }
  if (verb == "jwks") {
    // The public JWKS of local PEM files, as oauthd would publish it.
    std::vector<oauthd::jose::Jwk> jwks;
    for (size_t i = 2; i < args.size(); ++i) {
      auto key = oauthd::jose::SigningKey::FromPemFile(args[i]);
      if (!key.ok()) {
        std::fprintf(stderr, "oauthctl: %s\n", std::string(key.status().message()).c_str());
        return kExitUsage;
      }
      jwks.push_back(key->public_jwk());
    }
    if (jwks.empty()) return RunJwksCommand(args);  // ask the server
    std::printf("%s\n", oauthd::jose::RenderJwks(jwks).c_str());
    return kExitOk;
  }
  if (verb == "status") return KeysStatus();
  return UsageError("keys needs generate|jwks|status");
}

}  // namespace oauthctl
