"""How likely are two demo runs on different seed sets to give the same verdicts? A power check from finished runs.

Pools the per-seed results of finished `bootwm demo` runs (their `results.json`; default preset, same settings,
different seeds) and judges every claim on the whole pool with the demo's own code (`bootwm.demo._claims`,
`_claim_i`). For a seed-set size S it then gives, from a normal model of the per-seed differences (mean and SD
over the pool; the demo's interval is about mean +- 1.96 SD/sqrt(S)), the chance that a run of S seeds says
"reproduced" and the chance that two independent runs give the same verdict. As a check on the model, it draws
pairs of disjoint S-seed sets from the pool at the smallest S and counts how often the demo's verdicts agree
(disjoint sets drawn from one small pool are negatively dependent, so at S near half the pool this count is low).

Usage: .venv/bin/python bench/flips.py DIR [DIR ...] [--draws N] [--sizes 5,10,20]
"""
import json, sys
import numpy as np

def pool(dirs):
    "Merged `{(seed, job): result}` and the seeds, from the `results.json` of several demo runs"
    res, cfgs = {}, []
    for d in dirs:
        r = json.load(open(f'{d}/results.json')); cfgs.append({k: v for k, v in r['config'].items() if k not in ('seeds', 'first_seed', 'seeds_i', 'raw_seeds')})
        for k, v in r['runs'].items(): s, job = k.split('/'); res[int(s[1:]), job] = _first_last(v)
    if any(c != cfgs[0] for c in cfgs): raise SystemExit('flips: the runs differ in settings other than their seeds')
    if cfgs[0]['preset'] != 'default': raise SystemExit('flips: default preset only')
    return res, sorted({s for s, job in res if job == 'data'})      # the full seeds (not claim (i)'s extra ones)

def _first_last(v):
    "Runs written while claim (i)'s probe ran at every check keep only its first and last (what the demo keeps now)"
    p = v.get('same_budget', v).get('preference')
    if isinstance(p, list):
        curve = v.get('same_budget', v)['curve']
        v.get('same_budget', v)['preference'] = dict(steps=[curve[0]['step'], curve[-1]['step']], items=[p[0], p[-1]])
    return v

def judge(res, S, n):
    "The four judged differences of the seeds `S` (the demo's own code)"
    from bootwm.demo import _claims, _claim_i, _Seeds
    c = _claims(_Seeds(res, S), n); c['i'] = _claim_i(res, S, n)
    return {'(i)': c['i'], '(ii) control': c['ii']['control'], '(ii)': c['ii'], '(iii)': c['iii'], '(iv)': c['iv']}

def chances(m, sd, S):
    "Normal model of S per-seed differences (mean m, SD sd): P(reproduced), P(contradicted), P(two independent sets agree)"
    from scipy.stats import norm
    z = m / (sd / np.sqrt(S)); r, c = norm.cdf(z - 1.96), norm.cdf(-z - 1.96)
    return r, c, r*r + c*c + (1 - r - c)**2

def main():
    a = sys.argv[1:]; opt = lambda k, d: a[a.index(k)+1] if k in a else d
    draws, sizes = int(opt('--draws', 100)), [int(x) for x in opt('--sizes', '5,10,20').split(',')]
    dirs = [x for i, x in enumerate(a) if not x.startswith('--') and (i == 0 or not a[i-1].startswith('--'))]
    res, seeds = pool(dirs); rng = np.random.default_rng(0)
    full = judge(res, seeds, 2000); S0 = min(sizes)
    per = {k: np.array(v['per_seed']) for k, v in full.items()}
    same = {k: [] for k in full}
    for _ in range(draws if 2*S0 <= len(seeds) else 0):         # an empirical check at the smallest size: disjoint sets
        p = rng.permutation(seeds); v1, v2 = judge(res, sorted(p[:S0]), 500), judge(res, sorted(p[S0:2*S0]), 500)
        for k in full: same[k].append(v1[k]['verdict'] == v2[k]['verdict'])
    print(f'pool: {len(seeds)} seeds ({seeds[0]}-{seeds[-1]}); empirical: {draws} pairs of disjoint {S0}-seed sets from the pool\n')
    print('| claim | all pooled seeds | per-seed mean / SD | ' + ' | '.join(f'S={S}: P(reproduced) / P(same verdict)' for S in sizes)
          + f' | S={S0}, disjoint draws: same verdict | S for P(reproduced) >= 0.9 |')
    print('|---|---|---|' + '---|'*len(sizes) + '---|---|')
    for k, v in full.items():
        m, sd = per[k].mean(), per[k].std(ddof=1)
        need = next((S for S in range(2, 1000) if chances(m, sd, S)[0] >= .9), '>1000')
        cells = [f'{r:.2f} / {g:.2f}' for r, _, g in (chances(m, sd, S) for S in sizes)]
        emp = f'{np.mean(same[k]):.2f}' if same[k] else '--'
        print(f"| {k} | {v['verdict']} {v['diff']:+.3f} [{v['lo']:+.3f}, {v['hi']:+.3f}] | {m:+.3f} / {sd:.3f} | "
              + ' | '.join(cells) + f' | {emp} | {need} |')

if __name__ == '__main__': main()
