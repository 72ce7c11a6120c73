"""The docker runtime: each container of a pod is a Docker container, under either executor."""
