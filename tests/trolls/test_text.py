from __future__ import annotations

import random
import zlib
from datetime import timedelta

import numpy as np
from datasketch import MinHash

from tests.trolls.helpers import T0, comment, sentence
from townhall.trolls import CoordinationIndex, jaccard, minhash
from townhall.trolls.text import NUM_PERM, SEED, TextFingerprinter, band_keys, shingles

TEXT = "The council approved the harbour budget after months of delay, and the ferry operators are furious about it"


def test_signature_is_a_datasketch_minhash() -> None:
    sig = TextFingerprinter().signature(TEXT)
    assert sig is not None
    ref = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, scheme="affine32")
    ref.update_batch(shingles(TEXT))
    assert np.array_equal(sig, ref.hashvalues.astype(np.uint32))
    assert jaccard(minhash(TEXT), minhash(TEXT)) == 1.0


def test_signatures_from_several_threads_at_once_are_each_texts_own() -> None:
    """The service works signatures out on request threads, outside the index's lock."""
    from concurrent.futures import ThreadPoolExecutor

    fp = TextFingerprinter()
    rng = random.Random(3)
    texts = [sentence(rng, 20) for _ in range(400)]
    alone = [fp.signature(t) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(fp.signature, texts))
    assert all(a is not None and np.array_equal(a, b) for a, b in zip(alone, together))


def test_an_index_given_the_signature_is_the_index_that_worked_it_out() -> None:
    rng = random.Random(4)
    events = [comment(i, f"a{i % 7}", f"t{i % 3}", i * 0.5, sentence(rng, 15)) for i in range(60)]
    events.append(comment(60, "a0", "t0", 31, "too short"))
    for j in range(6):  # six accounts posting one script on five threads within a minute: a cluster
        script = sentence(random.Random(j), 15)
        events += [comment(100 + 10 * j + k, f"b{k}", f"s{j}", 40 + j + k / 10, script) for k in range(6)]
    plain, given = CoordinationIndex(), CoordinationIndex()
    for e in events:
        plain.add(e)
        given.add(e, given.signature(e.text))
    assert given.signature("too short") is None
    report = given.analyse(T0 + timedelta(hours=2))
    assert report.clusters and plain.analyse(T0 + timedelta(hours=2)) == report


def test_light_edit_is_near_duplicate_and_other_text_is_not() -> None:
    edited = "Read this: the council approved the harbour budget after months of delay and ferry operators are furious"
    other = "My grandmother grew tomatoes on the balcony every summer and the neighbours loved the smell of basil"
    assert jaccard(minhash(TEXT), minhash(edited)) >= 0.6
    assert jaccard(minhash(TEXT), minhash(other)) < 0.2


def test_short_generic_text_is_not_fingerprinted() -> None:
    assert TextFingerprinter().signature("I agree!") is None
    assert TextFingerprinter().signature("Well said, thank you") is None


def test_identical_texts_share_every_band_key() -> None:
    fp = TextFingerprinter()
    a, b = fp.signature(TEXT), fp.signature(TEXT.upper())
    assert a is not None and b is not None
    keys = band_keys(np.stack([a, b]))
    assert (keys[0] == keys[1]).all()


def test_near_duplicate_accounts_finds_the_writer() -> None:
    rng = random.Random(3)
    index = CoordinationIndex()
    index.add(comment(0, "banned", "t1", 0, TEXT))
    for i in range(1, 50):
        index.add(comment(i, f"reader{i}", "t1", i, sentence(rng)))
    found = index.near_duplicate_accounts("Exactly. The council approved the harbour budget after months of delay, ferry operators are furious")
    assert set(found) == {"banned"}
    assert found["banned"] >= 0.5
    assert index.near_duplicate_accounts("ok") == {}
    assert T0.tzinfo is not None
