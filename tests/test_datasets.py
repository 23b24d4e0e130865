"Loaders into the kit's transition manifest: real AURORA-Bench sample (when present) and crafted files."
import os
os.environ['HF_HUB_OFFLINE'] = '1'
import io, json
from collections import Counter
from pathlib import Path
import pytest
from PIL import Image
from bootwm.core import BootwmError, Transition, write_manifest
from bootwm.datasets import (load_transitions, read_aurora_bench, read_aurora_train, read_csv, read_parquet, validate,
                             BENCH_TARGETS)

SAMPLE = Path(__file__).resolve().parents[2]/'shared'/'data'/'aurora-bench-sample'
needs_sample = pytest.mark.skipif(not (SAMPLE/'test.json').exists(), reason=f'real AURORA-Bench sample not at {SAMPLE}')

def img(path, colour='red'):
    Path(path).parent.mkdir(parents=True, exist_ok=True); Image.new('RGB', (8, 8), colour).save(path); return path

def png(colour):
    b = io.BytesIO(); Image.new('RGB', (8, 8), colour).save(b, format='PNG'); return b.getvalue()

@needs_sample
def test_bench_sample():
    rows = load_transitions(SAMPLE)
    assert len(rows) == 59
    assert Counter(r.cls for r in rows) == dict(magicbrush=10, ag=10, something=10, whatsup=10, kubric=10, clevr=3, emu=3, epic=3)
    flagged = [r for r in rows if r.meta.get('no_target')]
    assert {r.cls for r in flagged} == {'clevr', 'emu', 'epic'} and all(r.tgt is None for r in flagged)
    assert all(r.tgt for r in rows if r.cls in BENCH_TARGETS)
    assert len({r.id for r in rows}) == 59 and all(r.action.strip() for r in rows)
    assert all((SAMPLE/r.src).exists() for r in rows)                      # paths stay relative to the sample's folder
    assert Counter(k for r in rows for k in r.meta if k != 'no_target') == dict(id=13, caption=10, type=3)

@needs_sample
def test_bench_sample_as_parquet(tmp_path):
    pa, pq = pytest.importorskip('pyarrow'), pytest.importorskip('pyarrow.parquet')
    items = json.loads((SAMPLE/'test.json').read_text())
    cell = lambda p: None if p is None else dict(bytes=(SAMPLE/p).read_bytes(), path=Path(p).name)
    cols = dict(input=[cell(x['input']) for x in items], instruction=[x['instruction'] for x in items],
                output=[cell(x.get('output')) for x in items], task=[x['task'] for x in items])
    pq.write_table(pa.table(cols), tmp_path/'test-00000-of-00001.parquet')
    rows, ref = load_transitions(tmp_path), read_aurora_bench(SAMPLE)
    assert [(r.id, r.action, r.cls, r.tgt is None) for r in rows] == [(r.id, r.action, r.cls, r.tgt is None) for r in ref]
    for r, s in zip(rows, ref):
        assert (tmp_path/r.src).read_bytes() == (SAMPLE/s.src).read_bytes()

def test_hf_arrow_folder(tmp_path):
    pa = pytest.importorskip('pyarrow')
    tbl = pa.table(dict(input=[dict(bytes=png('red'), path=None)], instruction=['paint it blue'],
                        output=[dict(bytes=png('blue'), path=None)], task=['ag']))
    (tmp_path/'train').mkdir()
    with pa.OSFile(str(tmp_path/'train'/'data-00000-of-00001.arrow'), 'wb') as f, pa.ipc.new_stream(f, tbl.schema) as w: w.write_table(tbl)
    rows = read_parquet(tmp_path, out=tmp_path/'imgs')
    assert [(r.id, r.action) for r in rows] == [('ag/0', 'paint it blue')]
    assert rows[0].src.startswith('imgs/') and rows[0].src.endswith('.png')
    assert Image.open(tmp_path/rows[0].tgt).getpixel((0, 0)) == (0, 0, 255)

def test_aurora_train_layout(tmp_path):
    for n in range(3): img(tmp_path/f'data/magicbrush/images/{n}.png')
    rows = [dict(input=f'data/magicbrush/images/{n}.png', mask=f'{n}-mask.png', output=f'data/magicbrush/images/{n+1}.png',
                 instruction='add a dog', img_id='7') for n in range(2)]
    (tmp_path/'data/magicbrush/train.json').write_text(json.dumps(rows))
    got = load_transitions(tmp_path/'data/magicbrush/train.json')
    assert [r.id for r in got] == ['magicbrush/0', 'magicbrush/1']      # img_id repeats across turns: not an id
    assert got[0].meta == dict(mask='0-mask.png', img_id='7') and got[0].cls == 'magicbrush'
    assert read_aurora_train(tmp_path/'data/magicbrush/train.json', task='mb')[0].id == 'mb/0'

