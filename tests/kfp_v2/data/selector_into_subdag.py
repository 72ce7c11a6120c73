"""ParallelFor over dicts whose body is a nested pipeline given one field of the item
(`c.lr`), and a condition on another (`c.nm`): the tasks' inputs carry a parameterExpressionSelector. Compiled with kfp 2.17.3."""

from kfp import compiler, dsl


@dsl.component
def train(lr: float) -> str:
    return f"lr={lr}"


@dsl.pipeline
def train_sub(lr: float) -> str:
    return train(lr=lr).output


@dsl.pipeline(name="selector-into-subdag")
def selector_into_subdag(cfgs: list = [{"nm": "a", "lr": 0.1}, {"nm": "b", "lr": 0.2}]):  # noqa: B006
    with dsl.ParallelFor(cfgs) as c:
        train_sub(lr=c.lr)
        with dsl.If(c.nm == "b"):  # a condition group is a DAG too: its input is the selected field
            train(lr=c.lr).set_display_name("train-b")


if __name__ == "__main__":
    compiler.Compiler().compile(selector_into_subdag, __file__.replace(".py", ".yaml"))
