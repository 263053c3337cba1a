#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made at run time (nothing of the
third-party corpus is copied into the repository).

  seeds.py OUT_DIR CAPTURE...

OUT_DIR/capture: the small captures themselves (framer, pipeline,
differential); OUT_DIR/decode: every distinct frame of them, prefixed by the
decode target's link-type byte and option byte; OUT_DIR/policy and
OUT_DIR/select: the README's examples."""
import hashlib, os, struct, sys

LINKS = [0, 1, 9, 10, 12, 14, 50, 101, 104, 105, 108, 113, 119, 127, 163, 178, 192, 228, 229, 239, 276]
MAX_CAPTURE = 64 * 1024


def frames(data):
    """(link type, frame bytes) of a classic pcap or pcapng capture."""
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
            if incl > 262144 or pos + 16 + incl > len(data):
                return
            yield link, data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        pos, e, links = 0, "<", []
        while pos + 12 <= len(data):
            if data[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            btype, blen = struct.unpack(e + "II", data[pos:pos + 8])
            if blen < 12 or pos + blen > len(data):
                return
            body = data[pos + 8:pos + blen - 4]
            if btype == 1 and len(body) >= 2:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if iface < len(links):
                    yield links[iface], body[20:20 + cap]
            pos += blen


def write(d, content):
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(content).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(content)


def main():
    out, captures = sys.argv[1], sys.argv[2:]
    for path in captures:
        with open(path, "rb") as f:
            data = f.read()
        if len(data) <= MAX_CAPTURE:
            write(os.path.join(out, "capture"), data)
        for link, frame in frames(data):
            if link in LINKS:
                write(os.path.join(out, "decode"), bytes([LINKS.index(link), 0]) + frame)
    for text in [
        'fail-on = "warning"\nexpect-closed = true\nallow = ["mid-stream", "one-sided", "syn-retransmitted"]\ndeny = ["simultaneous-close"]\n[max]\nunacceptable-segment = 3\nport-reuse = 10\n',
        'fail-on = "info"\n',
        "allow = []\n",
    ]:
        write(os.path.join(out, "policy"), text.encode())
    for text in [
        "port == 443 and severity == error",
        "tcp.stream eq 3",
        "ip.addr == 10.0.0.0/8 or not (client.state != TIME_WAIT)",
        "tcp.port == 443 || outcome == reset && anomaly == rst-in-syn-received",
        "stream >= 2 and stream < 10 and closer == client",
        "!(server.ip == ::1) and client.port <= 1024",
    ]:
        write(os.path.join(out, "select"), text.encode())


if __name__ == "__main__":
    main()
