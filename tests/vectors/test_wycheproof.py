"""Project Wycheproof JWS vectors against authgate's signature layer.

Every case of the groups whose key authgate can hold (HS256, ES256, EdDSA —
this file has no EdDSA group) runs through ``jws.verify``: ``invalid`` cases
must be refused and ``valid`` ones must verify, except for the deviations
listed (and justified) in :data:`DEVIATIONS`.  Groups for algorithms authgate
does not implement (RS*, PS*, and P-521 keys labelled "ES521" in the
vectors) are checked to be unloadable.

The vectors are Apache-2.0 (see ``wycheproof/LICENSE`` and ``README.md``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Final

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from authgate.core import (
    BadSignatureError,
    Key,
    KeyRing,
    KeyringError,
    KeyState,
    MalformedTokenError,
    TokenError,
    jws,
)

DATA: Final[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "wycheproof" / "json_web_signature_test.json").read_text("utf-8")
)
SUPPORTED: Final = frozenset({"HS256", "ES256", "EdDSA"})

# Where authgate's answer differs from the vector's ``result``, and why.
DEVIATIONS: Final[dict[int, tuple[str, str]]] = {
    367: (
        "valid",
        "'invalidBase64Padding': the stored jws is byte-identical to tcId 357 (valid); "
        "the '=' padding it is named after is missing upstream, so no verifier can "
        "refuse it while accepting 357 (the padded form is tested separately)",
    ),
    370: (
        "valid",
        "'invalidBase64PaddingInPayload': byte-identical to tcId 357, as for 367",
    ),
    372: (
        "malformed",
        "'?' inserted in the header: Wycheproof allows decoders to skip it; authgate "
        "reads only canonical base64url, so any foreign character is malformed",
    ),
    373: (
        "malformed",
        "'?' inserted in the payload: refused as non-canonical base64url, as for 372",
    ),
}

# HS256: 17 + 1 + 1 + 21 = 40; ES256: 15 + 24 = 39; EC keys without alg: 2.
EXPECTED_CASES: Final = 81
EXPECTED_UNSUPPORTED_GROUPS: Final = 15


def _jwk(group: dict[str, Any]) -> dict[str, Any]:
    private: dict[str, Any] = group["private"]
    return private


def _covered(group: dict[str, Any]) -> bool:
    jwk = _jwk(group)
    return jwk.get("alg") in SUPPORTED or ("alg" not in jwk and jwk["kty"] == "EC")


def _cases() -> list[Any]:
    cases = []
    for group in DATA["testGroups"]:
        if not _covered(group):
            continue
        for case in group["tests"]:
            case_id = f"tc{case['tcId']}-{case['comment']}"
            cases.append(pytest.param(group, case, id=case_id))
    return cases


CASES: Final = _cases()
UNSUPPORTED: Final = [
    (index, group) for index, group in enumerate(DATA["testGroups"]) if not _covered(group)
]
UNSUPPORTED_GROUPS: Final = [
    pytest.param(group, id=f"group{index}-{group['comment']}-{_jwk(group).get('alg', 'no-alg')}")
    for index, group in UNSUPPORTED
]


class NotASigningKeyError(Exception):
    """A JWK that authgate's configuration would never load as a signing key."""


def as_any(value: object) -> Any:
    """Hand a deliberately ill-typed value to a typed API."""
    return value


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _material(jwk: dict[str, Any]) -> Any:
    if jwk["kty"] == "oct":
        return _b64url_decode(jwk["k"])
    if jwk["kty"] == "EC":
        return ECAlgorithm.from_jwk(json.dumps(jwk))
    return RSAAlgorithm.from_jwk(json.dumps(jwk))


def key_from_jwk(jwk: dict[str, Any], *, state: KeyState = KeyState.ACTIVE) -> Key:
    """Build an authgate key from a JWK the way a loader must: only signature
    keys (``use: sig`` or ``key_ops`` with verify), algorithm from the JWK."""
    if jwk.get("use", "sig") != "sig" or (
        "key_ops" in jwk and not {"sign", "verify"} & set(jwk["key_ops"])
    ):
        raise NotASigningKeyError(jwk.get("use") or jwk.get("key_ops"))
    return Key(kid=jwk["kid"], alg=as_any(jwk.get("alg")), material=_material(jwk), state=state)


def _rings(group: dict[str, Any]) -> list[KeyRing]:
    """The private key as the active key, plus (for EC) its public half alone
    as a verify-only key — the usual shape on a resource server."""
    key = key_from_jwk(_jwk(group))
    rings = [KeyRing((key,), SUPPORTED)]
    if group.get("public"):
        public = key_from_jwk(group["public"], state=KeyState.VERIFY_ONLY)
        signer = Key(kid="kid-authgate-active", alg="HS256", material=bytes(range(32)))
        rings.append(KeyRing((signer, public), SUPPORTED))
    return rings


def test_the_parametrization_has_every_expected_case() -> None:
    """A silently empty or shrunken parametrization fails here: 81 cases run,
    15 groups are checked as unsupported, and together they cover all 401."""
    assert len(CASES) == EXPECTED_CASES
    assert len(UNSUPPORTED_GROUPS) == EXPECTED_UNSUPPORTED_GROUPS
    unsupported_tests = sum(len(group["tests"]) for _, group in UNSUPPORTED)
    assert len(CASES) + unsupported_tests == DATA["numberOfTests"] == 401