def crafted_bench(d):
    img(d/'a.png'); (d/'junk.png').write_text('not an image')
    items = [dict(instruction='go', input='a.png', output='a.png', task='ag'),
             dict(instruction='   ', input='a.png', output='a.png', task='ag'),
             dict(instruction='go', input='gone.png', output='junk.png', task='ag'),
             dict(instruction='go', input='a.png', task='kubric'),
             dict(instruction=3, input='a.png', task='emu'),
             dict(instruction='go', input='a.png', task='epic')]
    (d/'test.json').write_text(json.dumps(items))
    return d/'test.json'

def test_one_error_lists_every_problem(tmp_path):
    p = crafted_bench(tmp_path)
    with pytest.raises(BootwmError) as e: read_aurora_bench(p)
    msg = str(e.value)
    for s in [f"{p} row 1: instruction='   ': empty", f"{p} row 2: input='gone.png': image file not found",
              f"{p} row 2: output='junk.png': not a readable image", f"{p} row 3: output=None: missing, but task 'kubric' has targets",
              f"{p} row 4: instruction=3: expected str"]:
        assert s in msg, s
    assert msg.startswith('5 problem(s)') and 'row 0' not in msg and 'row 5' not in msg

def test_skip_writes_rejects(tmp_path):
    p = crafted_bench(tmp_path)
    rows = load_transitions(p, on_error='skip', rejects=tmp_path/'out'/'rejects.jsonl')
    assert [r.id for r in rows] == ['ag/0', 'epic/0'] and rows[1].meta == dict(no_target=True)
    rej = [json.loads(l) for l in (tmp_path/'out'/'rejects.jsonl').read_text().splitlines()]
    assert len(rej) == 5 and {r['row'] for r in rej} == {1, 2, 3, 4}
    assert all(set(r) == {'file', 'row', 'field', 'value', 'reason'} and r['file'] == str(p) for r in rej)
    with pytest.raises(BootwmError, match='needs rejects=PATH'): load_transitions(p, on_error='skip')
    with pytest.raises(BootwmError, match="on_error='ignore'"): load_transitions(p, on_error='ignore')

def test_error_lists_every_row_unless_capped(tmp_path, monkeypatch):
    import bootwm.datasets as D
    (tmp_path/'test.json').write_text(json.dumps([dict(instruction='go', input=f'{i}.png', task='emu') for i in range(105)]))
    with pytest.raises(BootwmError) as e: read_aurora_bench(tmp_path)
    assert all(f'row {i}: input=' in str(e.value) for i in range(105))          # every offending row, by default
    monkeypatch.setattr(D, 'MAX_LISTED', 100)
    with pytest.raises(BootwmError, match=r'and 5 more'): read_aurora_bench(tmp_path)
    assert read_aurora_bench(tmp_path, on_error='skip', rejects=tmp_path/'r.jsonl') == []
    assert len((tmp_path/'r.jsonl').read_text().splitlines()) == 105

def test_csv_and_jsonl(tmp_path):
    img(tmp_path/'a.png')
    (tmp_path/'m.csv').write_text('id,src,tgt,action,score,cls,video\n0,a.png,a.png,move up,,move,v1\n1,a.png,a.png,,-0.5,,v2\n')
    rows = load_transitions(tmp_path/'m.csv')
    assert rows[0] == Transition('0', 'a.png', 'a.png', 'move up', cls='move', meta=dict(video='v1'))
    assert (rows[1].action, rows[1].score) == (None, -0.5)
    assert load_transitions(write_manifest(tmp_path/'m.jsonl', rows)) == rows
    (tmp_path/'bad.csv').write_text('id,src,action\n0,a.png,go\n0,a.png,go\n2,missing.png,go\n')
    with pytest.raises(BootwmError) as e: read_csv(tmp_path/'bad.csv')
    assert "bad.csv row 1: id='0': duplicate" in str(e.value) and "row 2: src='missing.png': image file not found" in str(e.value)
    (tmp_path/'nohead.csv').write_text('x,y\n')
    with pytest.raises(BootwmError, match=r"lacks column\(s\) \['id', 'src'\]"): read_csv(tmp_path/'nohead.csv')

def test_validate_and_dispatch(tmp_path):
    img(tmp_path/'a.png')
    assert validate([Transition('0', 'a.png', None, 'go')], tmp_path) == []
    probs = validate([Transition('0', 'b.png', score='high')], tmp_path)
    assert [(p['field'], p['value']) for p in probs] == [('score', 'high'), ('src', 'b.png')]
    with pytest.raises(BootwmError, match='pass format='): load_transitions(tmp_path/'a.png')
    with pytest.raises(BootwmError, match='file not found'): load_transitions(tmp_path/'none.json')
