# Run by every interpreter (3.6+): compiles a varied corpus and dumps, for each code
# object, its raw line table and the line Python itself gives every instruction offset.
#
# Output (stdout), one record per line:
#   V <major> <minor> <micro>
#   C <model> <firstlineno> <table hex, or -> <name>     model: lnotab | linetable | locations
#   O <offset> <line>                                     line -1: Python says None
# Truth: 3.10+ from co_lines() (ranges; offsets no range covers are None), <= 3.9 from
# dis.findlinestarts() (the last line start at or before the offset). Written to keep
# 3.6 syntax: no walrus, no f-string "=", no positional-only parameters.
import dis
import importlib.util
import sys
import types

VERSION = sys.version_info[:3]

# Things the decoders must get right: loops, multi-line expressions, decorators,
# comprehensions, try/except/finally, with, generators, lambdas, nested functions,
# blank lines and comments (lines without code), a backslash continuation.
BASE_SOURCE = '''
import functools

def decorate(tag):
    def wrap(f):
        @functools.wraps(f)
        def inner(*a, **kw):
            return (tag,
                    f(*a, **kw))
        return inner
    return wrap


@decorate(
    "first")
@decorate("second")
def decorated(x,
              y=3):
    # a comment, then blank lines

    return x + \\
        y


class Shape(object):
    sides = [n
             for n in range(10)
             if n % 2]

    def __init__(self, name):
        self.name = name

    @property
    def area(self):
        return {k: v for k, v in
                zip("abc",
                    (1, 2, 3))}

    @staticmethod
    def gen(n):
        for i in range(n):
            if i % 3 == 0:
                continue
            elif i > 100:
                break
            yield i
        else:
            yield -1


def handlers(v):
    try:
        r = 1 / v
    except ZeroDivisionError as e:
        r = str(e)
    except (TypeError,
            ValueError):
        r = None
    else:
        r = r * 2
    finally:
        v = None
    with open(__file__) as fa, \\
            open(__file__) as fb:
        pass
    while v is not None and \\
            v > 0:
        v -= 1
    return r


def multiline_call(a, b, c):
    return max(
        a,
        b,

        c,
    ) + min(a,
            b)


lam = lambda q: (q
                 + 1)
squares = {x * x for x in range(5)}
pairs = list((a, b) for a in range(3)
             for b in range(a))


async def coro(it):
    async for v in it:
        await v
    async with it as m:
        return [w async for w in m]


def nested(a):
    def inner1(b):
        def inner2(c):
            return a + b + c
        return inner2
    return inner1(a)(a)
'''

# Syntax newer than 3.6, added only where the running interpreter has it.
VERSIONED_SOURCES = [
    ((3, 8), '''
def walrus(data):
    if (n := len(data)) > 10:
        return n
    return [y for x in data if (y := x * 2)]
'''),
    ((3, 10), '''
def matcher(cmd):
    match cmd.split():
        case ["go", direction]:
            return direction
        case ["look"] | ["peek"]:
            return "look"
        case {"x": x,
              "y": y}:
            return x + y
        case _:
            return None
'''),
    ((3, 11), '''
def groups():
    try:
        raise ExceptionGroup("g", [ValueError(1), TypeError(2)])
    except* ValueError as eg:
        a = eg
    except* TypeError:
        a = None
    return a
'''),
    ((3, 12), '''
def generic[T](x: T) -> T:
    type Alias = list[T]
    return x
'''),
]


def long_function_source():
    """A function with line jumps over 127 and 255 both ways, a single line whose
    code is longer than 255 bytes, and enough code to need EXTENDED_ARG jumps."""
    out = ["def long_function(a, b):", "    total = 0"]
    out += ["    # filler comment"] * 130
    out.append("    total += 1")
    out += [""] * 300
    out.append("    total += 2")
    # A call whose last argument is 300 lines below the call: the call itself is
    # attributed back to its first line (3.8+), a large negative delta.
    out.append("    total = max(a,")
    out += [""] * 300
    out.append("            b)")
    out.append("    total = " + " + ".join(["a * b"] * 150))  # one very long line
    out.append("    for i in range(a):")
    out += ["        total += i * %d" % k for k in range(400)]
    out.append("        if total > b:")
    out += [""] * 260
    out.append("            break")
    out.append("    while total > 0:")
    out.append("        total -= 1")
    out.append("    return total")
    return "\n".join(out) + "\n"


