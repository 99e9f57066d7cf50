#!/usr/bin/env python3
"""An independent fit of BG/NBD with a covariate on the CDNOW sample.

test/pgtap/covariates.sql compares clv_fit_bgnbd(frequency, recency, age,
covariates) on the CDNOW sample (calibration to 1997-09-30, weeks) with a
table of estimates, standard errors and log-likelihood.  This script makes
that table by its own means, sharing no code with clv:

  - the summaries from CDNOW_sample.txt in Python (purchase days, weeks);
  - the covariate: ln(1 + the first purchase day's dollars) - 3;
  - the likelihood as Fader, Hardie & Lee (2005) write it, equation (3),
    with lgamma and each customer's own alpha_i = alpha exp(-g_p z),
    a_i = a exp(g_a z), b_i = b exp(g_b z);
  - the maximum by Newton's method on the log-parameters and coefficients,
    with gradient and Hessian by central differences of the likelihood,
    from the published estimates without covariates (r 0.243, alpha 4.414,
    a 0.793, b 2.426) and every coefficient 0;
  - standard errors from the inverse of that Hessian.

  covariates_reference.py          check the table (skips without the CDNOW sample:
                                   $CLV_SHARED_DATA, else ../shared/data)
  covariates_reference.py --sql    print the table's rows
"""
import datetime
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, '..', 'pgtap', 'covariates.sql')
SAMPLE = os.path.join(os.environ.get('CLV_SHARED_DATA') or os.path.join(HERE, '..', '..', '..', 'shared', 'data'),
                      'CDNOW_sample.txt')
END = datetime.date(1997, 9, 30)
NAMES = ('r', 'alpha', 'a', 'b', 'purchase', 'dropout_a', 'dropout_b')
ROW = re.compile(r"^\s*\('(\w+)', (-?[0-9][^,]*), (-?[0-9][^)]*)\)", re.M)


def customers():
    """(x, t_x, T, z) per customer, from the sample's orders up to END"""
    spend = {}
    with open(SAMPLE) as f:
        for line in f:
            field = line.split()
            if len(field) < 5:
                continue
            day = datetime.datetime.strptime(field[2], '%Y%m%d').date()
            if day <= END:
                days = spend.setdefault(int(field[1]), {})
                days[day] = days.get(day, 0.0) + float(field[4])
    for days in spend.values():
        order = sorted(days)
        first = order[0]
        yield (len(order) - 1, (order[-1] - first).days / 7, (END - first).days / 7,
               math.log(1 + days[first]) - 3)


def log_beta(p, q):
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)


def log_likelihood(v, data):
    r = math.exp(v[0])
    total = 0.0
    for x, t_x, T, z in data:
        alpha = math.exp(v[1] - v[4] * z)
        a = math.exp(v[2] + v[5] * z)
        b = math.exp(v[3] + v[6] * z)
        common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - log_beta(a, b)
        alive = log_beta(a, b + x) - (r + x) * math.log(alpha + T)
        if x > 0:
            gone = log_beta(a + 1, b + x - 1) - (r + x) * math.log(alpha + t_x)
            top = max(alive, gone)
            alive = top + math.log(math.exp(alive - top) + math.exp(gone - top))
        total += common + alive
    return total


def derivatives(f, v, h=1e-4):
    n = len(v)

    def at(*steps):
        w = list(v)
        for i, s in steps:
            w[i] += s
        return f(w)

    f0 = f(v)
    grad = [(at((i, h)) - at((i, -h))) / (2 * h) for i in range(n)]
    hess = [[0.0] * n for _ in range(n)]
    for i in range(n):
        hess[i][i] = (at((i, h)) - 2 * f0 + at((i, -h))) / (h * h)
        for j in range(i):
            hess[i][j] = hess[j][i] = (at((i, h), (j, h)) - at((i, h), (j, -h)) - at((i, -h), (j, h))
                                       + at((i, -h), (j, -h))) / (4 * h * h)
    return f0, grad, hess


def inverse(m):
    n = len(m)
    a = [list(row) + [float(i == j) for j in range(n)] for i, row in enumerate(m)]
    for c in range(n):
        p = max(range(c, n), key=lambda i: abs(a[i][c]))
        a[c], a[p] = a[p], a[c]
        for i in range(n):
            if i != c:
                k = a[i][c] / a[c][c]
                a[i] = [u - k * w for u, w in zip(a[i], a[c])]
    return [[a[i][n + j] / a[i][i] for j in range(n)] for i in range(n)]


def fit():
    data = list(customers())
    f = lambda v: log_likelihood(v, data)
    v = [math.log(0.243), math.log(4.414), math.log(0.793), math.log(2.426), 0.0, 0.0, 0.0]
    for _ in range(50):
        f0, grad, hess = derivatives(f, v)
        if max(abs(g) for g in grad) < 1e-5:
            break
        h_inv = inverse(hess)
        step = [-sum(h_inv[i][j] * grad[j] for j in range(len(v))) for i in range(len(v))]
        t = 1.0
        while f([u + t * s for u, s in zip(v, step)]) < f0 and t > 1e-6:
            t /= 2
        v = [u + t * s for u, s in zip(v, step)]
    else:
        raise SystemExit('covariates_reference: Newton did not converge')
    f0, grad, hess = derivatives(f, v)
    cov = inverse([[-h for h in row] for row in hess])
    est = [math.exp(u) for u in v[:4]] + v[4:]
    # standard errors: of the parameters by the delta method, of the coefficients as they are
    se = [math.exp(v[i]) * math.sqrt(cov[i][i]) for i in range(4)] + [math.sqrt(cov[i][i]) for i in range(4, 7)]
    return len(data), f0, est, se


def main():
    if not os.path.exists(SAMPLE):
        print(f'covariates_reference: skipped, {SAMPLE} is not there')
        return 0
    n, ll, est, se = fit()
    rows = [(name, e, s) for name, e, s in zip(NAMES, est, se)] + [('log_likelihood', ll, n)]
    if sys.argv[1:] == ['--sql']:
        print(',\n'.join("    ('%s', %.12g, %.12g)" % row for row in rows))
        return 0
    text = open(TABLE).read()
    block = text[text.index('INSERT INTO reference VALUES'):]
    found = ROW.findall(block[:block.index(';')])
    if [name for name, _, _ in found] != [name for name, _, _ in rows]:
        print(f'covariates_reference: the table names {[f[0] for f in found]}, the fit {NAMES}')
        return 1
    worst_est = max(abs(float(e) - r[1]) / abs(r[1]) for (_, e, _), r in zip(found, rows))
    worst_se = max(abs(float(s) - r[2]) / abs(r[2]) for (_, _, s), r in zip(found, rows))
    print(f'covariates_reference: the table is this fit of {n} customers to {worst_est:.1e} relative '
          f'(estimates and log-likelihood) and {worst_se:.1e} (standard errors)')
    return 0 if worst_est < 1e-6 and worst_se < 1e-4 else 1


if __name__ == '__main__':
    sys.exit(main())
