#!/usr/bin/env python3
"""High-precision reference for BG/NBD and MBG/NBD expected purchases.

The table of test/pgtap/expected_purchases_extremes.sql holds, for a grid of
extreme cases (frequent buyers, b near 0 so that a + b + x - 1 <= 0, a at and
near 1, alpha + T far below the horizon), the expected purchases in the next t

    E = P(alive) c/(a-1) [1 - w^(r+x) 2F1(r+x, b+x+s; c; 1-w)],
    c = a+b+x-1+s, w = (alpha+T)/(alpha+T+t), s = 1 for MBG/NBD, else 0

computed here with mpmath at 60 digits (its own 2F1, with analytic
continuation for c <= 0; at a = 1, where the form is 0/0, the value at
a = 1 + 1e-40, the expression being analytic in a).  pgTAP compares clv's
scores with the table on every run; this script checks that the table is
what the reference gives, where mpmath is installed.

  expected_purchases_reference.py          check the table (skips without mpmath)
  expected_purchases_reference.py --sql    print the table's rows
"""
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'expected_purchases_extremes.sql')


def grid():
    for kind in ('bgnbd', 'mbgnbd'):
        for r, alpha in ((0.243, 4.414), (2.5, 30.0), (0.5, 1e-4)):
            for a in (0.793, 0.9999, 1.0, 1.001, 5.0):
                for b in (2.426, 1e-3, 1e-6):
                    for x, t_x, T in ((0, 0, 38.86), (2, 30.43, 38.86), (1000, 3000, 3650),
                                      (5000, 10900, 11000), (1, 0.01, 0.01)):
                        for t in (39.0, 3650.0):
                            yield kind, r, alpha, a, b, x, t_x, T, t
    # where one of clv's two series fails and the other must be taken: r far
    # above a + b for a one-time buyer (the transformed series alternates and
    # cancels), a in the thousands (it climbs), r tiny against a + b
    yield 'bgnbd', 100.0, 1.0, 0.8, 2.5, 0, 0, 30.0, 100.0
    yield 'mbgnbd', 100.0, 1.0, 0.8, 2.5, 0, 0, 30.0, 1000.0
    yield 'bgnbd', 40.0, 50.0, 0.8, 2.5, 0, 0, 50.0, 365.0
    yield 'bgnbd', 0.5, 1.0, 100000.0, 1.0, 0, 0, 10.0, 1000.0
    yield 'mbgnbd', 0.5, 1.0, 1000.0, 1e-6, 0, 0, 10.0, 10000.0
    yield 'bgnbd', 1e-6, 1.0, 1000.0, 1000.0, 0, 0, 10.0, 10.0
    yield 'bgnbd', 1.43e-6, 1.0, 0.0136, 754.0, 0, 0, 10.0, 10.0
    # a frequent buyer whose 2F1 passes double range (kept scaled)
    yield 'mbgnbd', 0.25, 5.0, 0.8, 2.5, 200, 9.5, 10.0, 365.0
    yield 'bgnbd', 0.243, 4.414, 0.793, 2.426, 200, 9.5, 10.0, 365.0
    # where neither series is exact (r far above a + b + x, tiny a or b with
    # a short age): clv integrates the Beta mean the bracket stands for
    yield 'bgnbd', 1e6, 1e6, 1e-6, 1e-3, 0, 0, 0.01, 365.0
    yield 'mbgnbd', 1e6, 4.414, 1.001, 2.426, 1, 0.01, 0.01, 365.0
    yield 'bgnbd', 1e6, 4.414, 0.5, 1e-3, 1, 0.01, 0.01, 365.0
    yield 'bgnbd', 1e6, 4.414, 10.0, 2.426, 1, 0.01, 0.01, 365.0
    yield 'bgnbd', 1e6, 1e-6, 1e-6, 1e-6, 1, 0.01, 0.01, 365.0
    yield 'mbgnbd', 50.0, 1e-6, 1.001, 1e-6, 1, 0.01, 0.01, 365.0
    yield 'bgnbd', 1e-6, 1e-6, 1.0, 1e6, 0, 0, 0.01, 365.0


def beta_mean(mp, r, a, beta, x, u):
    """The bracket as the mean of g(p) = (1 - (1 + p u)^-(r+x)) / p over
    p ~ Beta(a, beta), by mpmath's tanh-sinh quadrature in y = logit(p),
    split every half standard deviation about the top of the weight and
    every half unit about where g turns, and at steps growing by 1.3 out to
    where the weight is e^-300 of its top: for r in the millions, where
    w^(r+x) 2F1 spans 10^+-400000 and mpmath's 2F1 gives 0."""
    m = r + x
    g = lambda p: -mp.expm1(-m * mp.log1p(p * u)) / p
    log_weight = lambda y: -a * mp.log1p(mp.exp(-y)) - beta * mp.log1p(mp.exp(y))
    top_y = mp.log(a / beta)
    sd = mp.sqrt(1 / a + 1 / beta)
    top = log_weight(top_y)
    points = {top_y + k * min(sd, 1) / 2 for k in range(-40, 41)}
    turn = -mp.log(m * u)
    points |= {turn + mp.mpf(k) / 2 for k in range(-20, 21)}
    ends = []
    for side in (-1, 1):
        y, step = top_y, min(sd, 1)
        while log_weight(y) - top > -300:
            y += side * step
            step *= mp.mpf('1.3')
            points.add(y)
        ends.append(y)
    points = sorted(p for p in points if ends[0] <= p <= ends[1])
    weighted = mp.quad(lambda y: mp.exp(log_weight(y) - top) * g(1 / (1 + mp.exp(-y))), points)
    return weighted / mp.quad(lambda y: mp.exp(log_weight(y) - top), points)


def reference(mp, kind, r, alpha, a, b, x, t_x, T, t):
    shift = 1 if kind == 'mbgnbd' else 0
    r, alpha, a, b, x, t_x, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, t_x, T, t))
    if x == 0 and not shift:
        alive = mp.mpf(1)
    else:
        alive = 1 / (1 + a / (b + x - 1 + shift) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    if r >= 1e5:
        return alive * beta_mean(mp, r, a, b + x + shift, x, t / (alpha + T))
    if a == 1:
        a = 1 + mp.mpf('1e-40')
    c = a + b + x - 1 + shift
    w = (alpha + T) / (alpha + T + t)
    return alive * c / (a - 1) * (1 - w ** (r + x) * mp.hyp2f1(r + x, b + x + shift, c, 1 - w))


if __name__ == '__main__':
    sys.exit(reference_table.main('expected_purchases_reference', TABLE, 60, grid, reference))
