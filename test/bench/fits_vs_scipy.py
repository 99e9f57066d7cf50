#!/usr/bin/env python3
"""The scipy half of the fit comparison (test/bench/fits_vs_scipy.sh).

    fits_vs_scipy.py HISTORIES.csv SPEND.csv CLV.csv RUNS

HISTORIES.csv: frequency, recency, age, count (the distinct purchase
histories); SPEND.csv: frequency, monetary, count (the distinct spend
histories of repeat buyers); CLV.csv: model, median ms, ms beyond the scan,
clv_model_params jsonb, as test/bench/fits_vs_scipy.sql leaves them.

Fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with
scipy.optimize.minimize(method='L-BFGS-B') on the log-parameters, numpy over
the distinct histories weighted by their counts, from the start points clv
uses and to the same stopping rule as clv (the largest component of the
gradient of the mean negative log-likelihood below 1e-6), and prints
clv's times beside scipy's and both estimates side by side.  Only the
optimisation is timed (time.perf_counter around minimize, best of RUNS):
reading and compressing the histories is not, while clv's time is its whole
query, scan included, so the comparison favours scipy.

The likelihoods are written here from the papers, so that a disagreement
with clv is a finding rather than a shared mistake:
  BG/NBD      Fader, Hardie & Lee 2005, "Counting your customers the easy way";
  MBG/NBD     Batislam, Denizel & Filiztekin 2007;
  Pareto/NBD  Fader & Hardie 2005, "Deriving the Pareto/NBD model and related
              expressions", with scipy.special.hyp2f1; its gradient is left
              to scipy's finite differences (jac='3-point', see fit);
  Gamma-Gamma Fader, Hardie & Lee 2005, "RFM and CLV", for the mean spend m
              of x repeat transactions.
Exits 0 with one line when numpy or scipy cannot be imported.
"""
import csv
import json
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.optimize import minimize
    from scipy.special import digamma, gammaln, hyp2f1
except ImportError:
    print("scipy comparison skipped: python3-scipy is not installed")
    sys.exit(0)

# clv's stopping rule (src/optim.c): max |gradient| of the mean objective.
# ftol would stop L-BFGS-B earlier on a merely small improvement, which clv
# does not do; set far below what the gradient rule leaves, so that gtol
# decides for both.
GTOL = 1e-6
FTOL = 1e-15
DIFFERS = 1e-3


class Histories:
    """Distinct purchase histories (x, t_x, T) and their counts, with what
    every evaluation would otherwise recompute: the distinct x (the Gamma
    functions depend on x alone) and their total counts, and for Pareto/NBD
    the distinct (x, time) pairs its 2F1 terms depend on."""

    def __init__(self, a):
        """a: rows (x, t_x, T, count)."""
        self.x, self.tx, self.T, self.n = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
        self.N = self.n.sum()
        self.xu, self.xi = np.unique(self.x, return_inverse=True)
        # sum over histories of n f(x) = sum over distinct x of (their n) f(x)
        self.nx = np.bincount(self.xi, weights=self.n)
        self.has_x = self.x > 0
        pairs = np.concatenate([np.stack([self.x, self.tx], 1), np.stack([self.x, self.T], 1)])
        up, inv = np.unique(pairs, axis=0, return_inverse=True)
        inv = inv.ravel()
        self.pair_x, self.pair_t = up[:, 0], up[:, 1]
        self.at_tx, self.at_T = inv[:len(self.x)], inv[len(self.x):]
        self.mean_x = (self.n @ self.x) / self.N
        self.mean_T = (self.n @ self.T) / self.N


class Spend:
    """Distinct (x, mean spend m) of repeat buyers and their counts."""

    def __init__(self, a):
        """a: rows (x, m, count)."""
        self.x, self.m, self.n = a[:, 0], a[:, 1], a[:, 2]
        self.N = self.n.sum()
        self.log_m = np.log(self.m)
        self.log_x = np.log(self.x)
        self.xu, self.xi = np.unique(self.x, return_inverse=True)
        self.nx = np.bincount(self.xi, weights=self.n)
        self.mean_m = (self.n @ self.m) / self.N


