"""The LLM judge against a loopback server that speaks the chat-completions protocol: retries on 429 / 5xx /
timeouts, no retry on 401, malformed and out-of-range replies kept as failures, the disk cache, the bound on
requests in flight, resumable runs, and the API key kept out of files, logs and errors."""
import json, logging, subprocess, sys
from dataclasses import asdict
from pathlib import Path
import numpy as np, pytest
from bootwm.core import BootwmError, Transition
from bootwm.judge import Judge, JudgeConfig, JudgeError
from bootwm.judge_runs import JudgeItem, aggregate, copy_items, judge_items, predicted_items, read_verdicts
from judge_server import LocalJudgeServer
from bootwm.toyworld import random_scene, render

KEY = 'sk-test-very-secret-0123456789'
BENCH = Path(__file__).resolve().parents[2]/'shared'/'data'/'aurora-bench-sample'

def answer(es, me, reason='ok'): return dict(editing_success=es, minimal_editing=me, reason=reason)

@pytest.fixture
def imgs(tmp_path):
    "Four distinct toy-world images saved as PNG files"
    paths = []
    for i in range(4):
        p = tmp_path/f'img{i}.png'; render(random_scene(np.random.default_rng(i))).save(p); paths.append(p)
    return paths

def make_judge(srv, tmp_path, **kw):
    kw = dict(base_url=srv.url, api_key=KEY, cache_dir=str(tmp_path/'cache'), timeout=5.0) | kw
    return Judge(JudgeConfig(**kw))

def tokens(srv, k): return sum(r.get('usage', {}).get(k, 0) for r in srv.requests)

