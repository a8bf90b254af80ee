"""Clustering and pair-classification metrics, computed exactly as ``../shared/data/README.md`` defines them.

With n_ij the number of documents of gold cluster i in predicted cluster j and N documents:
BCubed P = (1/N) Σ n_ij²/n_·j, R = (1/N) Σ n_ij²/n_i·; pairwise P = Σ C(n_ij,2)/Σ_j C(n_·j,2),
R = Σ C(n_ij,2)/Σ_i C(n_i·,2). ARI and AMI come from scikit-learn.

>>> m = cluster_scores(["a", "a", "b"], ["x", "x", "x"])
>>> round(m["bcubed_p"], 4), m["bcubed_r"], m["pairwise_r"]
(0.5556, 1.0, 1.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, roc_auc_score


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def cluster_scores(gold: Sequence[Hashable], predicted: Sequence[Hashable], *,
                   chance_adjusted: bool = True) -> dict[str, float]:
    """BCubed, pairwise, ARI, AMI and cluster counts for two labelings of the same documents.

    ``chance_adjusted=False`` leaves out ARI and AMI: AMI's expected mutual information grows with the product
    of the cluster counts (hours for a million articles in 100k events), the rest is linear.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} labels, predicted {len(predicted)}")
    n = len(gold)
    if n == 0:
        raise ValueError("no documents to score")
    joint = Counter(zip(gold, predicted, strict=True))
    gold_sizes = Counter(gold)
    pred_sizes = Counter(predicted)
    bcubed_p = sum(c * c / pred_sizes[j] for (_, j), c in joint.items()) / n
    bcubed_r = sum(c * c / gold_sizes[i] for (i, _), c in joint.items()) / n
    same = sum(_pairs(c) for c in joint.values())
    pred_pairs = sum(_pairs(c) for c in pred_sizes.values())
    gold_pairs = sum(_pairs(c) for c in gold_sizes.values())
    pairwise_p = same / pred_pairs if pred_pairs else 1.0
    pairwise_r = same / gold_pairs if gold_pairs else 1.0
    out = {
        "bcubed_p": bcubed_p,
        "bcubed_r": bcubed_r,
        "bcubed_f1": _f1(bcubed_p, bcubed_r),
        "pairwise_p": pairwise_p,
        "pairwise_r": pairwise_r,
        "pairwise_f1": _f1(pairwise_p, pairwise_r),
    }
    if chance_adjusted:
        gold_codes, pred_codes = _codes(gold), _codes(predicted)
        out["ari"] = float(adjusted_rand_score(gold_codes, pred_codes))
        out["ami"] = float(adjusted_mutual_info_score(gold_codes, pred_codes))
    out.update(n_pred=len(pred_sizes), n_gold=len(gold_sizes))
    return out


def pair_scores(gold: Sequence[bool], predicted: Sequence[bool], scores: Sequence[float]) -> dict[str, float]:
    """Positive-class precision/recall/F1 of "same event" decisions, and ROC-AUC of the raw score."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    auc = float(roc_auc_score(list(gold), list(scores))) if 0 < sum(gold) < len(gold) else float("nan")
    return {"p": precision, "r": recall, "f1": _f1(precision, recall), "roc_auc": auc, "n_pairs": len(gold),
            "n_positive": sum(1 for g in gold if g)}


def _codes(labels: Sequence[Hashable]) -> list[int]:
    """Labels as small ints in order of first appearance (sklearn wants comparable values)."""
    seen: dict[Hashable, int] = {}
    return [seen.setdefault(label, len(seen)) for label in labels]
