-- sBG (Fader & Hardie 2007, 2010): the fits on the paper's two segments give
-- its published estimates; the projections follow from them; every score is
-- within 1e-10 of the 50-digit references of test/numerics/sbg_reference.py
-- (the papers' closed forms) or below double range where they are; a fit
-- over cohorts' survival counts is the fit over their subscribers, in
-- parallel too; and bad input is refused.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(27);

-- Fader & Hardie (2007), "How to project customer retention", Table 1:
-- subscribers of one cohort of 1,000 still there after 0 to 12 years
CREATE TEMP TABLE cohorts (segment text, survivors bigint[]);
INSERT INTO cohorts VALUES
    ('regular', '{1000,869,743,653,593,551,517,491,468,445,427,409,394}'),
    ('high end', '{1000,631,468,382,326,289,262,241,223,207,194,183,173}');

-- the paper fits years 1 to 7 and projects 8 to 12
CREATE TEMP TABLE fitted AS
SELECT segment, clv_fit_sbg(survivors[1:8]) AS m FROM cohorts GROUP BY segment;
SELECT is((SELECT ARRAY[round((p->>'alpha')::numeric, 3), round((p->>'beta')::numeric, 3),
                        round((p->>'log_likelihood')::numeric, 1)]
           FROM (SELECT clv_model_params(m) AS p FROM fitted WHERE segment = 'regular') q),
          ARRAY[0.668, 3.806, -1611.2], 'regular: the published alpha 0.668, beta 3.806, log-likelihood -1,611.2');
SELECT is((SELECT ARRAY[round((p->>'alpha')::numeric, 3), round((p->>'beta')::numeric, 3),
                        round((p->>'log_likelihood')::numeric, 1)]
           FROM (SELECT clv_model_params(m) AS p FROM fitted WHERE segment = 'high end') q),
          ARRAY[0.704, 1.182, -1680.3], 'high end: the published alpha 0.704, beta 1.182, log-likelihood -1,680.3');

-- the projections of years 8 to 12 against what happened
SELECT is((SELECT string_agg(format('%s:%s/%s', t, round(1000 * clv_sbg_survival(m, t)), survivors[t + 1]), ' ' ORDER BY t)
           FROM cohorts JOIN fitted USING (segment), generate_series(8, 12) t WHERE segment = 'regular'),
          '8:460/468 9:436/445 10:414/427 11:395/409 12:378/394',
          'regular: projected against actual subscribers in years 8 to 12');
SELECT is((SELECT string_agg(format('%s:%s/%s', t, round(1000 * clv_sbg_survival(m, t)), survivors[t + 1]), ' ' ORDER BY t)
           FROM cohorts JOIN fitted USING (segment), generate_series(8, 12) t WHERE segment = 'high end'),
          '8:220/223 9:204/207 10:191/194 11:180/183 12:170/173',
          'high end: projected against actual subscribers in years 8 to 12');
SELECT ok((SELECT bool_and(clv_sbg_retention(m, t) < clv_sbg_retention(m, t + 1)) FROM fitted, generate_series(1, 20) t),
          'retention rises with tenure');

-- the same subscribers one row each, and as (periods, churned, customers):
-- the same patterns, so the same model, bit for bit; two cohorts at once
CREATE TEMP TABLE subscribers AS
SELECT segment, t AS periods, true AS churned, survivors[t] - survivors[t + 1] AS customers
FROM cohorts, generate_series(1, 7) t
UNION ALL
SELECT segment, 7, false, survivors[8] FROM cohorts;
SELECT is((SELECT clv_fit_sbg(periods, churned)::text FROM subscribers, generate_series(1, customers)
           WHERE segment = 'regular'),
          (SELECT m::text FROM fitted WHERE segment = 'regular'), 'one row per subscriber fits the same model');
SELECT is((SELECT clv_fit_sbg(periods, churned, customers)::text FROM subscribers),
          (SELECT clv_fit_sbg(survivors[1:8])::text FROM cohorts),
          'counted rows of both segments fit what their two cohorts fit');
SELECT is((SELECT m::text::clv_model::text FROM fitted WHERE segment = 'regular'),
          (SELECT m::text FROM fitted WHERE segment = 'regular'), 'the model''s text round-trips');

-- in parallel
CREATE TABLE tap_subscribers AS
SELECT periods, churned FROM subscribers, generate_series(1, customers) ORDER BY md5(random()::text);
ALTER TABLE tap_subscribers SET (parallel_workers = 2);
ANALYZE tap_subscribers;
\ir ../include/force_parallel.psql
\ir ../include/plan_of.psql
SELECT matches(pg_temp.plan_of('SELECT clv_fit_sbg(periods, churned) FROM tap_subscribers'),
               'Partial Aggregate', 'the fit runs in parallel');
SELECT is((SELECT clv_fit_sbg(periods, churned)::text FROM tap_subscribers),
          (SELECT clv_fit_sbg(survivors[1:8])::text FROM cohorts), 'and gives the serial model');
RESET max_parallel_workers_per_gather;

-- the scores against the 50-digit references (values as text: some are
-- beyond even numeric's range)
CREATE TEMP TABLE reference (what text, alpha float8, beta float8, t float8, d float8, value text);
INSERT INTO reference VALUES
    ('survival', 0.704, 1.182, 0, 0, '1.0'),
    ('survival', 0.704, 1.182, 1, 0, '6.2672322375397667182e-1'),
    ('survival', 0.704, 1.182, 7, 0, '2.3905064169324441972e-1'),
    ('survival', 0.704, 1.182, 12, 0, '1.7006257680605060822e-1'),
    ('survival', 0.704, 1.182, 1000, 0, '8.0047040193076473863e-3'),
    ('survival', 0.704, 1.182, 1000000, 0, '6.1895766241813969688e-5'),
    ('retention', 0.704, 1.182, 1, 0, '6.2672322375397667182e-1'),
    ('retention', 0.704, 1.182, 7, 0, '9.1072787217854425968e-1'),
    ('retention', 0.704, 1.182, 1000, 0, '9.9929662319185201915e-1'),
    ('retention', 0.704, 1.182, 1000000, 0, '9.9999929600062374345e-1'),
    ('del', 0.704, 1.182, 0, 0.001, '2.1337313275266529916e+1'),
    ('derl', 0.704, 1.182, 0, 0.001, '2.0357650588541796447e+1'),
    ('derl', 0.704, 1.182, 6, 0.001, '6.8937938645019796297e+1'),
    ('derl', 0.704, 1.182, 1000, 0.001, '6.8501654122476679673e+2'),
    ('del', 0.704, 1.182, 0, 0.1, '3.6951474055745740929'),
    ('derl', 0.704, 1.182, 0, 0.1, '2.9646621461320315172'),
    ('derl', 0.704, 1.182, 6, 0.1, '6.5759661863375079544'),
    ('derl', 0.704, 1.182, 1000, 0.1, '1.0916383447387372279e+1'),
    ('del', 0.704, 1.182, 0, 10, '1.0612070635589263597'),
    ('derl', 0.704, 1.182, 0, 10, '6.7327769914818995633e-1'),
    ('derl', 0.704, 1.182, 6, 10, '9.9399732611317084774e-1'),
    ('derl', 0.704, 1.182, 1000, 10, '1.099149907970425468'),
    ('survival', 0.668, 3.806, 0, 0, '1.0'),
    ('survival', 0.668, 3.806, 1, 0, '8.5069289226642824652e-1'),
    ('survival', 0.668, 3.806, 7, 0, '4.889446208937257149e-1'),
    ('survival', 0.668, 3.806, 12, 0, '3.7804042018209041273e-1'),
    ('survival', 0.668, 3.806, 1000, 0, '2.3456415736421062667e-2'),
    ('survival', 0.668, 3.806, 1000000, 0, '2.3297787486495873157e-4'),
    ('retention', 0.668, 3.806, 1, 0, '8.5069289226642824652e-1'),
    ('retention', 0.668, 3.806, 7, 0, '9.3622302845140347216e-1'),
    ('retention', 0.668, 3.806, 1000, 0, '9.9933431259803442836e-1'),
    ('retention', 0.668, 3.806, 1000000, 0, '9.9999933200232062394e-1'),
    ('del', 0.668, 3.806, 0, 0.001, '5.300247067680140453e+1'),
    ('derl', 0.668, 3.806, 0, 0.001, '5.2054473147478205935e+1'),
    ('derl', 0.668, 3.806, 6, 0.001, '9.2658469215093551164e+1'),
    ('derl', 0.668, 3.806, 1000, 0.001, '6.9757777520010142873e+2'),
    ('del', 0.668, 3.806, 0, 0.1, '5.9225964076127638265'),
    ('derl', 0.668, 3.806, 0, 0.1, '5.4148560483740402365'),
    ('derl', 0.668, 3.806, 6, 0.1, '7.3450522592838511247'),
    ('derl', 0.668, 3.806, 1000, 0.1, '1.0920832758373332072e+1'),
    ('del', 0.668, 3.806, 0, 10, '1.0840570077745872948'),
    ('derl', 0.668, 3.806, 0, 10, '9.2462708552046024282e-1'),
    ('derl', 0.668, 3.806, 6, 10, '1.0239283416806689317'),
    ('derl', 0.668, 3.806, 1000, 10, '1.0991954535922082216'),
    ('survival', 1e-06, 1e-06, 0, 0, '1.0'),
    ('survival', 1e-06, 1e-06, 1, 0, '5.0e-1'),
    ('survival', 1e-06, 1e-06, 7, 0, '4.9999877500261916131e-1'),
    ('survival', 1e-06, 1e-06, 12, 0, '4.9999849006477599305e-1'),
    ('survival', 1e-06, 1e-06, 1000, 0, '4.9999625777980695545e-1'),
    ('survival', 1e-06, 1e-06, 1000000, 0, '4.9999280369015963776e-1'),
    ('retention', 1e-06, 1e-06, 1, 0, '5.0e-1'),
    ('retention', 1e-06, 1e-06, 7, 0, '9.9999983333338888887e-1'),
    ('retention', 1e-06, 1e-06, 1000, 0, '9.99999998998999001e-1'),
    ('retention', 1e-06, 1e-06, 1000000, 0, '9.99999999998999999e-1'),
    ('del', 1e-06, 1e-06, 0, 0.001, '5.0099654563618004462e+2'),
    ('derl', 1e-06, 1e-06, 0, 0.001, '5.0049654218181622468e+2'),
    ('derl', 1e-06, 1e-06, 6, 0.001, '1.0009953370901127036e+3'),
    ('derl', 1e-06, 1e-06, 1000, 0.001, '1.0009994023539226959e+3'),
    ('del', 1e-06, 1e-06, 0, 0.1, '5.9999880105512436968'),
    ('derl', 1e-06, 1e-06, 0, 0.1, '5.4999868116063680942'),
    ('derl', 1e-06, 1e-06, 6, 0.1, '1.0999989667806236048e+1'),
    ('derl', 1e-06, 1e-06, 1000, 0.1, '1.0999999880185358757e+1'),
    ('del', 1e-06, 1e-06, 0, 10, '1.0499999952345005432'),
    ('derl', 1e-06, 1e-06, 0, 10, '5.4999994757950597506e-1'),
    ('derl', 1e-06, 1e-06, 6, 10, '1.0999998011446391006'),
    ('derl', 1e-06, 1e-06, 1000, 10, '1.0999999987901208575'),
    ('survival', 1000000.0, 1000000.0, 0, 0, '1.0'),
    ('survival', 1000000.0, 1000000.0, 1, 0, '5.0e-1'),
    ('survival', 1000000.0, 1000000.0, 7, 0, '7.8125820314140622129e-3'),
    ('survival', 1000000.0, 1000000.0, 12, 0, '2.4414868172723413043e-4'),
    ('survival', 1000000.0, 1000000.0, 1000, 0, '1.1978852271917553922e-301'),
    ('survival', 1000000.0, 1000000.0, 1000000, 0, '1.4322787781599273911e-227244'),
    ('retention', 1000000.0, 1000000.0, 1, 0, '5.0e-1'),
    ('retention', 1000000.0, 1000000.0, 7, 0, '5.000014999955000135e-1'),
    ('retention', 1000000.0, 1000000.0, 1000, 0, '5.0024962531215657779e-1'),
    ('retention', 1000000.0, 1000000.0, 1000000, 0, '6.6666655555551851851e-1'),
    ('del', 1000000.0, 1000000.0, 0, 0, '2.000001000001000001'),
    ('derl', 1000000.0, 1000000.0, 0, 0, '1.000001000001000001'),
    ('derl', 1000000.0, 1000000.0, 6, 0, '1.000007000007000007'),
    ('derl', 1000000.0, 1000000.0, 1000, 0, '1.001001001001001001'),
    ('del', 1000000.0, 1000000.0, 0, 0.001, '1.9980049870349012901'),
    ('derl', 1000000.0, 1000000.0, 0, 0.001, '9.9900299202193619139e-1'),
    ('derl', 1000000.0, 1000000.0, 6, 0.001, '9.9900898005778669365e-1'),
    ('derl', 1000000.0, 1000000.0, 1000, 0.001, '1.0000009970069810538'),
    ('del', 1000000.0, 1000000.0, 0, 0.1, '1.8333339699077522106'),
    ('derl', 1000000.0, 1000000.0, 0, 0.1, '9.1666736689852743633e-1'),
    ('derl', 1000000.0, 1000000.0, 6, 0.1, '9.1667240856582430805e-1'),
    ('derl', 1000000.0, 1000000.0, 1000, 0.1, '9.175075751840197157e-1'),
    ('del', 1000000.0, 1000000.0, 0, 10, '1.0476190488068237272'),
    ('derl', 1000000.0, 1000000.0, 0, 10, '5.2380953687506099898e-1'),
    ('derl', 1000000.0, 1000000.0, 6, 10, '5.2381118312882722095e-1'),
    ('derl', 1000000.0, 1000000.0, 1000, 10, '5.240837826934446444e-1'),
    ('survival', 1.0, 1.0, 0, 0, '1.0'),
    ('survival', 1.0, 1.0, 1, 0, '5.0e-1'),
    ('survival', 1.0, 1.0, 7, 0, '1.25e-1'),
    ('survival', 1.0, 1.0, 12, 0, '7.6923076923076923077e-2'),
    ('survival', 1.0, 1.0, 1000, 0, '9.99000999000999001e-4'),
    ('survival', 1.0, 1.0, 1000000, 0, '9.99999000000999999e-7'),
    ('retention', 1.0, 1.0, 1, 0, '5.0e-1'),
    ('retention', 1.0, 1.0, 7, 0, '8.75e-1'),
    ('retention', 1.0, 1.0, 1000, 0, '9.99000999000999001e-1'),
    ('retention', 1.0, 1.0, 1000000, 0, '9.99999000000999999e-1'),
    ('del', 1.0, 1.0, 0, 0.001, '6.9156635340945357851'),
    ('derl', 1.0, 1.0, 0, 0.001, '5.921579197628630321'),
    ('derl', 1.0, 1.0, 6, 0.001, '3.0503091503360394626e+1'),
    ('derl', 1.0, 1.0, 1000, 0.001, '5.968382319201303548e+2'),
    ('del', 1.0, 1.0, 0, 0.1, '2.6376848000782075563'),
    ('derl', 1.0, 1.0, 0, 0.1, '1.801453280086028321'),
    ('derl', 1.0, 1.0, 6, 0.1, '5.4441287869240578893'),
    ('derl', 1.0, 1.0, 1000, 0.1, '1.0881580241524503136e+1'),
    ('del', 1.0, 1.0, 0, 10, '1.0484119778475734605'),
    ('derl', 1.0, 1.0, 0, 10, '5.3253175632330806532e-1'),
    ('derl', 1.0, 1.0, 6, 10, '9.5201379838318898241e-1'),
    ('derl', 1.0, 1.0, 1000, 10, '1.09879265589232105'),
    ('survival', 2.5, 0.01, 0, 0, '1.0'),
    ('survival', 2.5, 0.01, 1, 0, '3.9840637450199204013e-3'),
    ('survival', 2.5, 0.01, 7, 0, '8.0999256590949227173e-5'),
    ('survival', 2.5, 0.01, 12, 0, '2.3227717698100406934e-5'),
    ('survival', 2.5, 0.01, 1000, 0, '4.2495922519463416329e-10'),
    ('survival', 2.5, 0.01, 1000000, 0, '1.3463905207657634571e-17'),
    ('retention', 2.5, 0.01, 1, 0, '3.9840637450199204013e-3'),
    ('retention', 2.5, 0.01, 7, 0, '7.0622796709753231493e-1'),
    ('retention', 2.5, 0.01, 1000, 0, '9.9750376930834439996e-1'),
    ('retention', 2.5, 0.01, 1000000, 0, '9.999975000037749943e-1'),
    ('del', 2.5, 0.01, 0, 0, '1.0066666666666666668'),
    ('derl', 2.5, 0.01, 0, 0, '6.6666666666666668054e-3'),
    ('derl', 2.5, 0.01, 6, 0, '4.0066666666666666668'),
    ('derl', 2.5, 0.01, 1000, 0, '6.6667333333333333333e+2'),
    ('del', 2.5, 0.01, 0, 0.001, '1.0066475190169456293'),
    ('derl', 2.5, 0.01, 0, 0.001, '6.6541665359625749547e-3'),
    ('derl', 2.5, 0.01, 6, 0.001, '3.9584805148280084415'),
    ('derl', 2.5, 0.01, 1000, 0.001, '3.4389809777328333669e+2'),
    ('del', 2.5, 0.01, 0, 0.1, '1.0054614706640526686'),
    ('derl', 2.5, 0.01, 0, 0.1, '6.0076177304579355153e-3'),
    ('derl', 2.5, 0.01, 6, 0.1, '2.4832060710223511704'),
    ('derl', 2.5, 0.01, 1000, 0.1, '1.0708334207412934761e+1'),
    ('del', 2.5, 0.01, 0, 10, '1.0003720661567903945'),
    ('derl', 2.5, 0.01, 0, 10, '4.0927277246943393815e-3'),
    ('derl', 2.5, 0.01, 6, 10, '7.5708342985336834152e-1'),
    ('derl', 2.5, 0.01, 1000, 10, '1.0969836256739630454'),
    ('survival', 0.01, 1000.0, 0, 0, '1.0'),
    ('survival', 0.01, 1000.0, 1, 0, '9.9999000009999900001e-1'),
    ('survival', 0.01, 1000.0, 7, 0, '9.9993021187760293927e-1'),
    ('survival', 0.01, 1000.0, 12, 0, '9.9988066269789754235e-1'),
    ('survival', 0.01, 1000.0, 1000, 0, '9.9309003693397355168e-1'),
    ('survival', 0.01, 1000.0, 1000000, 0, '9.3324035727298768737e-1'),
    ('retention', 0.01, 1000.0, 1, 0, '9.9999000009999900001e-1'),
    ('retention', 0.01, 1000.0, 7, 0, '9.9999005974095684934e-1'),
    ('retention', 0.01, 1000.0, 1000, 0, '9.9999499752377426826e-1'),
    ('retention', 0.01, 1000.0, 1000000, 0, '9.9999999000998012975e-1'),
    ('del', 0.01, 1000.0, 0, 0.001, '9.9505607329920518586e+2'),
    ('derl', 0.01, 1000.0, 0, 0.001, '9.9505012937250439107e+2'),
    ('derl', 0.01, 1000.0, 6, 0.001, '9.9507410463807000171e+2'),
    ('derl', 0.01, 1000.0, 1000, 0.001, '9.973897578791598389e+2'),
    ('del', 0.01, 1000.0, 0, 0.1, '1.0998910893470113547e+1'),
    ('derl', 0.01, 1000.0, 0, 0.1, '1.0998801982817124957e+1'),
    ('derl', 0.01, 1000.0, 6, 0.1, '1.0998809058437943688e+1'),
    ('derl', 0.01, 1000.0, 1000, 0.1, '1.099939802651052099e+1'),
    ('del', 0.01, 1000.0, 0, 10, '1.0999989001219644254'),
    ('derl', 0.01, 1000.0, 0, 10, '1.0999879013416086798'),
    ('derl', 0.01, 1000.0, 6, 10, '1.0999879734926599074'),
    ('derl', 0.01, 1000.0, 1000, 10, '1.0999939503355884555'),
    ('survival', 5.0, 20.0, 0, 0, '1.0'),
    ('survival', 5.0, 20.0, 1, 0, '8.0e-1'),
    ('survival', 5.0, 20.0, 7, 0, '2.5015449264615004326e-1'),
    ('survival', 5.0, 20.0, 12, 0, '1.1274509803921568627e-1'),
    ('survival', 5.0, 20.0, 1000, 0, '4.5746581796313953976e-9'),
    ('survival', 5.0, 20.0, 1000000, 0, '5.0999189842530825097e-24'),
    ('retention', 5.0, 20.0, 1, 0, '8.0e-1'),
    ('retention', 5.0, 20.0, 7, 0, '8.3870967741935483871e-1'),
    ('retention', 5.0, 20.0, 1000, 0, '9.951171875e-1'),
    ('retention', 5.0, 20.0, 1000000, 0, '9.9999500011999712007e-1'),
    ('del', 5.0, 20.0, 0, 0, '6.0'),
    ('derl', 5.0, 20.0, 0, 0, '5.0'),
    ('derl', 5.0, 20.0, 6, 0, '6.5'),
    ('derl', 5.0, 20.0, 1000, 0, '2.55e+2'),
    ('del', 5.0, 20.0, 0, 0.001, '5.9604506021759873643'),
    ('derl', 5.0, 20.0, 0, 0.001, '4.9654110527781633518'),
    ('derl', 5.0, 20.0, 6, 0.001, '6.4423542808413281681'),
    ('derl', 5.0, 20.0, 1000, 0.001, '1.9449564530655488642e+2'),
    ('del', 5.0, 20.0, 0, 0.1, '3.9277684016512050276'),
    ('derl', 5.0, 20.0, 0, 0.1, '3.2205452418163255466'),
    ('derl', 5.0, 20.0, 6, 0.1, '3.8217265792718396778'),
    ('derl', 5.0, 20.0, 1000, 0.1, '1.0442089084558950008e+1'),
    ('del', 5.0, 20.0, 0, 10, '1.0784948946875482701'),
    ('derl', 5.0, 20.0, 0, 10, '8.6344384156303097164e-1'),
    ('derl', 5.0, 20.0, 6, 10, '9.0842214358194586421e-1'),
    ('derl', 5.0, 20.0, 1000, 10, '1.0941010103434860201');

CREATE TEMP TABLE scored AS
SELECT r.*, coalesce(nullif(split_part(value, 'e', 2), ''), '0')::int >= -300 AS representable,
       CASE what
           WHEN 'survival' THEN clv_sbg_survival(m, t)
           WHEN 'retention' THEN clv_sbg_retention(m, t)
           WHEN 'del' THEN clv_sbg_expected_payments(m, d)
           WHEN 'derl' THEN clv_sbg_expected_payments(m, d, t)
       END AS got
FROM reference r,
     LATERAL (SELECT format('kind=sbg alpha=%s beta=%s log_likelihood=0 customers=1 iterations=0 '
                            'converged=true penalizer=0', alpha, beta)::clv_model AS m) q;
SELECT is((SELECT count(*) FROM scored), 188::bigint, 'every reference is scored');
SELECT cmp_ok((SELECT max(abs(got::numeric - value::numeric) / value::numeric) FROM scored WHERE representable),
              '<=', 1e-10::numeric, 'each score within 1e-10 relative of the reference');
SELECT is((SELECT count(*) FROM scored WHERE NOT representable AND NOT got < 1e-299), 0::bigint,
          'below 1e-300, at most that');

-- two ways to the same numbers
SELECT cmp_ok((SELECT max(abs(clv_sbg_expected_payments(m, 0.1)
                              / (SELECT sum(clv_sbg_survival(m, t) / 1.1 ^ t) FROM generate_series(0, 2000) t) - 1))
               FROM fitted),
              '<=', 1e-12::float8, 'a new subscriber''s discounted payments: the series and the sum of survivals');
SELECT cmp_ok((SELECT max(abs(clv_sbg_expected_payments(m, 0.1) / (1 + clv_sbg_expected_payments(m, 0.1, 0) / 1.1) - 1))
               FROM fitted),
              '<=', 1e-14::float8, 'DEL is the first payment and the discounted DERL after no renewal');
SELECT cmp_ok((SELECT abs(clv_sbg_expected_payments('kind=sbg alpha=3 beta=5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0', 0, 4)
                          - (5 + 4) / (3 - 1.0))),
              '<=', 1e-14::float8, 'at no discount, the expected residual lifetime (beta + renewals) / (alpha - 1)');

-- bad input
SELECT throws_ok($$SELECT clv_fit_sbg(s) FROM (VALUES ('{1000,800,900}'::bigint[])) v(s)$$, '22023',
                 'survivors must not increase', 'survivors that increase');
SELECT throws_ok($$SELECT clv_fit_sbg(s) FROM (VALUES ('{1000,NULL,900}'::bigint[])) v(s)$$, '22023',
                 'survivors must be counts, not NULL or negative', 'a NULL count');
SELECT throws_ok($$SELECT clv_fit_sbg(s) FROM (VALUES ('{{1000,800},{700,600}}'::bigint[])) v(s)$$, '2202E',
                 'survivors must be a one-dimensional array', 'a two-dimensional array');
SELECT throws_ok($$SELECT clv_fit_sbg(s) FROM (VALUES ('[0:2]={1000,800,700}'::bigint[])) v(s)$$, '2202E',
                 'survivors must start at subscript 1', 'the position of a count is its period');
SELECT throws_ok($$SELECT clv_fit_sbg(0, true)$$, '22023',
                 'a subscriber who churned was there for at least 1 period', 'churned before paying');
SELECT throws_ok($$SELECT clv_fit_sbg(2.5, false)$$, '22023',
                 'periods must be a whole number from 0 to 1000000', 'part of a period');
SELECT throws_ok($$SELECT clv_fit_sbg(3, false, 10)$$, '22000', 'sBG cannot be fitted without churn', 'nobody left');
SELECT throws_ok($$SELECT clv_sbg_expected_payments(m, 0.0001) FROM fitted WHERE segment = 'regular'$$, '22023',
                 'discount_rate must be 0 or from 0.001 to 1e6 per period', 'a discount rate too small to sum');
SELECT throws_ok($$SELECT clv_sbg_expected_payments(m, 0) FROM fitted WHERE segment = 'regular'$$, '22023',
                 'the expected lifetime is infinite when alpha is at most 1', 'an infinite expected lifetime');
SELECT throws_ok($$SELECT clv_sbg_survival('kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=0 customers=1 iterations=0 converged=true penalizer=0', 1)$$,
                 '22023', 'this function needs a sbg model, not bgnbd', 'another kind of model');
SELECT ok((SELECT clv_fit_sbg(s) IS NULL FROM (VALUES ('{}'::bigint[]), ('{0,0,0}'::bigint[])) v(s)),
          'cohorts of nobody fit nothing');

SELECT * FROM finish();
ROLLBACK;