STDLIB_MODULES = ["argparse", "dis", "inspect", "typing", "json.decoder", "difflib"]


def corpus():
    yield "<base>", BASE_SOURCE
    for minimum, source in VERSIONED_SOURCES:
        if VERSION[:2] >= minimum:
            yield "<v%d.%d>" % minimum, source
    yield "<long>", long_function_source()
    for name in STDLIB_MODULES:
        spec = importlib.util.find_spec(name)
        with open(spec.origin, encoding="utf-8") as f:
            yield spec.origin, f.read()


def model_and_table(code):
    if VERSION[:2] <= (3, 9):
        return "lnotab", code.co_lnotab
    if VERSION[:2] == (3, 10):
        return "linetable", code.co_linetable
    return "locations", code.co_linetable


def truth_lines(code):
    """The line at every 2-byte code unit offset of co_code, -1 for None."""
    n = len(code.co_code)
    lines = [-1] * (n // 2)
    if VERSION[:2] >= (3, 10):
        for start, end, line in code.co_lines():
            for offset in range(start, min(end, n), 2):
                lines[offset // 2] = -1 if line is None else line
        if VERSION[:2] >= (3, 11):
            check_positions(code, lines)
    else:
        starts = list(dis.findlinestarts(code))
        for i, (start, line) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else n
            for offset in range(start, min(end, n), 2):
                lines[offset // 2] = line
    return lines


def check_positions(code, lines):
    """3.11+: co_positions() (one entry per code unit, CACHEs included) is a second
    reading of the same table; it must agree with co_lines()."""
    positions = list(code.co_positions())
    if len(positions) != len(lines):
        raise SystemExit("co_positions of %s has %d entries for %d code units"
                         % (code.co_name, len(positions), len(lines)))
    for i, pos in enumerate(positions):
        line = -1 if pos[0] is None else pos[0]
        if line != lines[i]:
            raise SystemExit("%s offset %d: co_positions line %r, co_lines line %r"
                             % (code.co_name, 2 * i, pos[0], lines[i]))


def mirrored(code):
    """<= 3.9: the same code with every lnotab line increment negated. The 3.6 and 3.7
    compilers never emit a negative increment (3.8 and 3.9 rarely do), yet the format
    allows them since 3.6; this puts large backward steps in front of findlinestarts."""
    table = code.co_lnotab
    increments = [b - 256 if b >= 128 else b for b in table[1::2]]
    if -128 in increments:
        return None
    lnotab = bytearray(table)
    lnotab[1::2] = bytes((-inc) & 0xFF for inc in increments)
    first = code.co_firstlineno + 100000
    if hasattr(code, "replace"):  # 3.8+
        return code.replace(co_lnotab=bytes(lnotab), co_firstlineno=first)
    return types.CodeType(
        code.co_argcount, code.co_kwonlyargcount, code.co_nlocals, code.co_stacksize,
        code.co_flags, code.co_code, code.co_consts, code.co_names, code.co_varnames,
        code.co_filename, code.co_name, first, bytes(lnotab), code.co_freevars,
        code.co_cellvars)


def walk(code, out, recurse=True):
    model, table = model_and_table(code)
    name = getattr(code, "co_qualname", code.co_name)
    out.append("C %s %d %s %s" % (model, code.co_firstlineno, table.hex() or "-", name))
    for i, line in enumerate(truth_lines(code)):
        out.append("O %d %d" % (2 * i, line))
    if not recurse:
        return
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            walk(const, out)
            if VERSION[:2] <= (3, 9) and mirrored(const) is not None:
                walk(mirrored(const), out, recurse=False)


def main():
    out = ["V %d %d %d" % VERSION]
    for filename, source in corpus():
        walk(compile(source, filename, "exec", dont_inherit=True), out)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
