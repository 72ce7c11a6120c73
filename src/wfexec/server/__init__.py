"""`wfexec server`: Argo Server's REST API over the local run store (a face of the engine, not a second one)."""
