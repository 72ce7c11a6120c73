"""wfexec: Argo Workflows and KFP v1 components on one machine, through Argo's executors."""

__version__ = "0.1.0"
