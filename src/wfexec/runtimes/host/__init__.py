"""The host runtime: each container of a pod is a sandboxed host process under its emissary."""
