#!/usr/bin/env python3
"""Independent fits with a covariate on the CDNOW sample.

test/pgtap/covariates.sql compares clv's fits with covariates on the CDNOW
sample (calibration to 1997-09-30, weeks; the covariate ln(1 + the first
purchase day's dollars) - 3) with a table of estimates, standard errors and
log-likelihoods.  This script checks that table by its own means, sharing no
code with clv: the summaries from CDNOW_sample.txt in Python (purchase days,
weeks, mean repeat spend) and the likelihoods as the papers write them, with
each customer's own parameters.

  bgnbd       BG/NBD, Fader, Hardie & Lee (2005), equation (3), with
              alpha_i = alpha exp(-g_p z), a_i = a exp(g_a z), b_i = b exp(g_b z):
              fitted here by Newton's method on the log-parameters and
              coefficients, gradient and Hessian by central differences, from
              the published estimates without covariates (r 0.243, alpha 4.414,
              a 0.793, b 2.426) and every coefficient 0; standard errors from
              the inverse of that Hessian.
  mbgnbd      MBG/NBD, Batislam, Denizel & Filiztekin (2007), the same way:
              L = B(a, b+x+1)/B(a, b) G / (alpha+T)^(r+x)
                  + B(a+1, b+x)/B(a, b) G / (alpha+t_x)^(r+x),
              G = Gamma(r+x) alpha^r / Gamma(r), from the published BG/NBD
              estimates.
  gammagamma  Gamma-Gamma, Fader, Hardie & Lee (2005, "RFM and CLV"), with
              gamma_i = gamma exp(g_s z): fitted the same way from the published
              p 6.25, q 3.74, gamma 15.44.
  paretonbd   Pareto/NBD, Fader & Hardie's 2005 note on its likelihood (the
              Gauss hypergeometric form, mpmath's hyp2f1 at 30 digits), with
              alpha_i = alpha exp(-g_p z), beta_i = beta exp(-g_d z): each
              evaluation costs seconds, so not fitted here; instead the
              table's estimates are checked to be where this likelihood is
              stationary (each gradient component times its standard error
              below 1e-3: within about 1e-3 of a standard error of the
              maximum) and its log-likelihood there the table's.

  covariates_reference.py          check the table (skips without the CDNOW sample:
                                   $CLV_SHARED_DATA, else ../shared/data)
  covariates_reference.py --sql    print the table's rows (Pareto/NBD's as they are)
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
NAMES = {'bgnbd': ('r', 'alpha', 'a', 'b', 'purchase', 'dropout_a', 'dropout_b'),
         'mbgnbd': ('r', 'alpha', 'a', 'b', 'purchase', 'dropout_a', 'dropout_b'),
         'gammagamma': ('p', 'q', 'gamma', 'spend'),
         'paretonbd': ('r', 'alpha', 's', 'beta', 'purchase', 'dropout')}
ROW = re.compile(r"^\s*\('(\w+)', '(\w+)', (-?[0-9][^,]*), (-?[0-9][^)]*)\)", re.M)


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
        repeat = [days[d] for d in order[1:]]
        yield (len(order) - 1, (order[-1] - first).days / 7, (END - first).days / 7,
               math.log(1 + days[first]) - 3, sum(repeat) / len(repeat) if repeat else 0.0)


def log_beta(p, q):
    return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)


def bgnbd_ll(v, data):
    r = math.exp(v[0])
    total = 0.0
    for x, t_x, T, z, _ in data:
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


def mbgnbd_ll(v, data):
    r = math.exp(v[0])
    total = 0.0
    for x, t_x, T, z, _ in data:
        alpha = math.exp(v[1] - v[4] * z)
        a = math.exp(v[2] + v[5] * z)
        b = math.exp(v[3] + v[6] * z)
        common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - log_beta(a, b)
        stays = log_beta(a, b + x + 1) - (r + x) * math.log(alpha + T)
        leaves = log_beta(a + 1, b + x) - (r + x) * math.log(alpha + t_x)
        top = max(stays, leaves)
        total += common + top + math.log(math.exp(stays - top) + math.exp(leaves - top))
    return total


def gammagamma_ll(v, data):
    p, q = math.exp(v[0]), math.exp(v[1])
    total = 0.0
    for x, _, _, z, m in data:
        if x == 0:
            continue
        gamma = math.exp(v[2] + v[3] * z)
        total += (math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(gamma)
                  + (p * x - 1) * math.log(m) + p * x * math.log(x) - (p * x + q) * math.log(gamma + m * x))
    return total


def paretonbd_ll(v, data):
    """in mpmath: r, alpha, s, beta, then the purchase and dropout coefficients"""
    mp = __import__('mpmath')
    r, s = mp.exp(v[0]), mp.exp(v[2])
    total = mp.mpf(0)
    for x, t_x, T, z, _ in data:
        alpha = mp.exp(v[1] - v[4] * z)
        beta = mp.exp(v[3] - v[5] * z)
        a = r + s + x
        if alpha >= beta:
            b, hi, lo = s + 1, alpha, beta
        else:
            b, hi, lo = r + x, beta, alpha
        a0 = (mp.hyp2f1(a, b, a + 1, (hi - lo) / (hi + t_x)) / (hi + t_x) ** a
              - mp.hyp2f1(a, b, a + 1, (hi - lo) / (hi + T)) / (hi + T) ** a)
        total += (mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
                  + mp.log(1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / a * a0))
    return total


def derivatives(f, v, h=1e-3, h_grad=1e-5):
    """f, its gradient (steps of h_grad: truncation would move the maximum)
    and Hessian (steps of h: rounding would swamp smaller ones) by central differences"""
    n = len(v)

    def at(*steps):
        w = list(v)
        for i, s in steps:
            w[i] += s
        return f(w)

    f0 = f(v)
    grad = [(at((i, h_grad)) - at((i, -h_grad))) / (2 * h_grad) for i in range(n)]
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


def fit(f, v):
    """Newton's method from v on f; the maximum, its log-likelihood and standard errors"""
    for _ in range(50):
        f0, grad, hess = derivatives(f, v)
        h_inv = inverse(hess)
        step = [-sum(h_inv[i][j] * grad[j] for j in range(len(v))) for i in range(len(v))]
        # a Newton step of at most 1e-6: at the maximum within the differences' own noise (1e-7)
        if max(abs(u) for u in step) < 1e-6:
            break
        t = 1.0
        while f([u + t * s for u, s in zip(v, step)]) < f0 and t > 1e-6:
            t /= 2
        v = [u + t * s for u, s in zip(v, step)]
    else:
        raise SystemExit('covariates_reference: Newton did not converge')
    f0, grad, hess = derivatives(f, v)
    return f0, v, inverse([[-h for h in row] for row in hess])


