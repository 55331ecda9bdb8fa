"""The embedded AWS for laptops and tests: moto, a Lambda-like runtime, an API gateway and a CDN."""