def test_scores_tally_and_cache(tmp_path, imgs):
    with LocalJudgeServer(answer=lambda p, i: answer(7, 9), key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        vs = [j.judge(imgs[0], imgs[i], f'action {i}', f'id{i}') for i in (1, 2, 3)]
        assert [(v.es, v.me, v.score, v.failure, v.cached) for v in vs] == [(7, 9, 7, None, False)]*3
        assert asdict(j.tally) == dict(requests=3, retries=0, cache_hits=0, failures=0,
                                       prompt_tokens=tokens(srv, 'prompt_tokens'), completion_tokens=tokens(srv, 'completion_tokens'))
        assert j.tally.prompt_tokens > 0 and j.tally.completion_tokens > 0
        assert len(list((tmp_path/'cache').rglob('*.json'))) == 3
        j2 = make_judge(srv, tmp_path)                                    # a rerun with a fresh judge
        again = [j2.judge(imgs[0], imgs[i], f'action {i}', f'id{i}') for i in (1, 2, 3)]
        assert len(srv.requests) == 3 and j2.tally.requests == 0 and j2.tally.cache_hits == 3
        assert [(v.score, v.cached) for v in again] == [(7, True)]*3
        j2.judge(imgs[0], imgs[1], 'action 1 (reworded)', 'id1')           # another prompt is another key
        j2.judge(imgs[1], imgs[1], 'action 1', 'id1')                       # another image is another key
        assert len(srv.requests) == 5

def test_429_honours_retry_after(tmp_path, imgs):
    with LocalJudgeServer(answer=lambda p, i: answer(8, 8), script={'act': [dict(status=429, headers={'Retry-After': '1.5'})]}, key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        v = j.judge(imgs[0], imgs[1], 'act', 'a')
    assert (v.score, v.failure) == (8, None)
    assert (j.tally.requests, j.tally.retries, len(srv.requests)) == (2, 1, 2)
    assert srv.requests[1]['t'] - srv.requests[0]['t'] >= 1.5            # waited as asked (its own backoff would be 0.5 s at most)
    assert [r['step'].get('status', 200) for r in srv.requests] == [429, 200]

def test_5xx_then_success(tmp_path, imgs):
    with LocalJudgeServer(answer=lambda p, i: answer(4, 6), script={'act': [dict(status=500), dict(status=503)]}, key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        v = j.judge(imgs[0], imgs[1], 'act', 'a')
    assert (v.es, v.me, v.score) == (4, 6, 4)
    assert (j.tally.requests, j.tally.retries, j.tally.failures) == (3, 2, 0)

def test_timeout_then_success(tmp_path, imgs):
    with LocalJudgeServer(answer=lambda p, i: answer(6, 7), script={'act': [dict(delay=1.5)]}, key=KEY) as srv:
        j = make_judge(srv, tmp_path, timeout=0.3)
        v = j.judge(imgs[0], imgs[1], 'act', 'a')
    assert (v.score, v.failure) == (6, None)
    assert (j.tally.requests, j.tally.retries) == (2, 1)

def test_retries_exhausted_is_a_recorded_failure_not_cached(tmp_path, imgs):
    with LocalJudgeServer(answer=lambda p, i: answer(9, 9), script={'act': [dict(status=500)]*3}, key=KEY) as srv:
        j = make_judge(srv, tmp_path, max_retries=2)
        v = j.judge(imgs[0], imgs[1], 'act', 'a')
        assert (v.score, v.failure, j.tally.requests, j.tally.retries, j.tally.failures) == (None, 'http', 3, 2, 1)
        assert 'HTTP 500' in v.error and 'scripted 500' in v.raw
        assert not list((tmp_path/'cache').rglob('*.json'))               # a transport failure is not an answer
        v = j.judge(imgs[0], imgs[1], 'act', 'a')                          # the server has recovered
        assert (v.score, v.cached) == (9, False)

def test_connection_refused_is_retried_then_recorded(tmp_path, imgs):
    srv = LocalJudgeServer().start(); url = srv.url; srv.stop()           # a port nobody listens on any more
    j = Judge(JudgeConfig(base_url=url, cache_dir=None, max_retries=2, timeout=2))
    v = j.judge(imgs[0], imgs[1], 'act', 'a')
    assert (v.failure, j.tally.requests, j.tally.retries) == ('connection', 3, 2)

def test_malformed_and_out_of_range_are_failures_with_raw_text(tmp_path, imgs):
    script = {'vague': [dict(content='I think 7/10')], 'big': [dict(content='{"editing_success": 11, "minimal_editing": 4}')],
              'fenced': [dict(content='```json\n{"editing_success": 3, "minimal_editing": 8, "reason": "r"}\n```')],
              'html': [dict(body=b'<html>gateway</html>')]}
    with LocalJudgeServer(script=script, key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        vague, big, fenced, html = (j.judge(imgs[0], imgs[1], a, a) for a in ('vague', 'big', 'fenced', 'html'))
        assert (vague.failure, vague.raw, vague.score) == ('malformed', 'I think 7/10', None)
        assert (big.failure, big.score) == ('out_of_range', None) and '"editing_success": 11' in big.raw
        assert (fenced.es, fenced.me, fenced.score, fenced.failure) == (3, 8, 3, None)
        assert (html.failure, html.raw) == ('bad_response', '<html>gateway</html>')
        assert (j.tally.failures, j.tally.retries) == (3, 0)              # a reply is not retried
        again = [j.judge(imgs[0], imgs[1], a, a) for a in ('vague', 'big')]
        assert len(srv.requests) == 4 and [(v.failure, v.cached) for v in again] == [('malformed', True), ('out_of_range', True)]
    agg = aggregate([vague, big, fenced])
    assert (agg['score'], agg['scored'], agg['failed'], agg['failures']) == (3, 1, 2, dict(malformed=1, out_of_range=1))

def test_401_fails_at_once_and_never_shows_the_key(tmp_path, imgs, caplog):
    caplog.set_level(logging.DEBUG)
    with LocalJudgeServer(key='sk-the-right-one') as srv:
        j = make_judge(srv, tmp_path)
        with pytest.raises(JudgeError) as e: j.judge(imgs[0], imgs[1], 'act', 'a')
        assert len(srv.requests) == 1 and j.tally.retries == 0
        assert 'HTTP 401' in str(e.value) and 'Incorrect API key provided: [api key]' in str(e.value)   # the server echoed it
        items = [JudgeItem(str(i), imgs[0], imgs[i], f'act {i}') for i in (1, 2, 3)]
        with pytest.raises(JudgeError): judge_items(j, items, tmp_path/'v.jsonl', progress=False)
    assert KEY not in str(e.value) and KEY not in repr(j) and KEY not in caplog.text

def test_key_absent_from_cache_verdicts_and_logs(tmp_path, imgs, caplog):
    caplog.set_level(logging.DEBUG)
    script = {'act 1': [dict(status=429, headers={'Retry-After': '0'})], 'act 2': [dict(content='I think 7/10')], 'act 3': [dict(status=400)]}
    with LocalJudgeServer(script=script, key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        vs = judge_items(j, [JudgeItem(str(i), imgs[0], imgs[i], f'act {i}') for i in (1, 2, 3)], tmp_path/'out'/'v.jsonl', progress=False)
        assert all(r['authorized'] for r in srv.requests)                 # the key was sent...
    assert [v.failure for v in vs] == [None, 'malformed', 'http'] and 'after retry 1/' in caplog.text
    hits = subprocess.run(['grep', '-r', '-l', KEY, str(tmp_path)], capture_output=True, text=True)
    assert hits.returncode == 1 and hits.stdout == ''                     # ...and written nowhere
    assert KEY not in caplog.text

def test_in_flight_bound(tmp_path, imgs):
    with LocalJudgeServer(script={'act': [dict(delay=0.15)]*12}, key=KEY) as srv:
        j = make_judge(srv, tmp_path, max_in_flight=3)
        items = [JudgeItem(str(i), imgs[0], imgs[1], f'act {i}') for i in range(12)]
        vs = judge_items(j, items, tmp_path/'v.jsonl', progress=False)
    assert len(srv.requests) == 12 and all(v.ok for v in vs)
    assert 2 <= srv.max_in_flight <= 3                                    # parallel, and never past the bound

def test_judge_items_resumes(tmp_path, imgs):
    out = tmp_path/'v.jsonl'
    items = [JudgeItem(str(i), imgs[0], imgs[i % 3 + 1], f'act {i}', system='s') for i in range(6)]
    script = {'act 2': [dict(status=503)]*2, 'act 4': [dict(content='no idea')]}
    with LocalJudgeServer(answer=lambda p, i: answer(5, 10), script=script, key=KEY) as srv:
        j = make_judge(srv, tmp_path, max_retries=1, cache_dir=None)
        first = judge_items(j, items, out, progress=False)
        assert [v.failure for v in first] == [None, None, 'http', None, 'malformed', None]
        with open(out, 'a') as f: f.write('{"id": "half a ro')             # as if killed mid-write
        second = judge_items(j, items, out, progress=False)             # only the transport failure is asked again
        assert len(srv.requests) == 7 + 1 and [v.failure for v in second] == [None]*4 + ['malformed', None]
        assert len(read_verdicts(out)) == 6 and len(out.read_text().splitlines()) == 7
        third = judge_items(j, items, out, progress=False)
        assert len(srv.requests) == 8 and third == second
        assert aggregate(third) == dict(n=6, scored=5, failed=1, score=5, es=5, me=10, failures=dict(malformed=1))
        with pytest.raises(BootwmError, match='not .gpt-x.'): judge_items(make_judge(srv, tmp_path, model='gpt-x'), items, out, progress=False)

def test_bad_items_fail_before_any_request(tmp_path, imgs):
    with LocalJudgeServer(key=KEY) as srv:
        j = make_judge(srv, tmp_path)
        items = [JudgeItem('a', imgs[0], tmp_path/'missing.png', 'act'), JudgeItem('a', imgs[0], imgs[1], ' ')]
        with pytest.raises(BootwmError) as e: judge_items(j, items, tmp_path/'v.jsonl', progress=False)
    assert 'missing.png: image not found' in str(e.value) and "id='a' system=None: duplicate" in str(e.value)
    assert "action=' ': empty" in str(e.value) and len(srv.requests) == 0

def test_config(monkeypatch, tmp_path):
    monkeypatch.setenv('OPENAI_BASE_URL', 'http://example.test/v1/'); monkeypatch.setenv('OPENAI_API_KEY', KEY)
    cfg = JudgeConfig(cache_dir=None)
    assert (cfg.base_url, cfg.model, cfg.temperature, cfg._key) == ('http://example.test/v1', 'gpt-4o-2024-11-20', 0.0, KEY)
    assert KEY not in repr(cfg) and KEY not in json.dumps(asdict(cfg))
    assert JudgeConfig(api_key='other', base_url='https://x/v1')._key == 'other'
    for bad in [dict(timeout=0), dict(max_retries=-1), dict(detail='medium'), dict(temperature=3)]:
        with pytest.raises(BootwmError, match=f'JudgeConfig.{next(iter(bad))}='): JudgeConfig(**bad)
    with pytest.raises(BootwmError, match='not both'): Judge(cfg, model='x')

@pytest.mark.skipif(not BENCH.exists(), reason='AURORA-Bench sample not present')
def test_aurora_bench_sample_copy_baseline(tmp_path):
    from bootwm.datasets import read_aurora_bench
    rows = [r for r in read_aurora_bench(BENCH/'test.json') if r.tgt][:5]
    (tmp_path/'preds.jsonl').write_text(''.join(json.dumps(dict(id=r.id, system='gold', pred=str(BENCH/r.tgt))) + '\n' for r in rows))
    items = copy_items(rows, BENCH) + predicted_items(rows, BENCH, tmp_path/'preds.jsonl')
    copy = lambda p, imgs: answer(0, 10) if imgs[0] == imgs[1] else answer(10, 8)
    with LocalJudgeServer(answer=copy, key=KEY) as srv:
        vs = judge_items(make_judge(srv, tmp_path), items, tmp_path/'v.jsonl', progress=False)
    import hashlib
    sent = {r['action']: r['images'] for r in srv.requests}
    for r in rows:                                                         # real files went byte for byte, source first
        assert hashlib.sha256((BENCH/r.src).read_bytes()).hexdigest() in [h[0] for a, h in sent.items() if a == ' '.join(r.action.split())]
    agg = aggregate(vs, by='system')
    assert (agg['copy']['score'], agg['gold']['score'], agg['gold']['n']) == (0, 8, 5)

def test_reask_asks_unscorable_answers_again(tmp_path, imgs):
    script = {'vague': [dict(content='I think 7/10'), dict(content='{"editing_success": 7, "minimal_editing": 6}')]}
    with LocalJudgeServer(script=script, key=KEY) as srv:
        items, out = [JudgeItem('a', imgs[0], imgs[1], 'vague')], tmp_path/'v.jsonl'
        assert judge_items(make_judge(srv, tmp_path), items, out, progress=False)[0].failure == 'malformed'
        assert judge_items(make_judge(srv, tmp_path), items, out, progress=False)[0].failure == 'malformed'   # kept
        v = judge_items(make_judge(srv, tmp_path, reask=True), items, out, progress=False)[0]
        assert (v.score, len(srv.requests)) == (6, 2)
        assert judge_items(make_judge(srv, tmp_path, reask=True), items, out, progress=False)[0].score == 6
        assert len(srv.requests) == 2

def test_dead_endpoint_mid_run_stops_after_a_streak(tmp_path, imgs):
    srv = LocalJudgeServer().start(); url = srv.url; srv.stop()
    j = Judge(JudgeConfig(base_url=url, cache_dir=None, max_retries=1, timeout=2, stop_after=3, max_in_flight=1))
    items = [JudgeItem(f'i{n}', imgs[0], imgs[1], f'act {n}') for n in range(20)]
    with pytest.raises(JudgeError, match='3 items in a row failed to reach the judge'): judge_items(j, items, tmp_path/'v.jsonl', progress=False)
    assert j.tally.requests <= 10                        # not 40: the other items were never sent
    assert all(v.failure == 'connection' for v in read_verdicts(tmp_path/'v.jsonl'))   # what was written: asked again on a rerun

def test_paper_answer_format_through_a_prompt_file(tmp_path, imgs):
    from bootwm.rubric import read_prompt, prompt_sha256
    (tmp_path/'p.txt').write_text('Rate the edit; reply only {"score": [ES, ME], "reasoning": "..."}\nEditing instruction: {instruction}\n')
    tpl = read_prompt(tmp_path/'p.txt')
    reply = lambda p, i: "{'score': [6, 8], 'reasoning': 'close'}" if p.endswith('Editing instruction: turn it') else 'no'
    with LocalJudgeServer(answer=reply, key=KEY) as srv:
        v = make_judge(srv, tmp_path, prompt=tpl).judge(imgs[0], imgs[1], 'turn  it', 'a')
    assert (v.es, v.me, v.score, v.reason) == (6, 8, 6, 'close') and len(prompt_sha256(tpl)) == 64
    (tmp_path/'q.txt').write_text('no slot')
    with pytest.raises(BootwmError, match='q.txt: a judge prompt needs exactly one'): read_prompt(tmp_path/'q.txt')

def test_verdict_files_old_and_bad(tmp_path):
    "Verdict files written when the subset was called `cls` are read; bad rows are all listed at once"
    p = tmp_path/'v.jsonl'
    p.write_text('{"id": "a", "system": "s", "cls": "kubric", "es": 3, "me": 9, "score": 3}\n{"id": "b", "colour": 1}\nnot json\n')
    with pytest.raises(BootwmError) as e: read_verdicts(p)
    assert '2 problem(s)' in str(e.value) and 'v.jsonl:2: not a verdict row' in str(e.value) and "colour" in str(e.value)
    assert 'v.jsonl:3: not JSON' in str(e.value)
    p.write_text(p.read_text().splitlines()[0] + '\n')
    assert [(v.id, v.subset, v.score) for v in read_verdicts(p)] == [('a', 'kubric', 3)]
    assert 'cls' not in read_verdicts(p)[0].to_dict()

def test_items_carry_the_subset(tmp_path, imgs):
    rows = [Transition('a', str(imgs[0]), action='go', cls='whatsup'), Transition('b', str(imgs[1]), action='go', meta=dict(task='kubric'))]
    assert [it.subset for it in copy_items(rows, tmp_path)] == ['whatsup', 'kubric']
    with LocalJudgeServer(key=KEY) as srv:
        vs = judge_items(make_judge(srv, tmp_path), copy_items(rows, tmp_path), tmp_path/'v.jsonl', progress=False)
    assert [v.subset for v in vs] == ['whatsup', 'kubric'] and aggregate(vs, by='subset')['kubric']['n'] == 1

def test_without_openai_the_error_says_what_to_install(monkeypatch, imgs):
    monkeypatch.setitem(sys.modules, 'openai', None)                      # as if not installed
    j = Judge(JudgeConfig(base_url='http://127.0.0.1:9/v1', cache_dir=None))
    with pytest.raises(BootwmError, match=r"needs the openai package: pip install 'bootwm\[eval\]'"): j.judge(imgs[0], imgs[1], 'act', 'a')

@pytest.mark.parametrize('slow_writes', [False, True])
def test_endpoint_dies_mid_run(tmp_path, imgs, monkeypatch, slow_writes):
    "The endpoint answers four items, then goes away: those four are kept, the failures recorded, the run stops after a streak"
    import threading, time, bootwm.judge_runs as jr
    if slow_writes:                  # the worker runs ahead of the writer: failures computed before the stop are still written
        write = jr.append_manifest
        def held(path, rows, **kw):      # a failure's row waits until the worker has failed three times in a row
            t = time.time()
            while rows[0].get('failure') and j.streak < 3 and time.time() - t < 30: time.sleep(0.05)
            return write(path, rows, **kw)
        monkeypatch.setattr(jr, 'append_manifest', held)
    def answer_then_die(p, i):
        if len(srv.requests) == 4: threading.Thread(target=srv.stop).start()
        return answer(6, 6)
    srv = LocalJudgeServer(answer=answer_then_die, key=KEY).start()
    j = make_judge(srv, tmp_path, max_retries=1, timeout=1, stop_after=3, max_in_flight=1, cache_dir=None)
    items, out = [JudgeItem(f'i{n}', imgs[0], imgs[1], f'act {n}') for n in range(12)], tmp_path/'v.jsonl'
    with pytest.raises(JudgeError, match='3 items in a row failed to reach the judge'): judge_items(j, items, out, progress=False)
    vs = {v.id: v for v in read_verdicts(out)}
    assert [vs[f'i{n}'].score for n in range(4)] == [6]*4 and len(vs) == 7
    assert {vs[f'i{n}'].failure for n in range(4, 7)} <= {'connection', 'timeout'}
    assert len(srv.requests) == 4                                          # nothing reached it after it died

def test_cache_hits_do_not_break_the_streak(tmp_path, imgs):
    "Items the cache answers reach no endpoint: between failures they neither end nor extend the streak that stops a run"
    srv = LocalJudgeServer(answer=lambda p, i: answer(6, 6), key=KEY).start()
    j = make_judge(srv, tmp_path, max_retries=1, timeout=1, stop_after=3, max_in_flight=1)
    old = [JudgeItem(f'c{n}', imgs[0], imgs[1], f'cached {n}') for n in range(4)]
    judge_items(j, old, tmp_path/'a.jsonl', progress=False); srv.stop()                   # cached, then the endpoint goes away
    new = [JudgeItem(f'n{n}', imgs[0], imgs[1], f'new {n}') for n in range(4)]
    mixed = [it for pair in zip(new, old) for it in pair]                                # new, cached, new, cached, ...
    with pytest.raises(JudgeError, match='3 items in a row failed'): judge_items(j, mixed, tmp_path/'b.jsonl', progress=False)
    vs = [v.id for v in read_verdicts(tmp_path/'b.jsonl')]
    assert vs == ['n0', 'c0', 'n1', 'c1', 'n2']                                            # stopped at the third failure