def distinct_rows(rows):
    """The distinct rows and how often each occurs: a lexicographic sort
    and the boundaries between runs of equal rows (three times as fast as
    np.unique(axis=0) here, which sorts a void view of the rows)."""
    s = rows[np.lexsort(rows.T[::-1])]
    starts = np.r_[0, np.flatnonzero(np.any(s[1:] != s[:-1], axis=1)) + 1]
    return s[starts], np.diff(np.r_[starts, len(s)])


def purchase_rows(customers):
    """The distinct (x, t_x, T) of every customer with their counts: what
    clv's purchase fits collect beyond reading the rows.  (The terms the
    likelihoods reuse, built by Histories, are not counted.)"""
    return distinct_rows(customers[:, :3])


def spend_rows(customers):
    """The same for the spend fit: the distinct (x, m) of repeat buyers."""
    return distinct_rows(customers[customers[:, 0] > 0][:, [0, 3]])


def best_ms(work, runs):
    """work() timed: its result and the best of runs, in ms."""
    best = float("inf")
    for _ in range(max(runs, 1)):
        t0 = time.perf_counter()
        result = work()
        best = min(best, (time.perf_counter() - t0) * 1000)
    return result, best


def bgnbd_ll(theta, d, modified, with_grad=True):
    """Total log-likelihood of BG/NBD (modified: MBG/NBD) and its gradient
    in (r, alpha, a, b).  Per history, with s = 1 for MBG/NBD, else 0:
      ln Gamma(r+x) - ln Gamma(r) + r ln alpha + ln B(a, b+x+s) - ln B(a, b)
      + ln[(alpha+T)^-(r+x) + c a/(b+x-1+s) (alpha+t_x)^-(r+x)],
    c = 1{x > 0} for BG/NBD (the drop-out chance after a repeat purchase),
    1 for MBG/NBD (also one at the first purchase)."""
    r, alpha, a, b = theta
    s = 1.0 if modified else 0.0
    xu, x = d.xu, d.x
    # per distinct x: ln Gamma(r+x)/Gamma(r) + ln B(a, b+x+s)/B(a, b)
    lg = (gammaln(r + xu) - gammaln(r) + gammaln(b + xu + s) - gammaln(b)
          - gammaln(a + b + xu + s) + gammaln(a + b))
    rx = r + x
    T_ = d.T
    log_aT = np.log(alpha + T_)
    log_atx = np.log(alpha + d.tx)
    # b+x-1 is only used where x > 0 for BG/NBD: 1 elsewhere keeps log finite
    bx = b + x - 1 + s if modified else np.where(d.has_x, b + x - 1, 1.0)
    A3 = -rx * log_aT
    A4 = np.log(a) - np.log(bx) - rx * log_atx
    if not modified:
        A4 = np.where(d.has_x, A4, -np.inf)
    mix = np.logaddexp(A3, A4)
    total = d.nx @ lg + d.N * r * np.log(alpha) + d.n @ mix
    if not with_grad:
        return total, None
    w4 = np.exp(A4 - mix)       # the share of the drop-out term
    w3 = 1 - w4
    nw4 = d.n * w4
    g = np.empty(4)
    g[0] = (d.nx @ (digamma(r + xu) - digamma(r)) + d.N * np.log(alpha)
            - d.n @ (w3 * log_aT) - nw4 @ log_atx)
    g[1] = d.N * r / alpha - d.n @ (rx * (w3 / (alpha + T_) + w4 / (alpha + d.tx)))
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xu + s)
    g[2] = d.nx @ (psi_ab - psi_abx) + nw4.sum() / a
    g[3] = d.nx @ (digamma(b + xu + s) - digamma(b) - psi_abx + psi_ab) - nw4 @ (1 / bx)
    return total, g


