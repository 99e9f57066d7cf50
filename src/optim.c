/*
 * optim.c: BFGS with a backtracking (Armijo) line search, for the handful of
 * log-parameters of a model fit, and the observed information matrix at the
 * optimum for standard errors.
 *
 * The parameters are few (at most CLV_OPTIM_MAX_PARAMS), so the dense
 * inverse-Hessian update of plain BFGS costs nothing next to one pass over
 * the data; what matters is that every step is checked: a trial point
 * where the objective is not finite is treated as too far and the step is
 * shortened, and a fit that stops without meeting the gradient tolerance
 * says so.
 */
#include "clv.h"

#include "miscadmin.h"

#include "optim.h"

#define MAX_ITERATIONS 500
#define GRADIENT_TOLERANCE 1e-6
#define MAX_STEP 4.0			/* in log-parameter units: a factor of e^4 */
#define MAX_HALVINGS 60

/*
 * A fit whose parameters run off along a ridge (Pareto/NBD's s and beta
 * growing together when every customer's lifetime has about the same mean)
 * reaches points where its likelihood cannot be computed (the model gives
 * up on series that would not end in reasonable time) and then presses
 * against them: every line search must cut its step by 2^EDGE_HALVINGS or
 * more because the points beyond are not finite, and the fit would creep
 * along that edge in ever smaller steps, each a full pass over the data.
 * EDGE_ITERATIONS such iterations in a row end it, not converged.  A fit
 * heading for an optimum inside shortens its steps because of the
 * objective's curvature, not because the objective stops existing.
 */
#define EDGE_HALVINGS 10
#define EDGE_ITERATIONS 3

