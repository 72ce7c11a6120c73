"""migrate: fill `command` from image config (images index, local daemon, registry v2).

Kept import-free: `command_rule` is imported by runtimes that must not pull in requests or docker.
"""