def log_death_terms(theta, d):
    """For every distinct (x, t): L = ln 2F1(a', b'; a'+1; z) - a' ln(hi + t),
    a' = r+s+x, for alpha >= beta b' = s+1, hi = alpha, z = (alpha-beta)/(alpha+t),
    else b' = r+x, hi = beta, z = (beta-alpha)/(beta+t) (the note's two
    cases, which keep z in [0, 1)).  2F1 is taken by Euler's transformation
      2F1(a', b'; a'+1; z) = (1-z)^(1-b') 2F1(1, a'+1-b'; a'+1; z),
    whose series has positive terms falling at least as fast as z^k: the
    plain form overflows for a frequent buyer (a' in the hundreds) with z
    near 1, which scipy.special.hyp2f1 returns as inf."""
    r, alpha, s, beta = theta
    x, t = d.pair_x, d.pair_t
    ap = r + s + x
    if alpha >= beta:
        bp, hi, lo = s + 1, alpha, beta
    else:
        bp, hi, lo = r + x, beta, alpha
    z = (hi - lo) / (hi + t)
    return (1 - bp) * np.log1p(-z) + np.log(hyp2f1(1.0, ap + 1 - bp, ap + 1, z)) - ap * np.log(hi + t)


def paretonbd_ll(theta, d, with_grad=False):
    """Total log-likelihood of Pareto/NBD (Fader & Hardie's note, eq. 2 with
    A0 of eqs. 3-4); per history:
      ln Gamma(r+x) - ln Gamma(r) + r ln alpha + s ln beta
      + ln[(alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0],
      A0 = e^L(x, t_x) - e^L(x, T)  (log_death_terms; 0 when t_x = T)."""
    r, alpha, s, beta = theta
    x = d.x
    L = log_death_terms(theta, d)
    L1, L2 = L[d.at_tx], L[d.at_T]
    with np.errstate(divide="ignore", invalid="ignore"):
        # ln(e^L1 - e^L2), -inf where t_x = T
        log_a0 = np.where(L2 < L1, L1 + np.log(-np.expm1(L2 - L1)), -np.inf)
        alive = -(r + x) * np.log(alpha + d.T) - s * np.log(beta + d.T)
        dead = np.log(s) - np.log(r + s + x) + log_a0
        mix = np.logaddexp(alive, dead)
    total = (d.nx @ (gammaln(r + d.xu) - gammaln(r))
             + d.N * (r * np.log(alpha) + s * np.log(beta)) + d.n @ mix)
    return total, None


def gammagamma_ll(theta, d, with_grad=True):
    """Total log-likelihood of Gamma-Gamma for the mean spend m of x repeat
    transactions, and its gradient in (p, q, gamma); per customer:
      ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln gamma
      + (px-1) ln m + px ln x - (px+q) ln(gamma + m x)."""
    p, q, gamma = theta
    xu, x = d.xu, d.x
    px = p * x
    log_gmx = np.log(gamma + d.m * x)
    total = (d.nx @ (gammaln(p * xu + q) - gammaln(p * xu))
             + d.N * (q * np.log(gamma) - gammaln(q))
             + d.n @ ((px - 1) * d.log_m + px * d.log_x - (px + q) * log_gmx))
    if not with_grad:
        return total, None
    psi_pxq = digamma(p * xu + q)
    g = np.empty(3)
    g[0] = (d.nx @ (xu * (psi_pxq - digamma(p * xu)))
            + d.n @ (x * (d.log_m + d.log_x - log_gmx)))
    g[1] = d.nx @ psi_pxq + d.N * (np.log(gamma) - digamma(q)) - d.n @ log_gmx
    g[2] = d.N * q / gamma - d.n @ ((px + q) / (gamma + d.m * x))
    return total, g


