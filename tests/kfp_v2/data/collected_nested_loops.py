"""dsl.Collected of a task inside two nested ParallelFor loops: a list of lists.
Compiled with kfp 2.17.3."""

from kfp import compiler, dsl


@dsl.component
def mul(a: int, b: int) -> int:
    return a * b


@dsl.component
def show(xs: list[int]) -> str:
    return repr(xs)


@dsl.pipeline(name="collected-nested-loops")
def collected_nested_loops():
    with dsl.ParallelFor([1, 2, 3]) as i:
        with dsl.ParallelFor([10, 20]) as j:
            m = mul(a=i, b=j)
    show(xs=dsl.Collected(m.output))


if __name__ == "__main__":
    compiler.Compiler().compile(collected_nested_loops, __file__.replace(".py", ".yaml"))
