#!/usr/bin/env python3
"""High-precision reference for the sBG scores (Fader & Hardie 2007, 2010).

The table of test/pgtap/sbg.sql holds, over a grid of parameters (the two
published fits, alpha and beta tiny, huge, at 1, far apart) and of periods
and discount rates, the scores computed here with mpmath at 50 digits from
the papers' closed forms, which clv does not use for the discounted sums:

    survival  S(t) = B(alpha, beta + t) / B(alpha, beta)
    retention r(t) = S(t) / S(t - 1)
    del       2F1(1, beta; alpha + beta; 1 / (1 + d))                        (2010, eq. 4)
    derl      B(alpha, beta + k + 1) / B(alpha, beta + k)
              * 2F1(1, beta + k + 1; alpha + beta + k + 1; 1 / (1 + d))      (2010, eq. 6,
                                                                             k = n - 1 renewals)

Rows are (kind, alpha, beta, t, discount rate, value), t being the periods,
the period or the renewals, and the value text: some are beyond numeric's
range.

  sbg_reference.py          check the table (skips without mpmath)
  sbg_reference.py --sql    print the table's rows
"""
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'sbg.sql')

PARAMS = ((0.704, 1.182), (0.668, 3.806),   # Fader & Hardie 2007's two segments
          (1e-6, 1e-6), (1e6, 1e6), (1.0, 1.0), (2.5, 0.01), (0.01, 1000.0), (5.0, 20.0))


def grid():
    for alpha, beta in PARAMS:
        for t in (0, 1, 7, 12, 1000, 1000000):
            yield 'survival', alpha, beta, t, 0
        for t in (1, 7, 1000, 1000000):
            yield 'retention', alpha, beta, t, 0
        for d in (0, 0.001, 0.1, 10):
            if d == 0 and alpha <= 1:
                continue            # infinite: clv refuses it
            yield 'del', alpha, beta, 0, d
            for k in (0, 6, 1000):
                yield 'derl', alpha, beta, k, d


def hyp2f1_one(mp, b, c, z):
    """2F1(1, b; c; z): at z = 1 Gauss's product of Gamma functions; for
    z up to 1/1.01 the defining series, summed at the working precision
    until a term is below 10^-60 of the sum (mpmath's own 2F1 does not
    converge there for b and c in the millions); nearer 1, mpmath's."""
    if z == 1:
        return mp.gammaprod([c, c - 1 - b], [c - 1, c - b])
    if z > 1 / mp.mpf('1.01'):
        return mp.hyp2f1(1, b, c, z)
    total, term, j = mp.mpf(0), mp.mpf(1), 0
    while j == 0 or term > total * mp.mpf('1e-60'):
        total += term
        term *= (b + j) / (c + j) * z
        j += 1
    return total


def reference(mp, kind, alpha, beta, t, d):
    alpha, beta, t, d = (mp.mpf(v) for v in (alpha, beta, t, d))
    if kind == 'survival':
        return mp.beta(alpha, beta + t) / mp.beta(alpha, beta)
    if kind == 'retention':
        return mp.beta(alpha, beta + t) / mp.beta(alpha, beta + t - 1)
    z = 1 / (1 + d)
    if kind == 'del':
        return hyp2f1_one(mp, beta, alpha + beta, z)
    k = t
    return mp.beta(alpha, beta + k + 1) / mp.beta(alpha, beta + k) * hyp2f1_one(mp, beta + k + 1, alpha + beta + k + 1, z)


if __name__ == '__main__':
    sys.exit(reference_table.main('sbg_reference', TABLE, 50, grid, reference, quoted=True))
