"""Shared-prompt decoding (`SharedDecoder`) against the copied layout (`CopiedDecoder`): teacher-forced on the
tokens the copied layout samples, the same logits at every step (fp32, within 1e-5) on both tiny families, with and
without guidance, K in {1, 2, 8}; prompts that share a long beginning packed into one row; text decoding with a stop."""
import numpy as np, pytest, torch
from bootwm.families import tiny_chameleon, tiny_liquid
from bootwm.generate import CopiedDecoder, SharedDecoder, generate, share_groups
from bootwm.toyworld import random_scene, render

GUIDANCE = {'chameleon': (3.0, 1.2), 'liquid': (7.0, None)}    # the families' guidance layouts: 3 and 2 streams

@pytest.fixture(scope='module', autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1); yield; torch.set_num_threads(n)

@pytest.fixture(scope='module', params=['chameleon', 'liquid'])
def family(request):
    vlm = (tiny_chameleon if request.param == 'chameleon' else tiny_liquid)(attn='sdpa')
    srcs = vlm.image_tokenizer.encode([render(random_scene(np.random.default_rng(i))) for i in range(2)])
    return request.param, vlm, srcs, ['remove the red circle', 'paint the blue cross green']

def teacher_forced(vlm, rows, k, ids, S, **kw):
    "The largest logit difference between the two layouts over every step, fed the tokens `ids` [B*k, T]"
    a, b = CopiedDecoder(vlm, rows, k), SharedDecoder(vlm, rows, k, **kw)
    la, lb, worst = a.prefill(), b.prefill(), 0.
    for t in range(ids.shape[1]):
        worst = max(worst, (la - lb).abs().max().item())
        tok = ids[:, t].repeat(S)
        la, lb = a.step(tok), b.step(tok)
    return max(worst, (la - lb).abs().max().item())

@pytest.mark.parametrize('guided', [False, True])
@pytest.mark.parametrize('k', [1, 2, 8])
def test_same_logits_teacher_forced(family, guided, k):
    name, vlm, srcs, acts = family
    prompts = [vlm.fdm_example(s, a)['input_ids'] for s, a in zip(srcs, acts)]
    gd = vlm.fdm_guidance(srcs, acts, *GUIDANCE[name]) if guided else None
    g = generate(vlm, prompts, vlm.n_tokens, allowed=vlm.image_mask, k=k, guidance=gd, share=False,
                 generator=torch.Generator().manual_seed(k))       # today's path samples the tokens
    assert len(set(map(tuple, g.ids.tolist()))) > 1 or k == 1      # real samples, not one repeated sequence
    rows = prompts + [p for s in (gd.streams if gd else []) for p in s]
    assert teacher_forced(vlm, rows, k, g.ids, 1 + len(gd.streams) if gd else 1) < 1e-5

def test_shared_beginnings_pack_into_one_row(family):
    "IDM prompts with the same source share ~20 tokens: with `min_shared` below that they are packed together"
    _, vlm, srcs, _ = family
    rows = [vlm.idm_example(srcs[0], srcs[1])['input_ids'], vlm.idm_example(srcs[0], srcs[0])['input_ids'],
            vlm.idm_example(srcs[1], srcs[0])['input_ids']]
    assert sorted(map(sorted, share_groups(rows, 8))) == [[0, 1], [2]]
    g = generate(vlm, rows, 6, allowed=vlm.text_mask, k=2, share=False, generator=torch.Generator().manual_seed(0))
    assert teacher_forced(vlm, rows, 2, g.ids, 1, min_shared=8) < 1e-5
    assert SharedDecoder(vlm, rows, 2, min_shared=8).ids.shape[0] == 2        # two physical rows for three prompts

def test_lone_prompts_pack_beside_a_group(family):
    "Beside a group of 2 prompts, the 2 prompts that share nothing long go to one row: 2 rows of 2 x K slots, none empty"
    _, vlm, srcs, _ = family
    s0, s1 = srcs
    lone = lambda s, a: [vlm.sp['bos'], *vlm.text_ids(a), *vlm.image_ids(s), vlm.sp['boi']]   # text first: no long shared start
    rows = [vlm.idm_example(s0, s1)['input_ids'], vlm.idm_example(s0, s0)['input_ids'],
            lone(s0, 'remove the red circle'), lone(s1, 'paint the blue cross green')]
    d = SharedDecoder(vlm, rows, 3, min_shared=8)
    assert d.ids.shape[0] == 2 and d.Q == 6 and bool((d.slot_row >= 0).all())
    g = generate(vlm, rows, 5, allowed=vlm.text_mask, k=3, share=False, generator=torch.Generator().manual_seed(1))
    assert teacher_forced(vlm, rows, 3, g.ids, 1, min_shared=8) < 1e-5

def test_text_with_stop_is_the_same(family):
    "Greedy text decoding stops at `<eos>` the same way in both layouts (rows of different prompt lengths)"
    _, vlm, srcs, _ = family
    rows = [vlm.idm_example(srcs[0], srcs[1])['input_ids'], vlm.fdm_example(srcs[1], 'remove the red circle')['input_ids']]
    g0, g1 = (generate(vlm, rows, 10, allowed=vlm.text_mask, stop=vlm.sp['eos'], temperature=0, k=2, share=s) for s in (False, True))
    assert torch.equal(g0.ids, g1.ids) and torch.equal(g0.mask, g1.mask)
    assert torch.allclose(g0.logprobs, g1.logprobs, atol=1e-5)

def test_shared_cache_is_smaller(family):
    "K=8 with the family's guidance: the shared cache holds each prompt once, the copied one 8 times"
    name, vlm, srcs, acts = family
    prompts = [vlm.fdm_example(s, a)['input_ids'] for s, a in zip(srcs, acts)]
    gd = vlm.fdm_guidance(srcs, acts, *GUIDANCE[name])
    rows = prompts + [p for s in gd.streams for p in s]
    sizes = []
    for dec in (CopiedDecoder(vlm, rows, 8), SharedDecoder(vlm, rows, 8)):
        dec.prefill(); dec.step(torch.full((len(rows)*8,), int(vlm.backend.image_ids([0])[0])))
        sizes.append(sum(l.keys.numel() + l.values.numel() for l in dec.cache.layers))
    assert sizes[1] < sizes[0] / 4, sizes
