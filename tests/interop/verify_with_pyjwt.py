#!/usr/bin/python3
"""Verifies an oauthd access token with PyJWT, an independent JOSE stack.

usage: verify_with_pyjwt.py JWKS_JSON_FILE TOKEN_FILE ISSUER AUDIENCE

Exits 0 when PyJWT accepts the token against the published JWKS (signature,
iss, aud, exp, typ at+jwt) and rejects a tampered copy; prints why otherwise.
"""
import json
import sys

import jwt


def main() -> int:
    jwks_path, token_path, issuer, audience = sys.argv[1:5]
    with open(jwks_path) as f:
        jwks = jwt.PyJWKSet.from_dict(json.load(f))
    with open(token_path) as f:
        token = f.read().strip()

    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt":
        print(f"typ is {header.get('typ')!r}, want 'at+jwt'")
        return 1
    matches = [k for k in jwks.keys if k.key_id == header.get("kid")]
    if len(matches) != 1:
        print(f"kid {header.get('kid')!r} not found once in the JWKS")
        return 1
    key = matches[0]
    claims = jwt.decode(token, key.key, algorithms=[header["alg"]],
                        issuer=issuer, audience=audience,
                        options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]})
    for claim in ("client_id", "scope"):
        if claim not in claims:
            print(f"claim {claim} missing")
            return 1

    head, payload, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    try:
        jwt.decode(f"{head}.{payload}.{flipped}", key.key, algorithms=[header["alg"]],
                   issuer=issuer, audience=audience)
    except jwt.InvalidSignatureError:
        pass
    else:
        print("a tampered signature was accepted")
        return 1
    print(f"PyJWT {jwt.__version__} verified {header['alg']} token, kid {key.key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
