from setuptools import find_namespace_packages, setup

with open("pkg/pip_requirements.txt") as requirements_file:
    install_requires = [
        line.strip()
        for line in requirements_file
        if line.strip() and not line.startswith("#")
    ]

setup(
    name="spaceone-api-key",
    version="0.1.0",
    description="API-key service of a SpaceONE (Cloudforet) identity deployment",
    license="Apache License 2.0",
    package_dir={"": "src"},
    packages=find_namespace_packages(where="src", include=["spaceone.api_key*"]),
    python_requires=">=3.10",
    install_requires=install_requires,
    extras_require={
        "dev": [
            "SecantusDB==0.7.0b3",
            "pytest==9.0.3",
            "pytest-timeout==2.4.0",
            "requests==2.34.2",
            "schemathesis==4.32.5",
        ]
    },
    zip_safe=False,
)