def test_deviations_are_the_cases_they_claim_to_be() -> None:
    """Each listed deviation exists and still has the upstream result it
    deviates from; 367 and 370 really are tcId 357 verbatim."""
    by_id = {case["tcId"]: case for group in DATA["testGroups"] for case in group["tests"]}
    assert {tc: by_id[tc]["result"] for tc in DEVIATIONS} == {
        367: "invalid",
        370: "invalid",
        372: "valid",
        373: "valid",
    }
    assert by_id[357]["result"] == "valid"
    assert by_id[367]["jws"] == by_id[370]["jws"] == by_id[357]["jws"]
    assert "?" in by_id[372]["jws"]
    assert "?" in by_id[373]["jws"]


@pytest.mark.parametrize(("group", "case"), CASES)
def test_wycheproof_case(group: dict[str, Any], case: dict[str, Any]) -> None:
    """``invalid`` is refused, ``valid`` verifies (payload = the signed bytes),
    JSON serialisation is refused, and deviations behave as documented."""
    jwk = _jwk(group)
    if "alg" not in jwk:
        # rejectWrongUse / rejectWrongKeyOps: an encryption key never becomes a
        # signing key, and without "alg" authgate could not pick an algorithm.
        assert case["result"] == "invalid"
        with pytest.raises(NotASigningKeyError):
            key_from_jwk(jwk)
        with pytest.raises(KeyringError):
            Key(kid=jwk["kid"], alg=as_any(jwk.get("alg")), material=_material(jwk))
        return
    expected = DEVIATIONS.get(case["tcId"], (case["result"], ""))[0]
    assert expected in {"valid", "invalid", "malformed"}
    token = case["jws"]
    for ring in _rings(group):
        if "JsonSerialization" in case["flags"]:
            with pytest.raises(MalformedTokenError):
                jws.verify(token, ring)
        elif expected == "valid":
            verified = jws.verify(token, ring)
            assert verified.payload == _b64url_decode(token.split(".")[1])
            assert verified.key.kid == jwk["kid"]
        elif expected == "malformed":
            with pytest.raises(MalformedTokenError):
                jws.verify(token, ring)
        else:
            with pytest.raises(TokenError):
                jws.verify(token, ring)


def test_padded_forms_that_367_and_370_were_meant_to_be_are_refused() -> None:
    """The cases 367/370 describe — '=' padding on the MAC or the payload — are
    refused as malformed."""
    group = next(g for g in DATA["testGroups"] if any(c["tcId"] == 357 for c in g["tests"]))
    (ring,) = _rings(group)
    valid = next(c["jws"] for c in group["tests"] if c["tcId"] == 357)
    header, payload, mac = valid.split(".")
    assert jws.verify(valid, ring).payload == b"Test"
    for padded in (f"{valid}=", f"{header}.{payload}==.{mac}", f"{header}=.{payload}.{mac}"):
        with pytest.raises(MalformedTokenError):
            jws.verify(padded, ring)


@pytest.mark.parametrize("group", UNSUPPORTED_GROUPS)
def test_unsupported_algorithms_cannot_even_be_loaded(group: dict[str, Any]) -> None:
    """RSA (RS*/PS*) and P-521 ("ES521") keys cannot become authgate keys: not
    under their own algorithm, not as ES256, not as an HMAC secret."""
    jwk = _jwk(group)
    material = _material(jwk)
    with pytest.raises(KeyringError):
        Key(kid="kid-test", alg=as_any(jwk.get("alg")), material=material)
    with pytest.raises(KeyringError):
        Key(kid="kid-test", alg="ES256", material=material)
    with pytest.raises(KeyringError):
        Key(kid="kid-test", alg="EdDSA", material=material)
    if isinstance(material, ec.EllipticCurvePrivateKey):
        assert not isinstance(material.curve, ec.SECP256R1)


def test_json_serialisation_is_refused_as_object_or_text() -> None:
    """Only the compact serialisation is read: the general and flattened JSON
    serialisations (RFC 7515 §7.2) of the valid tcId 1 are refused, whether
    passed as text or as an already-parsed object."""
    group = next(g for g in DATA["testGroups"] if any(c["tcId"] == 1 for c in g["tests"]))
    (ring,) = _rings(group)
    valid = next(c["jws"] for c in group["tests"] if c["tcId"] == 1)
    assert jws.verify(valid, ring).payload == b"foo"
    header, payload, signature = valid.split(".")
    flattened = {"payload": payload, "protected": header, "signature": signature}
    general = {"payload": payload, "signatures": [{"protected": header, "signature": signature}]}
    for document in (flattened, general):
        for form in (document, json.dumps(document)):
            with pytest.raises(MalformedTokenError):
                jws.verify(as_any(form), ring)


def test_hs256_token_keyed_with_the_ec_vector_key_is_a_bad_signature() -> None:
    """tcId 31 (an HS256 MAC keyed with the ES256 key's bytes under the EC kid)
    is refused specifically because the kid's key means ES256."""
    group = next(g for g in DATA["testGroups"] if any(c["tcId"] == 31 for c in g["tests"]))
    case = next(c for c in group["tests"] if c["tcId"] == 31)
    for ring in _rings(group):
        assert ring.verification_key("kid-ec-sign").alg == "ES256"
        with pytest.raises(BadSignatureError):
            jws.verify(case["jws"], ring)
