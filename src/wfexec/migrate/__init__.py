"""migrate: fill `command` from image config (images index, local daemon, registry v2)."""
