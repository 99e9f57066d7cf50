#!/usr/bin/env python3
"""High-precision reference for the BG/BB scores (Fader, Hardie & Shang 2010).

The table of test/pgtap/bgbb.sql holds, over a grid of parameters (the
published donation-data estimates, gamma = 1 and near 1, all tiny, all
large, mixed) and histories (none, the data's, every opportunity, thousands
of opportunities), the scores computed here with mpmath at 80 digits from
the paper's own closed forms, which clv does not use:

    L        equation 5, every term a quotient of Beta functions
    alive    P(alive at n + 1), equation 11
    expected E[X(n, n + t) | x, t_x, n], equation 13 (Gamma quotients, and at
             gamma = 1, where the form is 0/0, its value at 1 + 1e-30)
    new      E[X(t)], equation 7, the same way
    pmf      P(X(n) = x), equation 8

pgTAP compares clv's scores with the table on every run; this script checks
that the table is what the reference gives, where mpmath is installed.

  bgbb_reference.py          check the table (skips without mpmath)
  bgbb_reference.py --sql    print the table's rows
"""
import functools
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'bgbb.sql')

PARAMS = ((1.204, 0.750, 0.657, 2.783),    # the donation data's published estimates
          (0.5, 3.0, 1.0, 5.0),            # gamma = 1: equations 7 and 13 are 0/0
          (2.0, 2.0, 1.000001, 0.5),       # gamma near 1
          (1e-6, 1e-6, 1e-6, 1e-6),
          (1e6, 1e6, 1e6, 1e6),
          (0.01, 100.0, 50.0, 1e-3),
          (1e3, 1e-3, 1e-3, 1e3),
          (1.0, 1.0, 1000.0, 1e16),        # delta + n far above the horizon: where the closed
          (2.0, 3.0, 1e6, 1e13))           # form's tail once cancelled (1e-4 relative)
HISTORIES = ((0, 0, 0), (0, 0, 6), (3, 5, 6), (6, 6, 6), (10, 50, 100), (1, 1, 1000), (500, 9000, 10000))
HORIZONS = (1, 10, 1000, 16386, 1000000, 1000000000)   # 16,384 terms are summed one by one


def grid():
    for alpha, beta, gamma, delta in PARAMS:
        for x, t_x, n in HISTORIES:
            yield 'alive', alpha, beta, gamma, delta, x, t_x, n, 0
            for t in HORIZONS:
                yield 'expected', alpha, beta, gamma, delta, x, t_x, n, t
            if n <= 1000:   # mpmath's cost grows with n
                yield 'pmf', alpha, beta, gamma, delta, x, 0, n, 0
        for t in HORIZONS:
            yield 'new', alpha, beta, gamma, delta, 0, 0, 0, t


@functools.lru_cache(maxsize=None)
def likelihood(mp, alpha, beta, gamma, delta, x, t_x, n):
    """equation 5"""
    B = mp.beta
    L = B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
    for i in range(0, n - t_x):
        L += B(alpha + x, beta + t_x - x + i) / B(alpha, beta) * B(gamma + 1, delta + t_x + i) / B(gamma, delta)
    return L


def reference(mp, what, alpha, beta, gamma, delta, x, t_x, n, t):
    alpha, beta, gamma, delta = (mp.mpf(v) for v in (alpha, beta, gamma, delta))
    B = mp.beta
    if gamma == 1:
        gamma_e = 1 + mp.mpf('1e-30')   # equations 7 and 13 are analytic in gamma
    else:
        gamma_e = gamma

    def still_alive_sum(d, m):
        """delta/(gamma-1) Gamma(gamma+d)/Gamma(1+d) [Gamma(1+d)/Gamma(gamma+d) - Gamma(1+d+m)/Gamma(gamma+d+m)]"""
        g = gamma_e
        return (d / (g - 1)) * (1 - mp.exp(mp.loggamma(g + d) + mp.loggamma(1 + d + m)
                                           - mp.loggamma(g + d + m) - mp.loggamma(1 + d)))

    if what == 'new':
        return alpha / (alpha + beta) * still_alive_sum(delta, t)
    if what == 'pmf':
        total = mp.binomial(n, x) * B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
        for i in range(x, n):
            total += mp.binomial(i, x) * B(alpha + x, beta + i - x) / B(alpha, beta) * B(gamma + 1, delta + i) / B(gamma, delta)
        return total
    first = B(alpha + x, beta + n - x) / B(alpha, beta)
    L = likelihood(mp, alpha, beta, gamma, delta, x, t_x, n)
    if what == 'alive':
        return first * B(gamma, delta + n + 1) / B(gamma, delta) / L
    # equation 13: B(alpha+x+1, beta+n-x)/B(alpha,beta) delta/(gamma-1) Gamma(gamma+delta)/Gamma(1+delta)
    #              [Gamma(1+delta+n)/Gamma(gamma+delta+n) - Gamma(1+delta+n+t)/Gamma(gamma+delta+n+t)] / L
    g = gamma_e
    bracket = (mp.exp(mp.loggamma(1 + delta + n) - mp.loggamma(g + delta + n))
               - mp.exp(mp.loggamma(1 + delta + n + t) - mp.loggamma(g + delta + n + t)))
    return (B(alpha + x + 1, beta + n - x) / B(alpha, beta) * delta / (g - 1)
            * mp.exp(mp.loggamma(g + delta) - mp.loggamma(1 + delta)) * bracket / L)


if __name__ == '__main__':
    sys.exit(reference_table.main('bgbb_reference', TABLE, 80, grid, reference))
