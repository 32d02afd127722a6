"""client_credentials and password grants through oauth-gateway with Python's
requests-oauthlib / oauthlib (Debian packages, unchanged).

Run by harness.mjs, which starts redis-server, oauthd and the gateway and
passes GATEWAY_URL, CLIENT_ID/CLIENT_SECRET (client_secret_basic),
POST_CLIENT_ID/POST_CLIENT_SECRET (client_secret_post), USERNAME and PASSWORD.
"""

import os
import sys
import unittest

import requests
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidScopeError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

# The gateway runs on plain http on loopback in this test.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

GATEWAY = os.environ["GATEWAY_URL"]
TOKEN_URL = GATEWAY + "/token"


class ClientCredentialsTest(unittest.TestCase):
    def test_basic_auth(self):
        client_id = os.environ["CLIENT_ID"]
        session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        token = session.fetch_token(
            TOKEN_URL,
            auth=HTTPBasicAuth(client_id, os.environ["CLIENT_SECRET"]),
            scope=["read"],
        )
        self.assertEqual(token["token_type"], "Bearer")
        self.assertEqual(token["scope"], ["read"])
        self.assertGreater(token["expires_in"], 0)
        self.assertEqual(token["access_token"].count("."), 2)

    def test_secret_in_body(self):
        client_id = os.environ["POST_CLIENT_ID"]
        session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        token = session.fetch_token(
            TOKEN_URL,
            client_id=client_id,
            client_secret=os.environ["POST_CLIENT_SECRET"],
            include_client_id=True,
        )
        self.assertTrue(token["access_token"])

    def test_wrong_secret_is_invalid_client(self):
        client_id = os.environ["CLIENT_ID"]
        session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        with self.assertRaises(InvalidClientError):
            session.fetch_token(TOKEN_URL, auth=HTTPBasicAuth(client_id, "wrong"))

    def test_unknown_scope_is_invalid_scope(self):
        client_id = os.environ["CLIENT_ID"]
        session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
        with self.assertRaises(InvalidScopeError):
            session.fetch_token(
                TOKEN_URL,
                auth=HTTPBasicAuth(client_id, os.environ["CLIENT_SECRET"]),
                scope=["admin"],
            )


class PasswordGrantTest(unittest.TestCase):
    def session(self):
        return OAuth2Session(client=LegacyApplicationClient(client_id=os.environ["CLIENT_ID"]))

    def test_password_then_refresh(self):
        session = self.session()
        auth = HTTPBasicAuth(os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"])
        token = session.fetch_token(
            TOKEN_URL,
            username=os.environ["USERNAME"],
            password=os.environ["PASSWORD"],
            auth=auth,
            scope=["read", "write"],
        )
        self.assertEqual(token["scope"], ["read", "write"])
        self.assertIn("refresh_token", token)
        refreshed = session.refresh_token(TOKEN_URL, auth=auth)
        self.assertTrue(refreshed["access_token"])
        self.assertNotEqual(refreshed["refresh_token"], token["refresh_token"])

        # The gateway's introspection endpoint, with the same client.
        introspection = requests.post(
            GATEWAY + "/introspect",
            data={"token": refreshed["access_token"]},
            auth=auth,
            timeout=10,
        )
        self.assertEqual(introspection.status_code, 200)
        self.assertTrue(introspection.json()["active"])
        self.assertEqual(introspection.json()["username"], os.environ["USERNAME"])

    def test_wrong_password_is_invalid_grant(self):
        with self.assertRaises(InvalidGrantError):
            self.session().fetch_token(
                TOKEN_URL,
                username=os.environ["USERNAME"],
                password="wrong",
                auth=HTTPBasicAuth(os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"]),
            )


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