def natural(v, cov, nbase):
    """the baseline's parameters and standard errors by the delta method, the coefficients' as they are"""
    est = [math.exp(u) for u in v[:nbase]] + list(v[nbase:])
    se = [math.exp(v[i]) * math.sqrt(cov[i][i]) if i < nbase else math.sqrt(cov[i][i]) for i in range(len(v))]
    return est, se


def table_rows(path):
    text = open(path).read()
    block = text[text.index('INSERT INTO reference VALUES'):]
    return ROW.findall(block[:block.index(';')])


def main():
    if not os.path.exists(SAMPLE):
        print(f'covariates_reference: skipped, {SAMPLE} is not there')
        return 0
    data = list(customers())
    rows = []
    ll, v, cov = fit(lambda w: bgnbd_ll(w, data),
                     [math.log(0.243), math.log(4.414), math.log(0.793), math.log(2.426), 0.0, 0.0, 0.0])
    est, se = natural(v, cov, 4)
    rows += [('bgnbd', n, e, s_) for n, e, s_ in zip(NAMES['bgnbd'], est, se)]
    rows.append(('bgnbd', 'log_likelihood', ll, len(data)))
    ll, v, cov = fit(lambda w: mbgnbd_ll(w, data),
                     [math.log(0.243), math.log(4.414), math.log(0.793), math.log(2.426), 0.0, 0.0, 0.0])
    est, se = natural(v, cov, 4)
    rows += [('mbgnbd', n, e, s_) for n, e, s_ in zip(NAMES['mbgnbd'], est, se)]
    rows.append(('mbgnbd', 'log_likelihood', ll, len(data)))
    ll, v, cov = fit(lambda w: gammagamma_ll(w, data), [math.log(6.25), math.log(3.74), math.log(15.44), 0.0])
    est, se = natural(v, cov, 3)
    rows += [('gammagamma', n, e, s_) for n, e, s_ in zip(NAMES['gammagamma'], est, se)]
    rows.append(('gammagamma', 'log_likelihood', ll, sum(1 for c in data if c[0] > 0)))
    found = table_rows(TABLE)
    if sys.argv[1:] == ['--sql']:
        print(',\n'.join("    ('%s', '%s', %.12g, %.12g)" % row for row in rows
                         + [tuple([m, n] + [float(u) for u in rest]) for m, n, *rest in found if m == 'paretonbd']))
        return 0
    independent = [(m, n) for m, n, _, _ in rows]
    if [(m, n) for m, n, _, _ in found if m != 'paretonbd'] != independent:
        print(f'covariates_reference: the table names {found}, the fits {independent}')
        return 1
    worst_est = max(abs(float(e) - r[2]) / abs(r[2]) for (_, _, e, _), r in zip(found, rows))
    worst_se = max(abs(float(s_) - r[3]) / abs(r[3]) for (_, _, _, s_), r in zip(found, rows))
    print(f'covariates_reference: BG/NBD, MBG/NBD and Gamma-Gamma: the table is this fit of {len(data)} customers '
          f'to {worst_est:.1e} relative (estimates and log-likelihoods) and {worst_se:.1e} (standard errors)')

    # Pareto/NBD: the table's estimates are where this likelihood is stationary
    try:
        import mpmath as mp
    except ImportError:
        print('covariates_reference: Pareto/NBD skipped, mpmath is not installed (python3-mpmath)')
        return 0 if worst_est < 1e-6 and worst_se < 1e-5 else 1
    mp.mp.dps = 30
    pareto = {n: (float(e), float(s_)) for m, n, e, s_ in found if m == 'paretonbd'}
    if sorted(pareto) != sorted(NAMES['paretonbd'] + ('log_likelihood',)):
        print(f'covariates_reference: the Pareto/NBD rows are {sorted(pareto)}')
        return 1
    v = [math.log(pareto[n][0]) if i < 4 else pareto[n][0] for i, n in enumerate(NAMES['paretonbd'])]
    # standard errors in the optimizer's terms: of a log-parameter, se / value
    se = [pareto[n][1] / pareto[n][0] if i < 4 else pareto[n][1] for i, n in enumerate(NAMES['paretonbd'])]
    ll = paretonbd_ll(v, data)
    h = mp.mpf('1e-6')
    worst_step = 0
    for i in range(len(v)):
        up, down = list(v), list(v)
        up[i] += h
        down[i] -= h
        g = (paretonbd_ll(up, data) - paretonbd_ll(down, data)) / (2 * h)
        worst_step = max(worst_step, abs(float(g)) * se[i])
    ll_error = abs(float(ll) / pareto['log_likelihood'][0] - 1)
    print(f'covariates_reference: Pareto/NBD: the table\'s log-likelihood to {ll_error:.1e} relative, '
          f'stationary to {worst_step:.1e} (largest gradient x standard error)')
    return 0 if worst_est < 1e-6 and worst_se < 1e-5 and ll_error < 1e-9 and worst_step < 1e-3 else 1


if __name__ == '__main__':
    sys.exit(main())
