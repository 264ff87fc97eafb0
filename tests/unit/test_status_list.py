"""The W3C Bitstring Status List encoding: bit order, minimum size, multibase base64url of GZIP, entry shape."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from tracker.certificates import status_list as bsl
from tracker.certificates.encoding import b64url_decode

# Example 3 of the Recommendation: an empty revocation list (131,072 bits, none set).
SPEC_EXAMPLE_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_the_recommendations_example_decodes_to_16kb_of_zeros():
    bits = bsl.decode_list(SPEC_EXAMPLE_ENCODED_LIST)
    assert len(bits) * 8 == bsl.MIN_BITS == 131_072
    assert not any(bits)


def test_an_empty_list_encodes_exactly_as_the_example():
    encoded = bsl.encode_list([], bsl.MIN_BITS)
    assert encoded == SPEC_EXAMPLE_ENCODED_LIST
    assert gzip.decompress(b64url_decode(encoded[1:])) == bytes(16_384)  # plain GZIP under the multibase prefix


def test_index_zero_is_the_left_most_bit():
    bits = bsl.decode_list(bsl.encode_list([0, 9, 131_071], bsl.MIN_BITS))
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000  # index 9: second bit of the second byte
    assert bits[-1] == 0b0000_0001
    assert [i for i in range(bsl.MIN_BITS) if bsl.bit_is_set(bits, i)] == [0, 9, 131_071]


def test_the_list_grows_in_blocks_of_the_minimum_size():
    assert bsl.list_length(0) == bsl.list_length(131_071) == 131_072
    assert bsl.list_length(131_072) == 262_144
    bits = bsl.decode_list(bsl.encode_list([200_000], bsl.list_length(200_000)))
    assert len(bits) * 8 == 262_144 and bsl.bit_is_set(bits, 200_000)


@pytest.mark.parametrize("bad", [-1, 131_072])
def test_indexes_outside_the_list_are_refused(bad):
    with pytest.raises(ValueError):
        bsl.encode_list([bad], bsl.MIN_BITS)


def test_a_list_shorter_than_the_minimum_is_refused():
    with pytest.raises(ValueError):
        bsl.encode_list([], 8 * 1024)


def test_entry_and_list_credential_shapes():
    url = "https://training.example.com/credentials/status/revocation"
    assert bsl.status_entry(url, 42) == {
        "id": f"{url}#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": url,
    }
    credential = bsl.build_list_credential(
        url, "did:web:training.example.com", "uABC", datetime(2026, 5, 1, 8, 0, 30, 999, tzinfo=UTC)
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:web:training.example.com",
        "validFrom": "2026-05-01T08:00:30Z",
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uABC",
        },
    }
