#ifndef OAUTHD_CLIENT_OAUTHCTL_OUTPUT_H_
#define OAUTHD_CLIENT_OAUTHCTL_OUTPUT_H_

// Human-readable output of oauthctl (the default; --json prints the messages
// as JSON instead): aligned "label: value" blocks for one record, tables for
// lists, times as UTC dates with a relative hint.

#include <string>

#include "oauth/admin/v1/admin.pb.h"
#include "oauth/v1/token.pb.h"

namespace oauthctl {

// `secret`, when not empty, is a client secret just generated (create,
// rotate-secret): printed once with a reminder to store it.
void PrintClient(const oauth::admin::v1::Client& client, const std::string& secret = "");
void PrintClients(const oauth::admin::v1::ListClientsResponse& response);
void PrintUser(const oauth::admin::v1::User& user);
void PrintUsers(const oauth::admin::v1::ListUsersResponse& response);
void PrintGrants(const oauth::admin::v1::ListUserGrantsResponse& response);
void PrintToken(const oauth::v1::TokenResponse& response);
void PrintIntrospection(const oauth::v1::IntrospectResponse& response);
void PrintJwks(const oauth::v1::GetJwksResponse& response);

}  // namespace oauthctl

#endif  // OAUTHD_CLIENT_OAUTHCTL_OUTPUT_H_
