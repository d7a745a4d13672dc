"""``torchvision``'s place and names: ``from tinygrad_edu.vision import datasets, transforms,
utils`` where PyTorch code has ``from torchvision import datasets, transforms, utils``.

* :mod:`.datasets`: ``MNIST`` and ``FashionMNIST`` (torchvision's signature, on top of
  ``tinygrad_edu.data``'s search path and verified download);
* :mod:`.transforms` (and ``transforms.functional``): ``Compose``, ``ToTensor``, ``Normalize``,
  crops, flips, ``Resize``, ``RandomRotation``, ``RandomAffine`` ...;
* :mod:`.utils`: ``make_grid`` and ``save_image``.

Pillow is optional (the ``vision`` extra, ``pip install tinygrad_edu[vision]``): with it images
are PIL Images as in torchvision; without it datasets give NumPy arrays, which the transforms
also take, and ``save_image`` / ``ToPILImage`` say that they need Pillow.
"""

from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
