"""Speaker turns of a mono recording, told apart by voice: which words each of two speakers said.

A telephone interview has two parties. On a mono recording Whisper gives words and segments but
not who spoke; this module tells the two voices apart the way diarization was done before neural
speaker embeddings (LIUM's BIC clustering, then Viterbi resegmentation):

1. Cepstra (the DCT of Whisper's own log-mel features) for every 10 ms of the recording.
2. Each Whisper segment of at least half a second is a cluster, modelled by one full-covariance
   Gaussian; the two clusters whose merge costs least by the Bayesian information criterion are
   merged until two are left: one voice each. Greedy merging cannot undo an early wrong merge,
   so the two Gaussians are then re-estimated and each segment given to the one it fits better,
   until no segment moves.
3. Every speech frame is given to one of the two Gaussians by a Viterbi pass with a cost for
   changing speaker, so a change of speaker inside a Whisper segment is found; each word takes
   its frames' majority. A run of words inside a segment that disagrees with the segment's own
   voice counts only if it lasts :data:`MIN_RUN` seconds (a short run is more often noise).

The first speaker heard is 0. Which of them is the interviewer is left to the segmentation
stage, which reads what each says. No model is needed, so nothing is downloaded. Only numpy and
faster-whisper's feature extractor are used; this module touches no database.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

HOP = 0.01              # seconds per frame of Whisper's features
N_CEPSTRA = 13          # cepstra 1..13 (c0, the loudness, says little about who speaks)
BIC_PENALTY = 1.0       # the lambda of delta-BIC; 1 is the textbook value
MIN_FRAMES = 50         # a segment under 0.5 s does not seed a cluster (too few frames)
SWITCH_COST = 50.0      # log-likelihood a change of speaker must earn in resegmentation
MIN_RUN = 2.0           # seconds: a shorter disagreeing run inside a segment keeps its voice
MIN_SHARE = 0.05        # each voice must hold this share of the clustered frames
MAX_PASSES = 20         # re-estimation passes after merging (a few are usually enough)
REG = 1e-3              # added to covariance diagonals (cepstra are standardised)
CHUNK_FRAMES = 60_000   # features are computed ten minutes at a time

SETTINGS = {"method": "bic-reassign-viterbi", "cepstra": N_CEPSTRA, "bic_penalty": BIC_PENALTY,
            "reassign_passes": MAX_PASSES, "switch_cost": SWITCH_COST, "min_run": MIN_RUN}
"""Echoed into the transcript's options for provenance."""

_features = FeatureExtractor()


def cepstra(samples: np.ndarray) -> np.ndarray:
    """(frames, N_CEPSTRA): standardised cepstra of 16 kHz audio, one row per 10 ms."""
    # ten minutes at a time: the spectrogram of an hour at once would take over a gigabyte
    step = CHUNK_FRAMES * _features.hop_length
    mel = np.concatenate([_features(samples[i:i + step], padding=0).T
                          for i in range(0, max(len(samples), 1), step)])  # (frames, 80) log mel
    k = np.arange(mel.shape[1])
    dct = np.cos(np.pi / mel.shape[1] * (k[None, :] + 0.5) * np.arange(1, N_CEPSTRA + 1)[:, None])
    c = mel @ dct.T
    return (c - c.mean(axis=0)) / (c.std(axis=0) + 1e-9)


def _frames(start: float, end: float, total: int) -> np.ndarray:
    a = min(int(start / HOP), total - 1)
    return np.arange(a, min(max(int(end / HOP), a + 1), total))


class _Stats:
    """Sufficient statistics of Gaussians: merging two is adding, no frames are kept."""

    def __init__(self, n: np.ndarray, s: np.ndarray, ss: np.ndarray):
        self.n, self.s, self.ss = n, s, ss

    def logdet(self, idx=slice(None)) -> np.ndarray:
        n = self.n[idx][:, None, None]
        mu = self.s[idx] / n[:, :, 0]
        cov = self.ss[idx] / n - mu[:, :, None] * mu[:, None, :]
        return np.linalg.slogdet(cov + REG * np.eye(cov.shape[-1]))[1]


def _delta_bic(n_a, n_b, ld_a, ld_b, ld_ab, dim: int) -> np.ndarray:
    params = dim + dim * (dim + 1) / 2
    n = n_a + n_b
    glr = 0.5 * (n * ld_ab - n_a * ld_a - n_b * ld_b)
    return glr - BIC_PENALTY * 0.5 * params * np.log(n)


def _two_clusters(feats: list[np.ndarray]) -> list[list[int]]:
    """Agglomerate the segments' Gaussians down to two clusters (lists of segment indices)."""
    dim = feats[0].shape[1]
    st = _Stats(np.array([len(f) for f in feats], float),
                np.stack([f.sum(axis=0) for f in feats]),
                np.stack([f.T @ f for f in feats]))
    members = [[i] for i in range(len(feats))]
    alive = np.ones(len(feats), bool)
    ld = st.logdet()
    cost = np.full((len(feats), len(feats)), np.inf)

    def row(a: int) -> None:
        others = np.flatnonzero(alive)
        others = others[others != a]
        merged = _Stats(st.n[a] + st.n[others], st.s[a] + st.s[others], st.ss[a] + st.ss[others])
        c = _delta_bic(st.n[a], st.n[others], ld[a], ld[others], merged.logdet(), dim)
        cost[a, :] = np.inf
        cost[:, a] = np.inf
        cost[a, others] = c
        cost[others, a] = c

    for a in range(len(feats)):
        row(a)
    while alive.sum() > 2:
        a, b = np.unravel_index(np.argmin(cost), cost.shape)
        st.n[a] += st.n[b]
        st.s[a] += st.s[b]
        st.ss[a] += st.ss[b]
        ld[a] = st.logdet([a])[0]
        members[a] += members[b]
        alive[b] = False
        cost[b, :] = np.inf
        cost[:, b] = np.inf
        row(a)
    return [members[i] for i in np.flatnonzero(alive)]


