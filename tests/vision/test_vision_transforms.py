"""Behaviour of the transforms beyond torchvision's recorded values: seeding, get_params,
the agreement of the PIL and Tensor paths, batches and strided inputs, Normalize's autograd,
errors, and working without Pillow."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.vision.transforms.functional as TF
from tinygrad_edu import Tensor
from tinygrad_edu.vision import transforms as T
from tinygrad_edu.vision import utils

from .conftest import Recorded, as_array, as_form

IM = T.InterpolationMode


def _augment() -> T.Compose:
    return T.Compose([
        T.RandomCrop(24, padding=4, padding_mode="reflect"),
        T.RandomHorizontalFlip(),
        T.RandomVerticalFlip(),
        T.RandomRotation(15, interpolation=IM.BILINEAR),
        T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=(-5, 5, -3, 3)),
        T.RandomResizedCrop(20, antialias=True),
        T.RandomApply([T.Pad(1)], p=0.5),
    ])


@pytest.mark.parametrize("form", ["pil", "tensor_u8", "tensor_f32", "array"])
def test_seeded_random_transforms_repeat(recorded: Recorded, form: str) -> None:
    if form == "pil":
        pytest.importorskip("PIL")
    augment = _augment()

    def run(seed: int) -> list[np.ndarray]:
        tg.manual_seed(seed)
        return [as_array(augment(as_form(recorded["in/digit"], form))) for _ in range(4)]

    first, again, other = run(0), run(0), run(1)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(a.shape != b.shape or not np.array_equal(a, b)
               for a, b in zip(first, other, strict=True))
    assert not all(np.array_equal(first[0], f) for f in first[1:])  # draws differ per call


def test_get_params_ranges() -> None:
    image = Tensor(np.zeros((1, 10, 12), np.uint8))
    tg.manual_seed(3)
    tops_lefts = {T.RandomCrop.get_params(image, (7, 8))[:2] for _ in range(400)}
    assert {t for t, _ in tops_lefts} == set(range(4))
    assert {left for _, left in tops_lefts} == set(range(5))
    assert T.RandomCrop.get_params(image, (10, 12)) == (0, 0, 10, 12)
    with pytest.raises(ValueError, match=r"Required crop size \(11, 12\) is larger"):
        T.RandomCrop.get_params(image, (11, 12))
    angles = [T.RandomRotation.get_params([-5.0, 20.0]) for _ in range(200)]
    assert -5 <= min(angles) < 0 < 15 < max(angles) <= 20
    for _ in range(100):
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
            [-10.0, 10.0], [0.1, 0.2], [0.8, 1.2], [-4.0, 4.0, 1.0, 2.0], [12, 10])
        assert -10 <= angle <= 10 and abs(tx) <= 1.2 and abs(ty) <= 2
        assert isinstance(tx, int) and 0.8 <= scale <= 1.2 and -4 <= sx <= 4 and 1 <= sy <= 2
        top, left, h, w = T.RandomResizedCrop.get_params(image, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 < h and 0 < w and top + h <= 10 and left + w <= 12
    # no draw fits (area above the image's): the central window within the ratio
    assert T.RandomResizedCrop.get_params(image, (2.0, 3.0), (0.5, 0.6)) == (0, 3, 10, 6)


def test_flip_probabilities() -> None:
    image = Tensor(np.arange(12, dtype=np.uint8).reshape(1, 3, 4))
    assert T.RandomHorizontalFlip(p=0.0)(image) is image
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(image).numpy(),
                                  image.numpy()[..., ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(image).numpy(),
                                  image.numpy()[..., ::-1, :])
    tg.manual_seed(0)
    flips = sum(T.RandomHorizontalFlip(0.3)(image) is not image for _ in range(1000))
    assert 240 < flips < 360


def test_pil_and_tensor_paths_agree(recorded: Recorded) -> None:
    """As torchvision's own tests: nearest rotation/affine equal, bilinear resize within 1."""
    pytest.importorskip("PIL")
    for name in ("digit", "rgb"):
        image = recorded[f"in/{name}"]
        for op, args, kwargs in (("rotate", [30.0], {}), ("rotate", [90.0], {"expand": True}),
                                 ("affine", [15.0, [2, -3], 1.1, [5.0, -4.0]], {})):
            pil = np.asarray(getattr(TF, op)(as_form(image, "pil"), *args, **kwargs))
            np.testing.assert_array_equal(pil, getattr(TF, op)(image, *args, **kwargs))
        for size in ([31, 20], 7):
            pil = np.asarray(TF.resize(as_form(image, "pil"), size)).astype(int)
            assert np.abs(pil - TF.resize(image, size).astype(int)).max() <= 1


def test_batches_and_strided_tensors() -> None:
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (2, 3, 9, 11), dtype=np.uint8)
    for op, args, kwargs in (("rotate", [20.0], {"interpolation": IM.BILINEAR}),
                             ("resize", [[5, 17]], {}), ("pad", [[1, 2]], {"fill": 3}),
                             ("affine", [5.0, [1, 0], 1.2, [3.0]], {}), ("center_crop", [7], {})):
        together = getattr(TF, op)(Tensor(batch), *args, **kwargs).numpy()
        for i in range(2):
            alone = getattr(TF, op)(Tensor(batch[i]), *args, **kwargs).numpy()
            np.testing.assert_array_equal(together[i], alone)
        strided = batch[0].transpose(0, 2, 1)[:, ::-1]  # a reversed, non-contiguous view
        np.testing.assert_array_equal(
            getattr(TF, op)(Tensor(strided), *args, **kwargs).numpy(),
            getattr(TF, op)(Tensor(np.ascontiguousarray(strided)), *args, **kwargs).numpy())


