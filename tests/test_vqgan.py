"The Chameleon VQGAN tokenizer against transformers' `ChameleonVQVAE`, on tiny random models (CPU, seconds)."
import os
os.environ['HF_HUB_OFFLINE'] = '1'
import json
import numpy as np, pytest, torch
from PIL import Image
from safetensors.torch import save_file
from diffusers import VQModel
from transformers import ChameleonVQVAEConfig
from transformers.models.chameleon.modeling_chameleon import ChameleonVQVAE
from bootwm.core import BootwmError
from bootwm.tokenizers import ImageTokenizer
from bootwm.vqgan import (VQGANTokenizer, TINY_VQ, chameleon_vq_config, taming_to_diffusers, diffusers_to_taming,
                          vq_config_from, preprocess, PAD_COLOUR)

TINY_REF = dict(base_channels=32, channel_multiplier=(1, 1, 2, 2, 2), latent_channels=16, embed_dim=16,
                num_embeddings=64, resolution=64)

@pytest.fixture(scope='module')
def ref():
    "A tiny random transformers VQVAE (taming names, encoder only) and a full taming state dict around it"
    torch.manual_seed(1)
    m = ChameleonVQVAE(ChameleonVQVAEConfig(**TINY_REF)).eval()
    dec = diffusers_to_taming(VQModel(**chameleon_vq_config(**TINY_VQ)).state_dict())
    return m, m.state_dict() | {k: v for k, v in dec.items() if k.startswith('decoder.')}

@pytest.fixture(scope='module')
def imgs():
    rng = np.random.default_rng(1)
    return [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(3)]

@pytest.fixture(scope='module')
def tok(ref, tmp_path_factory):
    p = tmp_path_factory.mktemp('ck')/'vqgan.ckpt'
    torch.save({'state_dict': ref[1]}, p)
    return VQGANTokenizer.from_taming_ckpt(p, size=64)

def _pixels(imgs): return torch.from_numpy(np.stack([np.asarray(i) for i in imgs])/255*2 - 1).permute(0, 3, 1, 2).float()

def test_codes_and_features_match_transformers(ref, tok, imgs):
    with torch.no_grad():
        out = ref[0].encode(_pixels(imgs))
        z = ref[0].quant_conv(out.last_hidden_state).flatten(2).transpose(1, 2)
    codes = tok.encode(imgs)
    assert codes.dtype == torch.long and codes.shape == (3, 16)
    assert torch.equal(codes, out.image_tokens.reshape(3, 16))
    assert torch.allclose(tok.features(imgs), z, atol=1e-4)
    assert (tok.n_codes, tok.n_tokens, tok.grid) == (64, 16, (4, 4))

def test_batches_do_not_change_codes(tok, imgs):
    tok.batch_size = 1
    try: one = tok.encode(imgs)
    finally: tok.batch_size = 8
    assert torch.equal(one, tok.encode(imgs))

def test_decode_gives_images_of_the_size(tok, imgs):
    out = tok.decode(tok.encode(imgs))
    assert [(i.size, i.mode) for i in out] == [((64, 64), 'RGB')]*3
    with pytest.raises(BootwmError, match=r'\[0, 64\)'): tok.decode(torch.full((1, 16), 64))

def test_full_size_names_and_config():
    "The real (512 px, 8192 codes) shapes, on the meta device: transformers' encoder names map onto VQModel's"
    with torch.device('meta'):
        big = VQModel(**chameleon_vq_config()).state_dict()
        hf = ChameleonVQVAE(ChameleonVQVAEConfig()).state_dict()
    conv, unmapped = taming_to_diffusers(hf)
    assert unmapped == [] and {k: v.shape for k, v in conv.items()} == {k: big[k].shape for k in conv}
    assert set(big) - set(conv) == {k for k in big if k.startswith('decoder.')}
    assert vq_config_from(big) == chameleon_vq_config()

def test_strict_loading_names_keys(ref, tmp_path):
    sd = ref[1]
    p = tmp_path/'x.ckpt'
    torch.save({'state_dict': {k: v for k, v in sd.items() if k != 'encoder.mid.attn_1.q.weight'}}, p)
    with pytest.raises(BootwmError, match=r"missing \['encoder.mid.attn_1.q.weight'\]"): VQGANTokenizer.from_taming_ckpt(p)
    torch.save({'state_dict': sd | {'decoder.up.0.attn.0.q.weight': torch.zeros(1)}}, p)
    with pytest.raises(BootwmError, match=r"unexpected \['decoder.up.0.attn.0.q.weight'\]"): VQGANTokenizer.from_taming_ckpt(p)