static double
dot(const double *a, const double *b, int n)
{
	double		sum = 0;

	for (int i = 0; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

static double
max_abs(const double *a, int n)
{
	double		m = 0;

	for (int i = 0; i < n; i++)
		m = Max(m, fabs(a[i]));
	return m;
}

/*
 * Minimise f from x (replaced by the solution).  inverse_hessian, when not
 * NULL, is an n x n approximation of the inverse Hessian to start from (a
 * fit of a coarser copy of the data hands its curvature on this way) and
 * receives the one BFGS ends with; NULL starts from the identity.
 * max_evaluations, unless CLV_OPTIM_ANY_EVALUATIONS, ends the minimisation,
 * not converged, at the first iteration that begins with f evaluated that
 * often (the line search before it may have gone up to MAX_HALVINGS past):
 * for a start that is only worth it while it is quick (fit.c's coarse start).
 */
ClvOptimResult
clv_minimize(clv_objective f, void *arg, double *x, int n, double *inverse_hessian, int max_evaluations)
{
	double		h[CLV_OPTIM_MAX_PARAMS][CLV_OPTIM_MAX_PARAMS];
	double		g[CLV_OPTIM_MAX_PARAMS],
				g_new[CLV_OPTIM_MAX_PARAMS],
				p[CLV_OPTIM_MAX_PARAMS],
				x_new[CLV_OPTIM_MAX_PARAMS],
				s[CLV_OPTIM_MAX_PARAMS],
				y[CLV_OPTIM_MAX_PARAMS],
				hy[CLV_OPTIM_MAX_PARAMS];
	ClvOptimResult result = {0};
	double		fx;
	int			stalled = 0;
	int			at_edge = 0;

	Assert(n > 0 && n <= CLV_OPTIM_MAX_PARAMS);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			h[i][j] = inverse_hessian ? inverse_hessian[i * n + j] : (i == j);
	fx = f(x, g, arg);
	result.evaluations = 1;
	if (!isfinite(fx))
	{
		result.value = fx;
		return result;
	}

	for (result.iterations = 0; result.iterations < MAX_ITERATIONS; result.iterations++)
	{
		double		slope;
		double		step = 1;
		double		length;
		double		f_new = 0;
		double		sy;
		bool		accepted = false;
		int			not_finite = 0;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, n) < GRADIENT_TOLERANCE)
		{
			result.converged = true;
			break;
		}
		if (max_evaluations != CLV_OPTIM_ANY_EVALUATIONS && result.evaluations >= max_evaluations)
			break;

		for (int i = 0; i < n; i++)
			p[i] = -dot(h[i], g, n);
		slope = dot(p, g, n);
		if (slope >= 0)
		{
			/* not a descent direction: restart from steepest descent */
			for (int i = 0; i < n; i++)
			{
				for (int j = 0; j < n; j++)
					h[i][j] = (i == j);
				p[i] = -g[i];
			}
			slope = -dot(g, g, n);
		}
		length = max_abs(p, n);
		if (length > MAX_STEP)
			step = MAX_STEP / length;

		for (int tries = 0; tries < MAX_HALVINGS; tries++)
		{
			CHECK_FOR_INTERRUPTS();
			for (int i = 0; i < n; i++)
				x_new[i] = x[i] + step * p[i];
			f_new = f(x_new, g_new, arg);
			result.evaluations++;
			if (isfinite(f_new) && f_new <= fx + 1e-4 * step * slope)
			{
				accepted = true;
				break;
			}
			not_finite += !isfinite(f_new);
			step *= 0.5;
		}
		at_edge = (not_finite >= EDGE_HALVINGS) ? at_edge + 1 : 0;
		if (!accepted || at_edge >= EDGE_ITERATIONS)
		{
			/*
			 * No decrease along the direction, or none but by creeping along
			 * the edge: at the optimum within rounding (or within what can
			 * be computed)?
			 */
			result.converged = max_abs(g, n) < 1e3 * GRADIENT_TOLERANCE;
			result.at_edge = !result.converged &&
				(at_edge >= EDGE_ITERATIONS || not_finite == MAX_HALVINGS);
			break;
		}

		/*
		 * Steps that no longer move f, at a gradient merely small: the
		 * gradient's own rounding is in the way of the tolerance.
		 */
		stalled = (fx - f_new <= 1e-14 * fabs(fx)) ? stalled + 1 : 0;
		if (stalled >= 10)
		{
			result.converged = max_abs(g_new, n) < 1e2 * GRADIENT_TOLERANCE;
			for (int i = 0; i < n; i++)
				x[i] = x_new[i];
			fx = f_new;
			break;
		}

		for (int i = 0; i < n; i++)
		{
			s[i] = x_new[i] - x[i];
			y[i] = g_new[i] - g[i];
			x[i] = x_new[i];
			g[i] = g_new[i];
		}
		fx = f_new;

		sy = dot(s, y, n);
		if (sy > 1e-12 * sqrt(dot(s, s, n) * dot(y, y, n)))
		{
			/* H <- (I - rho s y')H(I - rho y s') + rho s s' */
			double		rho = 1 / sy;
			double		yhy;

			for (int i = 0; i < n; i++)
				hy[i] = dot(h[i], y, n);
			yhy = dot(y, hy, n);
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					h[i][j] += rho * ((1 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
		}
	}
	result.value = fx;
	if (inverse_hessian != NULL)
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				inverse_hessian[i * n + j] = h[i][j];
	return result;
}

/*
 * Covariance of the estimates: the inverse of the Hessian of f at x, the
 * Hessian taken by forward differences of the analytic gradient from
 * gradient, f's gradient at x: n evaluations where central differences
 * take 2n.  The step, 1e-6 (relative, for parameters beyond 1), balances
 * the truncation error (half the step, relative) against the gradient's
 * rounding divided by the difference: on a million customers the standard
 * errors came within 7e-7 of central differences' (steps of 1e-5 and 1e-7
 * gave 5e-6 and 4e-6), for standard errors that are asymptotic
 * approximations anyway.  False when it is not positive definite (the
 * estimates are then not identified from the data and no standard errors
 * are given).
 */
bool
clv_inverse_hessian(clv_objective f, void *arg, const double *x, const double *gradient, int n,
					double *covariance)
{
	double		a[CLV_OPTIM_MAX_PARAMS][2 * CLV_OPTIM_MAX_PARAMS];
	double		xp[CLV_OPTIM_MAX_PARAMS],
				gp[CLV_OPTIM_MAX_PARAMS];

	for (int i = 0; i < n; i++)
		if (!isfinite(gradient[i]))
			return false;
	for (int j = 0; j < n; j++)
	{
		double		step = 1e-6 * Max(1, fabs(x[j]));

		CHECK_FOR_INTERRUPTS();

		memcpy(xp, x, n * sizeof(double));
		xp[j] = x[j] + step;
		/* the step as represented, so that the difference is divided by what was taken */
		step = xp[j] - x[j];
		if (!isfinite(f(xp, gp, arg)))
			return false;
		for (int i = 0; i < n; i++)
			a[i][j] = (gp[i] - gradient[i]) / step;
	}
	/* symmetrise, then Gauss-Jordan on [A | I] with partial pivoting */
	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j < i; j++)
			a[i][j] = a[j][i] = (a[i][j] + a[j][i]) / 2;
		for (int j = 0; j < n; j++)
			a[i][n + j] = (i == j);
	}
	for (int col = 0; col < n; col++)
	{
		int			pivot = col;

		for (int i = col + 1; i < n; i++)
			if (fabs(a[i][col]) > fabs(a[pivot][col]))
				pivot = i;
		if (!(fabs(a[pivot][col]) > 1e-300))
			return false;
		if (pivot != col)
			for (int j = 0; j < 2 * n; j++)
			{
				double		t = a[col][j];

				a[col][j] = a[pivot][j];
				a[pivot][j] = t;
			}
		for (int i = 0; i < n; i++)
		{
			double		factor;

			if (i == col)
				continue;
			factor = a[i][col] / a[col][col];
			for (int j = 0; j < 2 * n; j++)
				a[i][j] -= factor * a[col][j];
		}
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
		{
			covariance[i * n + j] = a[i][n + j] / a[i][i];
			if (!isfinite(covariance[i * n + j]))
				return false;
		}
	for (int i = 0; i < n; i++)
		if (!(covariance[i * n + i] > 0))
			return false;
	return true;
}