def test_two_dimensional_tensor_images() -> None:
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out = TF.pad(Tensor(image), 1, padding_mode="edge")
    assert out.shape == (6, 7)
    np.testing.assert_array_equal(out.numpy(), np.pad(image, 1, mode="edge"))
    assert TF.rotate(Tensor(image), 90.0).shape == (4, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_values_and_gradient_against_torch(dtype: type) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 4, 5)).astype(dtype)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    ours = Tensor(x, requires_grad=True)
    out = T.Normalize(mean, std)(ours)
    assert out.dtype == x.dtype
    (out * out).sum().backward()
    reference = torch.tensor(x, requires_grad=True)
    view = (-1, 1, 1)
    expected = (reference - torch.tensor(mean, dtype=reference.dtype).view(view)) / \
        torch.tensor(std, dtype=reference.dtype).view(view)
    (expected * expected).sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), reference.grad.numpy(), rtol=1e-6)


def test_normalize_inplace_and_errors() -> None:
    image = Tensor(np.full((3, 2, 2), 0.5, np.float32))
    assert T.Normalize([0.5], [0.25], inplace=True)(image) is image
    np.testing.assert_array_equal(image.numpy(), np.zeros((3, 2, 2), np.float32))
    with pytest.raises(TypeError, match="should be a float tensor"):
        TF.normalize(Tensor(np.zeros((1, 2, 2), np.uint8)), [0.5], [0.5])
    with pytest.raises(TypeError, match="Tensor Image"):
        TF.normalize(np.zeros((2, 2, 1), np.float32), [0.5], [0.5])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        TF.normalize(image, [0.5, 0.5, 0.5], [0.1, 0.0, 0.1])
    with pytest.raises(RuntimeError, match="mean has 2 values for an image of 3 channels"):
        TF.normalize(image, [0.5, 0.5], [0.1])
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        TF.normalize(Tensor(np.zeros((2, 2), np.float32)), [0.5], [0.5])


def test_errors_name_the_problem() -> None:
    image = Tensor(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(image)
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="lambd should be callable"):
        T.Lambda(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Padding mode should be"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="reflect padding"):
        TF.pad(image, 8, padding_mode="reflect")
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        TF.pad(image, [1, 2, 3])
    with pytest.raises(ValueError, match="not 'box'"):
        TF.resize(image, 4, IM.BOX)
    with pytest.raises(ValueError, match="nearest and bilinear, not 'bicubic'"):
        TF.rotate(image, 10.0, IM.BICUBIC)
    with pytest.raises(TypeError, match="InterpolationMode"):
        T.Resize(4, interpolation="bilinear")
    with pytest.raises(ValueError, match="cannot broadcast"):
        TF.rotate(image, 10.0, fill=[1.0, 2.0])
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.1, 2.0))
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        TF.convert_image_dtype(Tensor(np.zeros((1, 2, 2), np.float32)), np.int32)
    with pytest.raises(TypeError, match="NumPy array"):
        TF.hflip([[1, 2]])
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\)"):
        TF.hflip(np.zeros((1, 2, 3, 4)))
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 1, 3, 3)))
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(Tensor(np.zeros((2, 1, 3, 3), np.float32)), normalize=True,
                        value_range=[0, 1])  # type: ignore[arg-type]


def test_to_tensor_gives_float_chw_in_unit_range_and_collates() -> None:
    image = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    out = T.ToTensor()(image)
    assert out.shape == (1, 3, 4) and out.dtype == tg.float32
    np.testing.assert_array_equal(out.numpy()[0], image.astype(np.float32) / np.float32(255))
    floats = np.linspace(-1, 3, 24).reshape(2, 4, 3)  # not uint8: kept, no scaling
    out = T.ToTensor()(floats)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), floats.transpose(2, 0, 1))
    batch = tg.data.default_collate([(T.ToTensor()(image), 3), (T.ToTensor()(image), 4)])
    assert batch[0].shape == (2, 1, 3, 4) and batch[0].dtype == tg.float32
    assert batch[1].dtype == tg.int64


def test_without_pillow_arrays_work_and_pil_needs_say_how_to_install(
        without_pillow: None, tmp_path: object) -> None:
    from tinygrad_edu.vision import _image

    assert _image.pil_image_module() is None
    image = (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)
    tg.manual_seed(0)
    out = T.Compose([T.RandomRotation(10), T.Resize(14), T.ToTensor()])(image)
    assert out.shape == (1, 14, 14)
    with pytest.raises(ImportError, match=r"to_pil_image needs Pillow: pip install "
                                          r"tinygrad_edu\[vision\]"):
        T.ToPILImage()(out)
    with pytest.raises(ImportError, match=r"save_image needs Pillow: pip install "
                                          r"tinygrad_edu\[vision\]"):
        utils.save_image(out, str(tmp_path) + "/x.png")
    assert utils.make_grid(Tensor(np.zeros((2, 1, 3, 3), np.float32))).shape == (3, 7, 12)