def objective(loglik, d, with_grad):
    """clv's objective (src/fit.c): minus the mean log-likelihood in the
    log-parameters; the gradient by the chain rule, d/du = theta d/dtheta."""
    def f(u):
        theta = np.exp(u)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            total, g = loglik(theta, d, with_grad)
        value = -total / d.N
        if not np.isfinite(value):
            value = np.inf
        if not with_grad:
            return value
        return value, -g * theta / d.N
    return f


def fit(loglik, d, start, with_grad, runs):
    """The fit, timed: best of runs.  Returns (theta, total log-likelihood,
    ms, result).  Without an analytic gradient, central differences: scipy's
    default one-sided ones (jac=False, a step of 1e-8) carry more rounding
    noise than the tolerance of 1e-6, and on Pareto/NBD's flat s-beta ridge
    L-BFGS-B then ends in a failed line search some 3e-3 away from the
    optimum; a larger one-sided step trades that for truncation error and
    lands 4e-5 to 3e-4 away depending on the step.  Central differences cost
    twice the evaluations and agree with clv to about 1e-5."""
    f = objective(loglik, d, with_grad)
    jac = True if with_grad else "3-point"
    best = float("inf")
    for _ in range(max(runs, 1)):
        t0 = time.perf_counter()
        res = minimize(f, np.array(start, dtype=float), method="L-BFGS-B", jac=jac,
                       options={"gtol": GTOL, "ftol": FTOL, "maxiter": 15000})
        best = min(best, (time.perf_counter() - t0) * 1000)
    theta = np.exp(res.x)
    return theta, loglik(theta, d, False)[0], best, res


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: fits_vs_scipy.py HISTORIES.csv SPEND.csv CUSTOMERS.csv CLV.csv RUNS")
    hist_path, spend_path, customers_path, clv_path, runs = sys.argv[1:5] + [int(sys.argv[5])]

    clv = {}
    with open(clv_path, newline="") as f:
        for model, median_ms, beyond_ms, params in csv.reader(f):
            clv[model] = (float(median_ms), float(beyond_ms), json.loads(params))

    t0 = time.perf_counter()
    h = Histories(np.loadtxt(hist_path, delimiter=",", ndmin=2))
    sp = Spend(np.loadtxt(spend_path, delimiter=",", ndmin=2))
    load_ms = (time.perf_counter() - t0) * 1000
    # the same distinct histories from every customer's row, timed: the
    # work that clv's whole query does beyond its scan, less the fit
    customers = np.loadtxt(customers_path, delimiter=",", ndmin=2)
    (h2, _), compress_ms = best_ms(lambda: purchase_rows(customers), runs)
    (sp2, _), compress_spend_ms = best_ms(lambda: spend_rows(customers), runs)
    if not (len(h2) == len(h.x) and len(sp2) == len(sp.x)):
        sys.exit(f"numpy's distinct histories ({len(h2)}, {len(sp2)}) are not PostgreSQL's ({len(h.x)}, {len(sp.x)})")

    # clv's start points: src/bgnbd.c fit_purchases (a Poisson rate r/alpha
    # at the mean repeat rate), src/paretonbd.c clv_fit_paretonbd_final
    # (the same, lifetimes about the mean age), src/gammagamma.c (a mean
    # spend gamma p / (q - 1) at the observed one)
    log_alpha0 = np.log(max(h.mean_T, 1e-6) / max(h.mean_x, 1e-6))
    models = [
        ("BG/NBD", ("r", "alpha", "a", "b"), lambda t, d, g: bgnbd_ll(t, d, False, g), h,
         [0, log_alpha0, 0, 0], True),
        ("MBG/NBD", ("r", "alpha", "a", "b"), lambda t, d, g: bgnbd_ll(t, d, True, g), h,
         [0, log_alpha0, 0, 0], True),
        ("Pareto/NBD", ("r", "alpha", "s", "beta"), paretonbd_ll, h,
         [0, log_alpha0, 0, np.log(max(h.mean_T, 1e-6))], False),
        ("Gamma-Gamma", ("p", "q", "gamma"), gammagamma_ll, sp,
         [0, np.log(2), np.log(sp.mean_m)], True),
    ]

    timing, details, notes = [], [], []
    for name, names, loglik, d, start, with_grad in models:
        theta, ll, ms, res = fit(loglik, d, start, with_grad, runs)
        collect_ms = compress_spend_ms if d is sp else compress_ms
        clv_ms, clv_beyond, params = clv[name]
        clv_theta = np.array([params[k] for k in names])
        clv_ll = params["log_likelihood"]
        rel = np.abs(theta - clv_theta) / np.abs(clv_theta)
        rel_ll = abs(ll - clv_ll) / abs(clv_ll)
        worst = max(rel.max(), rel_ll)
        # this file's likelihood at clv's estimate: equal to clv's own value
        # unless the two codes compute different likelihoods
        ll_at_clv = loglik(clv_theta, d, False)[0]
        timing.append((name, clv_ms, clv_beyond, ms, ms / clv_ms, ms + collect_ms,
                       (ms + collect_ms) / clv_beyond, f"{params['iterations']}/{res.nit}", worst))
        for k, pname in enumerate(names):
            details.append((name if k == 0 else "", pname, clv_theta[k], theta[k], rel[k]))
        details.append(("", "log-likelihood", clv_ll, ll, rel_ll))
        details.append(("", "  (this code at clv's)", clv_ll, ll_at_clv,
                        abs(ll_at_clv - clv_ll) / abs(clv_ll)))
        if not res.success:
            notes.append(f"{name}: scipy stopped with: {res.message}")

    print(f"scipy {scipy.__version__}, numpy {np.__version__}: "
          f"{len(h.x)} distinct (x, t_x, T) of {h.N:.0f} customers, "
          f"{len(sp.x)} distinct (x, m) of {sp.N:.0f} repeat buyers; "
          f"best of {runs}")
    print()
    header = ("model", "clv ms", "beyond scan", "scipy ms", "scipy/clv", "+ compress", "/ beyond", "iter clv/scipy",
              "max rel diff")
    print(f"{header[0]:<12} {header[1]:>9} {header[2]:>11} {header[3]:>9} {header[4]:>9} {header[5]:>10} {header[6]:>9}"
          f" {header[7]:>14} {header[8]:>12}")
    for name, cm, cb, sm, ratio, smc, ratio_c, its, worst in timing:
        flag = "  DIFFERS" if not worst <= DIFFERS else ""
        print(f"{name:<12} {cm:9.0f} {cb:11.0f} {sm:9.0f} {ratio:8.1f}x {smc:10.0f} {ratio_c:8.1f}x {its:>14}"
              f" {worst:12.1e}{flag}")
    print()
    print(f"{'model':<12} {'parameter':<23} {'clv':>20} {'scipy':>20} {'rel diff':>9}")
    for name, pname, c, s, r in details:
        print(f"{name:<12} {pname:<23} {c:20.10g} {s:20.10g} {r:9.1e}")
    print()
    print("clv ms: median of the whole query (scan, collecting the histories, fit);"
          " beyond scan: minus the baseline scan's median.")
    print(f"scipy ms: minimize(method='L-BFGS-B') alone, best of {runs}, analytic gradient"
          " except Pareto/NBD (jac='3-point': central differences, 8 evaluations a gradient;"
          " 2F1 by scipy.special.hyp2f1);"
          f" reading and compressing the histories ({load_ms:.0f} ms here) not counted,"
          " nor the GROUP BY that exported them.")
    print(f"+ compress: scipy ms plus numpy's collection of the same distinct histories from every"
          f" customer's row in memory (distinct_rows: {compress_ms:.0f} ms for (x, t_x, T), {compress_spend_ms:.0f} ms"
          f" for (x, m), best of {runs}), the work of clv's query beyond its scan; / beyond: that against"
          " clv's beyond scan.")
    print("iter: clv's iterations (its coarse pre-fit included) and scipy's.  (this code at clv's):"
          " this file's log-likelihood at clv's estimate, against clv's own.")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
