"""cluster: Kubernetes access (kubeconfig, API errors), the Argo controller's ConfigMap and version,
facts about nodes and namespaces, and the doctor's executor decision."""
