"""Does transformers' `Trainer` cost the tiny demo model time per step? The same FDM step through `bootwm.train.train`
(the Trainer, its data collator and callbacks) and through a bare loop (the kit's own loss, AdamW) on batches of the
same size, one thread, as the demo's workers run.

Usage: .venv/bin/python bench/step_overhead.py [STEPS]     (default 300; writes a small toy data set to a temp dir)
"""
import sys, tempfile, time
import torch

def main():
    torch.set_num_threads(1)
    from bootwm.demo import DemoConfig, write_demo_data, _split
    from bootwm.train import TrainConfig, train, make_examples, weighted_ce, label_tail
    from bootwm.vlm import tiny_vlm
    steps, cfg, root = int(sys.argv[1]) if len(sys.argv) > 1 else 300, DemoConfig(), tempfile.mkdtemp()
    write_demo_data(root, cfg, 0, splits=('labelled',)); lab = _split(root, 'labelled')
    m = tiny_vlm(cfg.world, cfg.hidden, cfg.layers, seed=0); ex = make_examples(m, lab, root, 'fdm', 'mean1', cfg.floor)
    t = time.time()
    train(m, lab, root, TrainConfig(task='fdm', steps=steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=0, log_every=max(1, steps//20)),
          output_dir=tempfile.mkdtemp(), examples=ex, progress=False)
    trainer = (time.time() - t) / steps                     # includes the Trainer's set-up: an upper bound per step
    m = tiny_vlm(cfg.world, cfg.hidden, cfg.layers, seed=0); model = m.model.train()
    opt, g = torch.optim.AdamW(model.parameters(), lr=cfg.lr), torch.Generator().manual_seed(0)
    def batch():
        B = [ex[i] for i in torch.randint(len(ex), (cfg.batch_size,), generator=g).tolist()]; T = max(len(e['input_ids']) for e in B)
        pad = lambda k, v, dt: torch.tensor([torch.as_tensor(e[k]).tolist() + [v]*(T - len(e[k])) for e in B], dtype=dt)
        am = torch.tensor([[1]*len(e['input_ids']) + [0]*(T - len(e['input_ids'])) for e in B])
        return pad('input_ids', 0, torch.long), am, pad('labels', -100, torch.long), pad('weights', 0.0, torch.float)
    bs = [batch() for _ in range(50)]; t = time.time()
    for s in range(steps):
        ids, am, labels, w = bs[s % 50]; keep = label_tail(labels)
        logits, _ = m.backend.logits(model, input_ids=ids, attention_mask=am, logits_to_keep=keep)
        weighted_ce(logits, labels[:, -keep:], w[:, -keep:]).backward(); opt.step(); opt.zero_grad()
    bare = (time.time() - t) / steps
    print(f'{steps} FDM steps of batch {cfg.batch_size}, one thread: Trainer {trainer*1e3:.1f} ms a step (set-up included), bare loop {bare*1e3:.1f} ms')

if __name__ == '__main__': main()
