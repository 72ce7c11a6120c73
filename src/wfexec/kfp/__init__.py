"""KFP v1 components: load a component spec, resolve its placeholders, compile it to an Argo Workflow."""

from wfexec.kfp.compile import compile_component
from wfexec.kfp.loader import load_component, load_component_text
from wfexec.kfp.outputs import component_outputs
from wfexec.kfp.resolve import Resolved, resolve
from wfexec.kfp.spec import ComponentSpec

__all__ = ["ComponentSpec", "Resolved", "compile_component", "component_outputs", "load_component",
           "load_component_text", "resolve"]
