"""The sides the ``core`` suite (and ``revocation``'s verify speed) compare.

One 256-bit HS256 key, one policy, ``SystemClock``; tokens are issued before
timing and stay valid for an hour, far longer than a run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final

import jwt
from jwt.types import Options

from authgate.core import (
    ACCESS_TOKEN_TYPE,
    KeyRing,
    MemoryRevocationList,
    SystemClock,
    TokenIssuer,
    TokenPolicy,
    TokenVerifier,
    generate_hmac_key,
)
from benchmarks.harness import Case

__all__ = ["NOTES", "Fixture", "floor_verify"]

ISSUER: Final = "https://auth.bench.example"
AUDIENCE: Final = "bench-api"
# Long enough that tokens issued before timing are still valid when the last
# round verifies them (--rounds is capped accordingly in __main__).
ACCESS_TTL: Final = 3600
LEEWAY: Final = 30
REVOKED_JTIS: Final = 1_000
SUBJECT: Final = "u_8f3a5c"
ROLE: Final = "user"
SESSION_ID: Final = "s_2b9d41"
JTI_BYTES: Final = 16  # what TokenIssuer uses: 128 bits
PYJWT_REQUIRE: Final = ("exp", "iat", "nbf", "iss", "aud", "sub", "jti")

NOTES: Final = (
    "Ratio = median(numerator) / median(denominator); below 1 means the numerator is faster. "
    "All sides run in one process with the same 256-bit HS256 key; each op is one Python call.",
    "issue, authgate: TokenIssuer.issue_access_token(subject, role, session_id) - checks the "
    "subject (non-empty, <= 255 chars, no '@') and extra claims against the policy, reads "
    "SystemClock, draws a 128-bit jti, json.dumps header {alg,kid,typ} and the 9 claims, "
    "HMAC-SHA256 via PyJWT's prepared HMACAlgorithm (key prepared once), returns the token "
    "plus a frozen AccessClaims.",
    "issue, pyjwt: per call builds the same 9-claim dict (iss, aud, sub, iat, nbf, exp, jti "
    "from secrets.token_urlsafe(16), role, sid; time from the same SystemClock) and calls "
    'jwt.encode(claims, key, algorithm="HS256", headers={kid, typ: at+jwt}), which re-runs '
    "prepare_key (PEM/SSH/DER/JWK refusal) and the key-length check on every call.",
    "verify, authgate (full check): size cap (8 KiB), ASCII, exactly 3 "
    "canonical unpadded base64url segments; header a JSON object without duplicate members, "
    "only alg/kid/typ, kid -> key in the ring, alg must equal the key's alg; HMAC-SHA256 with "
    "hmac.compare_digest; typ == at+jwt; payload a JSON object without duplicate members; no "
    "claim outside {iss,aud,sub,exp,nbf,iat,jti,role,sid}; iss/sub/jti/role are bounded "
    "strings, iat/nbf/exp are JSON integers (not float/bool/str) in range; iss == issuer; aud "
    "== audience (or a list of strings containing it); exp/nbf/iat against SystemClock with "
    "30 s leeway; iat <= nbf < exp and exp - iat <= access TTL; jti looked up in a "
    f"MemoryRevocationList of {REVOKED_JTIS:,} entries; builds a frozen AccessClaims.",
    'verify, pyjwt: jwt.decode(token, key, algorithms=["HS256"], audience, issuer, leeway=30, '
    f"options={{require: [{', '.join(PYJWT_REQUIRE)}]}}) - splits on '.', base64url-decodes "
    "the segments (padding tolerated), header a JSON object, kid a string, crit/b64 "
    "handling, alg in the allowlist, prepare_key + key-length check on every call, "
    "HMAC-SHA256 with hmac.compare_digest, payload a JSON object, the 7 required claims "
    "present and not null, iat/nbf/exp int()-convertible and checked against datetime.now() "
    "with 30 s leeway, iss == issuer, aud == audience (or in a list), sub and jti are "
    "strings. It does NOT check typ, the header parameter allowlist, duplicate JSON members, "
    "canonical base64url, token size, unknown claims, role, the exact JSON type of the "
    "times, lifetime consistency or revocation.",
    "verify, stdlib floor: rpartition the token, hmac.new(key, signing_input, "
    "sha256).digest(), base64url-decode the signature, hmac.compare_digest, base64url-decode "
    "the payload, json.loads. No header, claim or time check at all: the least any HS256 "
    "verifier must do.",
)


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def floor_verify(token: str, secret: bytes) -> Any:
    """The stdlib floor: signature check plus payload decoding, nothing else."""
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _b64url_decode(signature)):
        raise ValueError("signature does not verify")
    return json.loads(_b64url_decode(signing_input.partition(".")[2]))


@dataclass(frozen=True, slots=True)
class Fixture:
    """Key, issuer, a default verifier and the pre-issued distinct tokens."""

    secret: bytes
    kid: str
    clock: SystemClock
    issuer: TokenIssuer
    verifier: TokenVerifier
    revocations: MemoryRevocationList
    tokens: tuple[str, ...]

    @classmethod
    def create(cls, ops: int, revoked: int = REVOKED_JTIS) -> Fixture:
        clock = SystemClock()
        key = generate_hmac_key("bench-hs256", created_at=clock.now())
        if not isinstance(key.material, bytes):  # narrows the type; HS256 keys hold bytes
            raise TypeError("an HS256 key holds its secret as bytes")
        ring = KeyRing((key,))
        policy = TokenPolicy(issuer=ISSUER, audience=AUDIENCE, access_ttl=ACCESS_TTL, leeway=LEEWAY)
        revocations = MemoryRevocationList(clock, leeway=LEEWAY)
        for _ in range(revoked):
            revocations.revoke(secrets.token_urlsafe(JTI_BYTES), clock.now() + ACCESS_TTL)
        issuer = TokenIssuer(ring, policy, clock)
        tokens = tuple(
            issuer.issue_access_token(
                subject=f"u_{n:08x}", role=ROLE, session_id=f"s_{n:08x}"
            ).token
            for n in range(ops)
        )
        verifier = TokenVerifier(ring, policy, clock, revocations)
        return cls(key.material, key.kid, clock, issuer, verifier, revocations, tokens)

    def verifier_with(
        self, revocations: MemoryRevocationList | None, *, cache_size: int
    ) -> TokenVerifier:
        """A verifier on the same ring and policy."""
        return TokenVerifier(
            self.verifier.keyring,
            self.verifier.policy,
            self.clock,
            revocations,
            cache_size=cache_size,
        )

    def pyjwt_issue(self) -> str:
        """The same call the timed loop makes, for :meth:`check`."""
        now = int(self.clock.now())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": SUBJECT,
            "iat": now,
            "nbf": now,
            "exp": now + ACCESS_TTL,
            "jti": secrets.token_urlsafe(JTI_BYTES),
            "role": ROLE,
            "sid": SESSION_ID,
        }
        headers = {"kid": self.kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(claims, self.secret, algorithm="HS256", headers=headers)

    @staticmethod
    def pyjwt_options() -> Options:
        return {"require": list(PYJWT_REQUIRE)}

    def pyjwt_decode(self, token: str) -> dict[str, Any]:
        """The same call the timed loop makes, for :meth:`check`."""
        return jwt.decode(
            token,
            self.secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY,
            options=self.pyjwt_options(),
        )

    def check(self) -> None:
        """Every side accepts the same tokens and the issuers are interchangeable.

        Not a speed assertion: a side that raised would time its error path.
        """
        token = self.tokens[0]
        ours = self.verifier_with(self.revocations, cache_size=0).verify_access_token(token)
        theirs = self.pyjwt_decode(token)
        floor = floor_verify(token, self.secret)
        if not ours.jti == theirs["jti"] == floor["jti"]:
            raise RuntimeError("the three verifiers disagree about the same token")
        from_pyjwt = self.pyjwt_issue()
        from_authgate = self.issuer.issue_access_token(
            subject=SUBJECT, role=ROLE, session_id=SESSION_ID
        ).token
        if jwt.get_unverified_header(from_pyjwt) != jwt.get_unverified_header(from_authgate):
            raise RuntimeError("authgate and PyJWT tokens carry different headers")
        self.verifier.verify_access_token(from_pyjwt)
        self.pyjwt_decode(from_authgate)

    # Each body binds what it calls to locals and makes exactly one library call per op,
    # so every side pays the same loop cost.

    def issue_cases(self, ops: int) -> tuple[Case, Case]:
        issue = self.issuer.issue_access_token
        encode, now, token_urlsafe = jwt.encode, self.clock.now, secrets.token_urlsafe
        secret, headers = self.secret, {"kid": self.kid, "typ": ACCESS_TOKEN_TYPE}

        def authgate() -> None:
            for _ in repeat(None, ops):
                issue(subject=SUBJECT, role=ROLE, session_id=SESSION_ID)

        def pyjwt() -> None:
            for _ in repeat(None, ops):
                iat = int(now())
                claims = {
                    "iss": ISSUER,
                    "aud": AUDIENCE,
                    "sub": SUBJECT,
                    "iat": iat,
                    "nbf": iat,
                    "exp": iat + ACCESS_TTL,
                    "jti": token_urlsafe(JTI_BYTES),
                    "role": ROLE,
                    "sid": SESSION_ID,
                }
                encode(claims, secret, algorithm="HS256", headers=headers)

        return (
            Case("issue_authgate", "issue: authgate issue_access_token [2]", authgate),
            Case("issue_pyjwt", "issue: pyjwt encode [3]", pyjwt),
        )

    def verify_body(self, verifier: TokenVerifier) -> Callable[[], None]:
        """``verifier.verify_access_token`` over every pre-issued token."""
        verify, tokens = verifier.verify_access_token, self.tokens

        def body() -> None:
            for token in tokens:
                verify(token)

        return body

    def decode_body(self) -> Callable[[], None]:
        decode, secret, tokens = jwt.decode, self.secret, self.tokens
        algorithms, options = ["HS256"], self.pyjwt_options()

        def body() -> None:
            for token in tokens:
                decode(
                    token,
                    secret,
                    algorithms=algorithms,
                    audience=AUDIENCE,
                    issuer=ISSUER,
                    leeway=LEEWAY,
                    options=options,
                )

        return body

    def floor_body(self) -> Callable[[], None]:
        secret, tokens = self.secret, self.tokens

        def body() -> None:
            for token in tokens:
                floor_verify(token, secret)

        return body
