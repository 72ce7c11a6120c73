"""Workflow documents: loading with line numbers, schema validation and lint.

- `wfexec.spec.loader`: `load_file`, `load_text`, `find_documents` → `Document`s (plain data).
- `wfexec.spec.schema`: `validate(doc)` against Argo's JSON schema, closed to unknown fields.
- `wfexec.spec.lint`: `lint_documents`, `load_and_lint` → `LintIssue`s, as `argo lint --offline`.

Nothing is imported here, so `import wfexec.spec.loader` stays cheap (jsonschema is slow to load).
"""
