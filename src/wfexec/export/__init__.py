"""Export: turn what runs here (a Workflow file, or a KFP v1 component) into what a real Argo accepts.

`export_path` is the one entry point; `wfexec export` prints its documents and `submit --kube`
sends them.
"""

from wfexec.export.build import Exported, ExportOptions, export_path

__all__ = ["ExportOptions", "Exported", "export_path"]
