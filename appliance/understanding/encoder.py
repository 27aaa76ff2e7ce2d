"""all-MiniLM-L6-v2 as a sentence encoder: its tokenizer, and its six BERT layers in numpy.

The bundled weights ship as safetensors for PyTorch. A six-layer, 384-wide encoder over a
caller's sentence is a handful of small matrix products, so numpy runs it in a few
milliseconds on one core, with no deep-learning runtime to install. Blocking: the
understander calls it on its own worker thread.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

from appliance.errors import ModelError

#: Longer input says nothing more about a caller's intent and only costs time.
MAX_TOKENS = 64
_BATCH = 64


class MiniLmEncoder:
    """Sentences to unit vectors (mean-pooled, L2-normalised), as sentence-transformers does."""

    def __init__(self, model_dir: Path) -> None:
        try:
            config = json.loads((model_dir / "config.json").read_text())
            weights = load_file(str(model_dir / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except (OSError, ValueError) as err:
            raise ModelError(
                "encoder-load-failed", f"{model_dir}: cannot load the sentence encoder: {err}"
            ) from err
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ModelError(
                "encoder-load-failed",
                f"{model_dir}: expected a BERT encoder with gelu, got {config.get('model_type')!r}",
            )
        # One BLAS thread: the encoder's products are small, and with whisper, Piper and
        # llama.cpp busy on the same 2 cores, OpenBLAS's waiting threads made a 7 ms pass take
        # up to 700 ms (p95). numpy does nothing else here that needs more.
        threadpool_limits(1, user_api="blas")
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        w = {k: v.astype(np.float32) for k, v in weights.items() if v.dtype != np.int64}
        self._word = w["embeddings.word_embeddings.weight"]
        self._position = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate(
                [w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
            ).T.copy()
            qkv_b = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self._layers.append(
                (
                    qkv, qkv_b,
                    w[f"{p}attention.output.dense.weight"].T.copy(), w[f"{p}attention.output.dense.bias"],
                    w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"],
                    w[f"{p}intermediate.dense.weight"].T.copy(), w[f"{p}intermediate.dense.bias"],
                    w[f"{p}output.dense.weight"].T.copy(), w[f"{p}output.dense.bias"],
                    w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"],
                )
            )  # fmt: skip
        self.dimensions = self._word.shape[1]
        self.device = "cpu"

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """One unit vector per sentence, shape (len(sentences), 384)."""
        out = np.zeros((len(sentences), self.dimensions), dtype=np.float32)
        # Sentences of similar length share a batch, so little of it is padding.
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        for start in range(0, len(order), _BATCH):
            batch = order[start : start + _BATCH]
            out[batch] = self._encode_batch([sentences[i] for i in batch])
        return out

    def _encode_batch(self, sentences: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(sentences)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.float32)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1.0
        x = self._word[ids] + self._position[:length] + self._type0
        x = _layer_norm(x, *self._embed_norm, self._eps)
        # Padding gets no attention: a large negative score before the softmax.
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        batch, heads = len(encodings), self._heads
        width = x.shape[-1] // heads
        scale = np.float32(1.0 / np.sqrt(width))
        # Tokens as rows of one matrix: each projection is a single matrix product.
        x = x.reshape(batch * length, -1)
        for qkv, qkv_b, o, o_b, n1, n1_b, up, up_b, down, down_b, n2, n2_b in self._layers:
            projected = (x @ qkv + qkv_b).reshape(batch, length, 3, heads, width)
            q = projected[:, :, 0].transpose(0, 2, 1, 3)
            k = projected[:, :, 1].transpose(0, 2, 3, 1)
            v = projected[:, :, 2].transpose(0, 2, 1, 3)
            scores = (q @ k) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            attention = np.exp(scores)
            attention /= attention.sum(axis=-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch * length, -1)
            x = _layer_norm(x + context @ o + o_b, n1, n1_b, self._eps)
            x = _layer_norm(x + _gelu(x @ up + up_b) @ down + down_b, n2, n2_b, self._eps)
        x = x.reshape(batch, length, -1)
        pooled = (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def warm_up(self) -> None:
        self.encode(["What time is check-out?"])


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's gelu is erf-based; the tanh form differs by under 1e-3 and numpy has no erf.
    # x * x * x: numpy's power ufunc is many times slower than two products.
    inner = np.float32(0.7978845608028654) * (x + np.float32(0.044715) * (x * x * x))
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(inner))