def test_checkpoint_is_loaded_weights_only(ref, tmp_path, monkeypatch):
    p = tmp_path/'x.ckpt'
    torch.save({'state_dict': ref[1], 'hparams': Image.new('RGB', (1, 1))}, p)    # an arbitrary pickled object
    with pytest.raises(BootwmError, match='weights_only=True'): VQGANTokenizer.from_taming_ckpt(p)
    seen, load = [], torch.load
    monkeypatch.setattr(torch, 'load', lambda *a, **kw: seen.append(kw) or load(*a, **kw))
    torch.save({'state_dict': ref[1]}, p)
    VQGANTokenizer.from_taming_ckpt(p, size=64)
    assert seen == [dict(map_location='cpu', weights_only=True)]

def test_save_and_load_round_trip(tok, imgs, tmp_path):
    tok.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path/'config.json').read_text())
    assert (cfg['type'], cfg['preprocess'], cfg['size']) == ('vqgan', 'chameleon', 64)
    tok2 = ImageTokenizer.from_pretrained(tmp_path)
    assert isinstance(tok2, VQGANTokenizer) and tok2.fingerprint == tok.fingerprint
    assert torch.equal(tok2.encode(imgs), tok.encode(imgs))

def test_chameleon_checkpoint_dir(ref, tok, imgs, tmp_path):
    "One unindexed safetensors file with the LM's tensors beside `model.vqmodel.*` (decoder included)"
    t = {'model.vqmodel.'+k: v.contiguous() for k, v in ref[1].items()} | {'lm_head.weight': torch.zeros(2, 2)}
    save_file(t, tmp_path/'model.safetensors')
    tok2 = VQGANTokenizer.from_chameleon_checkpoint(tmp_path, size=64)
    assert torch.equal(tok2.encode(imgs), tok.encode(imgs))
    assert tok2.fingerprint == tok.fingerprint

def test_preprocessing():
    tall = Image.new('RGB', (10, 30), (0, 0, 255))
    assert (np.asarray(preprocess(tall, 'chameleon', 8)) == [0, 0, 255]).all()
    a = np.asarray(preprocess(tall, 'liquid', 30))
    assert tuple(a[15, 0]) == PAD_COLOUR and tuple(a[15, 15]) == (0, 0, 255)
    with pytest.raises(BootwmError, match='preprocess'): VQGANTokenizer(VQModel(**chameleon_vq_config(**TINY_VQ)), 'x')


def test_saved_vqgan_loads_without_importing_its_module(tmp_path):
    "A fresh process that only imports bootwm.tokenizers can load a saved VQGAN directory (lazy registry)"
    import subprocess, sys
    from diffusers import VQModel
    from bootwm.vqgan import VQGANTokenizer, chameleon_vq_config, TINY_VQ
    VQGANTokenizer(VQModel(**chameleon_vq_config(**TINY_VQ)), size=64).save_pretrained(tmp_path)
    code = f"from bootwm.tokenizers import ImageTokenizer; print(type(ImageTokenizer.from_pretrained({str(tmp_path)!r})).__name__)"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.stdout.strip() == 'VQGANTokenizer', r.stderr[-2000:]

def test_pixels_are_contiguous_and_fingerprint_follows_dtype(ref, imgs):
    t = VQGANTokenizer.from_taming_state(ref[1], size=64)
    assert t._pixels(imgs).is_contiguous()             # channels-last input makes CPU GroupNorm far less accurate
    f32 = t.fingerprint
    t.to(torch.bfloat16)
    assert t.fingerprint != f32 and t.fingerprint == ImageTokenizer.fingerprint.fget(t)
    t.to(torch.float32)
    assert t.fingerprint == ImageTokenizer.fingerprint.fget(t)

def test_transparent_images_are_blended_onto_white_in_chameleon_mode(ref, tmp_path):
    t = VQGANTokenizer.from_taming_state(ref[1], size=64)
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8); rgba[:32, :, 3] = 0    # top half fully transparent
    Image.fromarray(rgba, 'RGBA').save(tmp_path/'a.png')
    white = rgba[..., :3].copy(); a = rgba[..., 3:] / 255.0
    white = ((1 - a) * 255 + a * rgba[..., :3]).astype(np.uint8)
    assert torch.equal(t.encode([tmp_path/'a.png']), t.encode([Image.fromarray(white)]))
    assert not torch.equal(t.encode([tmp_path/'a.png']), t.encode([Image.fromarray(rgba[..., :3].copy())]))
