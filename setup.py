"""Maps the three source trees onto one import package, `cloudforge`.

runtime/ is `cloudforge`, codegen/ is `cloudforge.codegen` and generated/aws/ is `cloudforge.aws`
(see the design brief). The package list is computed so that a newly generated service is
packaged without editing this file.
"""

from setuptools import find_packages, setup

ROOTS = {"cloudforge": "runtime", "cloudforge.codegen": "codegen", "cloudforge.aws": "generated/aws"}

packages: list[str] = []
for name, path in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(path)]

setup(packages=packages, package_dir=dict(ROOTS))
