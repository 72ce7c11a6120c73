"""dsl.Collected of a task under dsl.If inside a ParallelFor: only the iterations where it ran.
Compiled with kfp 2.17.3."""

from kfp import compiler, dsl


@dsl.component(base_image="python:3.11")
def sq(x: int) -> int:
    return x * x


@dsl.component(base_image="python:3.11")
def summ(xs: list[int]) -> str:
    return str(sorted(xs))


@dsl.pipeline
def ccp(xs: list = [1, 2, 3, 4]) -> str:  # noqa: B006 - a pipeline's default, as kfp takes it
    with dsl.ParallelFor(xs) as x, dsl.If(x > 2):
        s = sq(x=x)
    return summ(xs=dsl.Collected(s.output)).output


compiler.Compiler().compile(ccp, "collected_under_condition.yaml")
