"""dsl.importer of a local file given as a pipeline parameter, read by the next task.
Compiled with kfp 2.17.3."""

from kfp.dsl import Dataset, Input

from kfp import compiler, dsl


@dsl.component
def read(ds: Input[Dataset]) -> str:
    with open(ds.path) as f:
        return f"{f.read().strip()} meta={ds.metadata['src']}"


@dsl.pipeline(name="importer-local-file")
def importer_local_file(path: str = "/var/tmp/kfpfix/x.csv"):
    imp = dsl.importer(artifact_uri=path, artifact_class=Dataset, reimport=False, metadata={"src": "local"})
    read(ds=imp.output)


if __name__ == "__main__":
    compiler.Compiler().compile(importer_local_file, __file__.replace(".py", ".yaml"))
