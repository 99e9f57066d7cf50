#!/usr/bin/env python3
"""High-precision reference for the regularity models' scores, MBG/CNBD-k and
BG/CNBD-k (Platzer & Reutterer 2016; Reutterer, Platzer & Schroeder 2021).

The table of test/pgtap/regularity_extremes.sql holds, over a grid of models
(MBG and BG, k = 1, 2, 5 and 12, parameters at CDNOW's, near a = 1, tiny and
large) and histories, the scores computed here with mpmath at 50 digits, by
another route than src/cnbd.c takes:

    P(alive)   the two parts of the likelihood, alive and gone, each from
               Beta and Gamma functions (not their simplified ratio);
    expected   purchases in the next t, summed over the purchases to come:
               E = sum_{j<k} w_j sum_{m>=1} B(a, y+m-1) / B(a, y)
                                          P(N_j + j >= m k),
               w_j the posterior weight of j Poisson events since the last
               purchase, N_j negative binomial (c + j, t / (alpha+T+t)),
               its tail from its distribution function, or summed directly
               where it is small
               (src/cnbd.c sums over N instead, from its mode, with the
               weight of the purchases up to it in closed form);
    new        a new customer's: the history x = t_x = T = 0.

Rows are ('p_alive' | 'expected' | 'new', m0, k, r, alpha, a, b, x, t_x, T,
t, value), m0 = 1 for MBG/CNBD-k, 0 for BG/CNBD-k.

  cnbd_reference.py          check the table (skips without mpmath)
  cnbd_reference.py --sql    print the table's rows
"""
import os
import sys

import reference_table

TABLE = os.path.join(os.path.dirname(__file__), '..', 'pgtap', 'regularity_extremes.sql')

PARAMS = ((0.243, 4.414, 0.793, 2.426),     # CDNOW's BG/NBD (Fader, Hardie & Lee 2005)
          (0.8, 20.0, 1.0005, 0.9995),      # a and b within 1e-3 of 1
          (1e-3, 50.0, 0.05, 40.0),         # r tiny, a tiny
          (30.0, 1e3, 200.0, 300.0))        # large
HISTORIES = ((0, 0, 39), (1, 20, 39), (6, 30, 52), (50, 300, 310), (1000, 3000, 3100))
HORIZONS = (1, 39, 520)


def grid():
    for m0 in (1, 0):
        for k in (1, 2, 5, 12):
            for r, alpha, a, b in PARAMS:
                for x, t_x, T in HISTORIES:
                    yield 'p_alive', m0, k, r, alpha, a, b, x, t_x, T, 0
                    for t in HORIZONS:
                        yield 'expected', m0, k, r, alpha, a, b, x, t_x, T, t
                for t in HORIZONS:
                    yield 'new', m0, k, r, alpha, a, b, 0, 0, 0, t


def parts(mp, m0, k, r, alpha, a, b, x, t_x, T):
    """The likelihood's alive terms (one per j < k events since the last
    purchase) and its gone part, without the factors they share."""
    c = r + k * x
    u = T - t_x
    # alive: no k-th event in u, and x + m0 drop-out chances passed
    alive_p = mp.beta(a, b + x + m0) / mp.beta(a, b)
    alive = [mp.gammaprod([c + j], [c, j + 1]) * (u / (alpha + T)) ** j * (alpha + T) ** -c * alive_p
             for j in range(k)]
    # gone right after the last purchase (or, for MBG, at the first)
    if m0 == 0 and x == 0:
        gone = mp.mpf(0)
    else:
        gone = (alpha + t_x) ** -c * mp.beta(a + 1, b + x + m0 - 1) / mp.beta(a, b)
    return alive, gone


class Tail:
    """P(N >= n) of a negative binomial (shape, q), for n rising: 1 minus
    the distribution function while that keeps its digits (down to 1e-8),
    then summed directly at that point and carried on by subtracting each
    term passed, so that a tail of 1e-60 is as exact as one of 1/2."""

    def __init__(self, mp, shape, q):
        self.mp, self.shape, self.q = mp, shape, q
        self.n, self.pmf, self.cdf, self.tail = 0, (1 - q) ** shape, mp.mpf(0), None

    def ratio(self, n):
        return (self.shape + n) / (n + 1) * self.q

    def at(self, need):
        mp = self.mp
        while self.n < need:
            if self.tail is not None:
                self.tail -= self.pmf
            self.cdf += self.pmf
            self.pmf *= self.ratio(self.n)
            self.n += 1
        if self.tail is None and 1 - self.cdf < mp.mpf('1e-8'):
            total, term, i = mp.mpf(0), self.pmf, self.n
            while term > total * mp.mpf('1e-45') or i < self.n + 2:
                total += term
                term *= self.ratio(i)
                i += 1
            self.tail = total
        return self.tail if self.tail is not None else 1 - self.cdf


def expected_purchases(mp, k, r, alpha, a, y, c, T, t, weights):
    """sum_j weights[j] sum_m B(a, y+m-1)/B(a, y) P(N_j + j >= m k)."""
    q = t / (alpha + T + t)
    total = mp.mpf(0)
    for j, w in enumerate(weights):
        if w == 0:
            continue
        tail = Tail(mp, c + j, q)
        made = mp.mpf(1)                # B(a, y+m-1) / B(a, y)
        part = mp.mpf(0)
        m = 1
        while True:
            need = m * k - j            # N >= need makes the m-th purchase due
            term = made * (tail.at(need) if need > 0 else 1)
            part += term
            if term <= part * mp.mpf('1e-30') and need > (c + j) * q / (1 - q):
                break
            made *= (y + m - 1) / (a + y + m - 1)
            m += 1
        total += w * part
    return total


def reference(mp, kind, m0, k, r, alpha, a, b, x, t_x, T, t):
    m0, k = int(m0), int(k)
    r, alpha, a, b, x, t_x, T, t = (mp.mpf(v) for v in (r, alpha, a, b, x, t_x, T, t))
    c = r + k * x
    # a new customer is the history (0, 0, 0): for MBG, gone at the first
    # purchase with probability a / (a + b)
    alive, gone = parts(mp, m0, k, r, alpha, a, b, x, t_x, T)
    total = mp.fsum(alive) + gone
    if kind == 'p_alive':
        return mp.fsum(alive) / total
    return expected_purchases(mp, k, r, alpha, a, b + x + m0, c, T, t, [s / total for s in alive])


if __name__ == '__main__':
    sys.exit(reference_table.main('cnbd_reference', TABLE, 50, grid, reference))
