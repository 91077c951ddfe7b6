"""Break-testing the s19 batch workers, durable fire_many, facts fast path and input bounds."""

import subprocess
import sys
import textwrap


def test_raw_chunks_of_a_long_line_read_in_small_pieces_take_linear_work():
    """A 4 MB line arriving 16 bytes per read is cut as one line, each piece looked at once (the chunker
    used to copy and rescan all it had read on every piece: `batch --workers 2` took 68 s on a 100 MB
    line that one worker reads in 1 s). Run under a 15 s CPU limit, which linear work is far below (~1 s)."""
    code = textwrap.dedent('''
        import io, resource
        resource.setrlimit(resource.RLIMIT_CPU, (15, 15))
        from qnwmh_rules import _batch as B

        class Trickle(io.RawIOBase):
            def __init__(self, data):
                self.data, self.pos = data, 0
            def readable(self):
                return True
            def readinto(self, b):
                n = min(16, len(b), len(self.data) - self.pos)
                b[:n] = self.data[self.pos:self.pos + n]
                self.pos += n
                return n

        line = b'{"id": "' + b"x" * (4 << 20) + b'"}\\n'
        data = line + b'{"id": "b"}\\r\\n' + b"last"
        chunks = list(B._jsonl_chunks(io.BufferedReader(Trickle(data), 16), 2))
        assert [(1, line + b'{"id": "b"}\\r\\n'), (3, b"last")] == chunks, [(f, len(c)) for f, c in chunks]
        print("ok")
    ''')
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (0, "ok\n") == (done.returncode, done.stdout), done.stderr[-2000:]
