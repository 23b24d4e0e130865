"The real model families (tiny random twins of Anole/Chameleon and Liquid): QLoRA training, scoring, adapters."
import pytest, torch
from bootwm.core import resolve
from bootwm.families import load_vlm
from bootwm.search import sample_images
from bootwm.actions import score_actions
from bootwm.importance import collate, weighted_ce
from bootwm.train import TrainConfig, train, make_examples
from bootwm.vlm import UnifiedVLM
from family_util import base_weights, data, base   # noqa: F401 (fixtures)

def _batch_loss(vlm, batch):
    with torch.no_grad(): return float(weighted_ce(vlm.logits(batch['input_ids'], batch['attention_mask']), batch['labels'], batch.get('weights')))

@pytest.mark.parametrize('task', ['idm', 'fdm'])
def test_qlora_step_lowers_loss_and_changes_only_lora(base, data, task, tmp_path):
    family, path, itok = base
    root, rows = data
    vlm = load_vlm(path, image_tokenizer=itok, quant='nf4', dtype='float32')
    assert type(vlm.model.model.layers[0].self_attn.q_proj).__name__ == 'Linear4bit'
    batch = collate(make_examples(vlm, rows[:8], root, task), vlm.sp['pad'])
    frozen = base_weights(vlm.model)
    before = _batch_loss(vlm, batch)
    cfg = TrainConfig(task=task, steps=12, batch_size=8, lr=2e-2, lora_r=8, gradient_checkpointing=True, log_every=1)
    train(vlm, rows[:8], root, cfg, output_dir=tmp_path/'run', progress=False)
    assert _batch_loss(vlm, batch) < before
    base_now, params = base_weights(vlm.model), dict(vlm.model.named_parameters())
    assert set(base_now) == set(frozen)
    assert [n for n in frozen if not torch.equal(frozen[n], base_now[n])] == []
    lora = [p for n, p in params.items() if 'lora_B' in n]
    assert lora and all(p.abs().sum() > 0 for p in lora)
    assert all(p.requires_grad == ('lora_' in n) for n, p in params.items())

    # adapters save apart from the base and load back (in 4-bit) to the same outputs
    vlm.save_pretrained(tmp_path/'adapted')
    assert (tmp_path/'adapted/adapter/adapter_model.safetensors').exists() and not (tmp_path/'adapted/lm').exists()
    again = UnifiedVLM.from_pretrained(tmp_path/'adapted', quant='nf4', dtype=torch.float32)
    assert type(again.backend).__name__.lower() == family
    torch.testing.assert_close(again.logits(batch['input_ids'], batch['attention_mask']),
                               vlm.logits(batch['input_ids'], batch['attention_mask']))   # same fp32 path, same codes: fp32 tolerances

def test_verifier_batch_equals_one_by_one(base, data):
    family, path, itok = base
    root, rows = data
    vlm = load_vlm(path, image_tokenizer=itok, dtype='float32')
    srcs, tgts = [resolve(r.src, root) for r in rows[:6]], [resolve(r.tgt, root) for r in rows[:6]]
    acts = [r.action for r in rows[:6]]
    batched = score_actions(vlm, srcs, tgts, acts, batch_size=6)
    single = torch.cat([score_actions(vlm, [s], [t], [a]) for s, t, a in zip(srcs, tgts, acts)])
    torch.testing.assert_close(batched, single, atol=1e-4, rtol=0)

def test_guided_sampling_respects_layout(base, data):
    family, path, itok = base
    root, rows = data
    vlm = load_vlm(path, image_tokenizer=itok, dtype='float32')
    s = vlm.backend.sampling
    codes = sample_images(vlm, [resolve(r.src, root) for r in rows[:2]], [r.action for r in rows[:2]], k=3,
                          temperature=s['temperature'], top_k=s.get('top_k'), top_p=s.get('top_p'),
                          text_scale=s['text_scale'], image_scale=s.get('image_scale'))
    assert codes.shape == (2, 3, vlm.n_tokens)
    assert ((codes >= 0) & (codes < vlm.image_tokenizer.n_codes)).all()

def test_a_model_loaded_with_lora_trains_and_reloads_those_adapters(tmp_path):
    "load_vlm(..., lora=r) then train() with a LoRA recipe: one set of adapters, trained, saved and loaded back as trained"
    from bootwm.core import BootwmError, read_manifest
    from bootwm.families import tiny_chameleon, load_vlm
    from bootwm.toyworld import write_dataset
    tiny_chameleon(seed=0).save_pretrained(tmp_path/'twin')
    rows = read_manifest(write_dataset(tmp_path/'toy', n_labelled=16, n_videos=1, video_len=1, n_test=2)['labelled'])
    vlm = load_vlm(tmp_path/'twin', lora=8)
    with pytest.raises(BootwmError, match='already has LoRA adapters'): vlm.add_lora(8)
    train(vlm, rows, tmp_path/'toy', TrainConfig(task='fdm', steps=3, warmup=0, batch_size=8, lora_r=8, lr=1e-2),
          output_dir=tmp_path/'run', progress=False)
    trained = {k: v.detach().clone() for k, v in vlm.model.state_dict().items() if 'lora_B' in k}
    assert trained and all('base_model.model.base_model' not in k for k in trained)      # not wrapped twice
    assert any(v.abs().sum() > 0 for v in trained.values())                                # B starts at 0: it trained
    vlm.save_pretrained(tmp_path/'m')
    back = {k: v for k, v in load_vlm(tmp_path/'m').model.state_dict().items() if 'lora_B' in k}
    assert back.keys() == trained.keys()
    for k in trained: torch.testing.assert_close(back[k], trained[k])
