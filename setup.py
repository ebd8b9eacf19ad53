"""Only what pyproject.toml cannot say: the top-level `resources/` folder (style sheet,
icons) goes into the wheel as the package data folder `lr_desktop/resources/`, so `pipx
install .` and a wheel carry it; the rest of the configuration is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["lr_desktop", "lr_desktop.*"]), "lr_desktop.resources"],
    package_dir={"lr_desktop.resources": "resources"},
    package_data={
        "lr_desktop": ["py.typed"],
        "lr_desktop.resources": ["*.qss", "*.svg", "icons/*.png"],
    },
)
