"""Artifacts: packing outputs (pack, stdlib only), safe unpacking (unpack), repositories
(repository, local_repo, s3_repo, keys, location, secrets), storing outputs (outputs) and
fetching inputs (inputs).

Import the submodules directly; this package imports nothing so that the stdlib-only
`pack` module stays importable inside bare containers.
"""