def _reassign(feats: list[np.ndarray], clusters: list[list[int]]) -> list[list[int]]:
    """Re-estimate the two clusters' Gaussians and give each segment to the one it fits better,
    until no segment moves (or :data:`MAX_PASSES`); a voice left with nothing stops it.
    """
    assign = np.zeros(len(feats), int)
    assign[clusters[1]] = 1
    for _ in range(MAX_PASSES):
        models = [_gaussian(np.concatenate([feats[i] for i in np.flatnonzero(assign == k)]))
                  for k in (0, 1)]
        new = np.array(_better_fit(feats, models))
        if (new == assign).all():
            break
        assign = new
        if assign.min() == assign.max():
            break
    return [np.flatnonzero(assign == k).tolist() for k in (0, 1)]


def _gaussian(frames: np.ndarray):
    mu = frames.mean(axis=0)
    cov = np.cov(frames, rowvar=False, bias=True) + REG * np.eye(frames.shape[1])
    return mu, np.linalg.inv(cov), np.linalg.slogdet(cov)[1]


def _loglik(frames: np.ndarray, model) -> np.ndarray:
    mu, inv, logdet = model
    d = frames - mu
    return -0.5 * (np.einsum("ij,jk,ik->i", d, inv, d) + logdet)


def _better_fit(feats: list[np.ndarray], models) -> list[int]:
    """For each block of frames, the model (0 or 1) it fits better on average."""
    return [int(np.argmax([_loglik(f, m).mean() for m in models])) for f in feats]


def _viterbi(ll: np.ndarray) -> np.ndarray:
    """Best two-state path through (frames, 2) log-likelihoods with a cost per change."""
    l0, l1 = ll[:, 0].tolist(), ll[:, 1].tolist()       # plain floats: this loop is hot
    back0, back1 = [0] * len(l0), [1] * len(l0)
    d0, d1 = l0[0], l1[0]
    for t in range(1, len(l0)):
        from1, from0 = d1 - SWITCH_COST, d0 - SWITCH_COST
        if from1 > d0:
            back0[t] = 1
        if from0 > d1:
            back1[t] = 0
        d0, d1 = max(d0, from1) + l0[t], max(d1, from0) + l1[t]
    path = [0] * len(l0)
    path[-1] = 0 if d0 >= d1 else 1
    for t in range(len(l0) - 1, 0, -1):
        path[t - 1] = back1[t] if path[t] else back0[t]
    return np.asarray(path, np.int8)


def two_speakers(samples: np.ndarray,
                 segments: Sequence[Sequence[tuple[float, float]]]) -> list[list[int]] | None:
    """Speaker 0 or 1 for each word, in the shape of ``segments`` (Whisper's segments, each a list
    of word ``(start, end)`` in seconds); 0 is whoever speaks first. ``None`` where two voices
    cannot be had: fewer than two segments of half a second, or one voice with almost nothing.
    """
    if not all(segments):
        raise ValueError("every segment needs at least one word")
    if len(segments) < 2:
        return None
    c = cepstra(samples)
    spans = [_frames(seg[0][0], seg[-1][1], len(c)) for seg in segments]
    seeds = [i for i, f in enumerate(spans) if len(f) >= MIN_FRAMES]
    if len(seeds) < 2:
        return None
    feats = [c[spans[i]] for i in seeds]
    clusters = _reassign(feats, _two_clusters(feats))
    sizes = [sum(len(feats[i]) for i in members) for members in clusters]
    if min(sizes) < MIN_SHARE * sum(sizes):
        return None
    models = [_gaussian(np.concatenate([feats[i] for i in m])) for m in clusters]

    voice = _better_fit([c[f] for f in spans], models)  # each segment's own voice
    # resegment the word frames
    words = [(a, b) for seg in segments for a, b in seg]
    idx = np.unique(np.concatenate([_frames(a, b, len(c)) for a, b in words]))
    ll = np.stack([_loglik(c[idx], m) for m in models], axis=1)
    path = _viterbi(ll)
    where = np.full(len(c), -1)
    where[idx] = np.arange(len(idx))
    labels = []
    for seg, own in zip(segments, voice, strict=True):
        lab = []
        for a, b in seg:
            f = where[_frames(a, b, len(c))]
            lab.append(int(path[f[f >= 0]].mean() >= 0.5) if (f >= 0).any() else own)
        labels.append(_keep_short_runs(seg, lab, own))
    first = labels[0][0]
    return [[lab ^ first for lab in seg] for seg in labels]


def _keep_short_runs(seg, lab: list[int], own: int) -> list[int]:
    """Give back to the segment's voice each disagreeing run of words shorter than MIN_RUN."""
    out = list(lab)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j] == out[i]:
            j += 1
        if out[i] != own and seg[j - 1][1] - seg[i][0] < MIN_RUN:
            out[i:j] = [own] * (j - i)
        i = j
    return out
